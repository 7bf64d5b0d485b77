"""Sentence vectors stored at ingest: their packing, the answerers' hook, and reindex."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import qa.answers.reading
from conftest import ARCHIVE, ROOT, SAMPLE_DIR, make_passage
from qa import Assistant
from qa.answers.extractive import ExtractiveAnswerer
from qa.config import Settings
from qa.embedding import FakeEmbedder
from qa.errors import ModelError
from qa.index.sentences import SentenceVectors, pack, spans_of, unpack


def test_pack_keeps_spans_and_directions() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = [(0, 10), (11, 40), (41, 90), (91, 200), (201, 60_000)]
    blob = pack(spans, vectors)
    assert blob is not None and len(blob) == 2 + 5 * (4 + 2 + 384)
    got_spans, got = unpack(blob)
    assert got_spans.tolist() == [list(s) for s in spans]
    assert ((got * vectors).sum(axis=1) > 0.9999).all()
    assert pack([], np.zeros((0, 384))) is None
    assert pack([(0, 70_000)], vectors[:1]) is None  # beyond uint16: not stored


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        return super().embed(texts)


def test_stored_vectors_are_used_and_missing_ones_embedded() -> None:
    embedder = CountingEmbedder()
    a = make_passage("a", "The council approved the budget. Critics called it reckless spending.")
    b = make_passage("b", "Rain fell all week. The river rose to record levels on Friday.")
    spans_a = spans_of(a.text)
    stored = {"a": unpack(pack(spans_a, FakeEmbedder().embed([a.text[s:e] for s, e in spans_a])))}
    asked: list[list[str]] = []

    def read(ids):  # type: ignore[no-untyped-def]
        asked.append(list(ids))
        return {i: stored[i] for i in ids if i in stored}

    sentences = SentenceVectors(embedder, read)
    items = [(a, *spans_a[1]), (b, *spans_of(b.text)[0]), (a, 0, 10)]
    vectors = sentences.vectors(items)
    assert asked == [["a", "b"]]
    # Only b's sentence and a's span that is no stored sentence were embedded.
    assert embedder.texts == [b.text[slice(*spans_of(b.text)[0])], a.text[0:10]]
    alone = FakeEmbedder().embed([a.text[slice(*spans_a[1])]])[0]
    assert float(vectors[0] @ alone) > 0.999


def test_answers_from_stored_vectors_match_answers_from_embedding(
    fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_assistant.ingest([ARCHIVE])
    keyword = fake_assistant.keyword
    question = "What did the merger talks decide?"
    passages = fake_assistant.search(question, k=6)
    stored = keyword.sentence_vectors([p.id for p in passages])
    assert set(stored) == {p.id for p in passages}  # ingest stored every passage's
    for p in passages:
        spans, vectors = stored[p.id]
        assert spans.tolist() == [list(s) for s in spans_of(p.text)]
        assert vectors.shape == (len(spans), fake_assistant.embedder.dim)
    embedder = CountingEmbedder()
    plain = ExtractiveAnswerer(embedder, Settings().answers).answer(question, passages)
    embedded = len(embedder.texts)
    embedder.texts.clear()
    monkeypatch.setattr(qa.answers.reading, "REFINE_SENTENCES", 2)
    reading = ExtractiveAnswerer(
        embedder, Settings().answers, sentences=SentenceVectors(embedder, keyword.sentence_vectors)
    )
    answer = reading.answer(question, passages)
    assert answer.text == plain.text and answer.refused == plain.refused
    # With stored vectors the question (and its claims) and the few best sentences, embedded
    # again on their own (EvidenceReader._refine), are all that is embedded.
    assert len(embedder.texts) < embedded
    sentences = [t for t in embedder.texts if t != question]
    assert 0 < len(sentences) <= 2 + 3  # two sentences, at most three claims


REINDEX = """
import ingest.reindex
ingest.reindex.BATCH = 2
from qa import Assistant
Assistant.open({index!r}, model_cache_dir={cache!r}, embed_variant="fp32").reindex()
"""


@pytest.mark.slow
def test_reindex_killed_midway_is_refused_then_finished(tmp_path: Path) -> None:
    from qa.onnx_export import default_cache_dir

    index = tmp_path / "index"
    cache = str(default_cache_dir())
    Assistant.open(index, model_cache_dir=cache).ingest([ARCHIVE])  # int8 by default
    env = {**os.environ, "NEWSDESK_CRASH_AT": "keyword:2"}
    script = REINDEX.format(index=str(index), cache=cache)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=300)
    assert killed.returncode == -9  # SIGKILL at the fail point, mid-way
    for variant in ("int8", "fp32"):
        with pytest.raises(ModelError, match="did not finish"):
            Assistant.open(index, model_cache_dir=cache, embed_variant=variant).search("merger")
    env.pop("NEWSDESK_CRASH_AT")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0
    # Checked in a fresh process: an embedded Chroma client caches what it read in this one.
    checked = subprocess.run(
        [sys.executable, "-c", CHECK.format(index=str(index), cache=cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    store_min, keyword_min, again = checked.stdout.split()
    assert float(store_min) > 0.9999 and float(keyword_min) > 0.9999
    assert again == "0"  # nothing left to do


# Every stored vector (Chroma's and the keyword index's) against the fp32 embedding of its
# passage's embedded text; then a reindex that finds nothing to do.
CHECK = """
import numpy as np
from ingest.chunk import Chunker
from qa import Assistant
fp32 = Assistant.open({index!r}, model_cache_dir={cache!r}, embed_variant="fp32")
assert fp32.search("merger talks")
ids = sorted(p.id for batch in fp32.keyword.iter_passages() for p in batch)
passages = fp32.keyword.passages(ids)
chunker = Chunker(fp32.embedder, fp32.settings.ingest)
expected = fp32.embedder.embed([chunker.embed_text(passages[i]) for i in ids])
stored = dict((r[0], r[3]) for r in fp32.store.records(ids, vectors=True))
matrix = fp32.keyword.snapshot()
local = np.array([matrix.vectors[matrix.passage_ids.index(i)] for i in ids])
print((np.array([stored[i] for i in ids]) * expected).sum(axis=1).min(),
      (local * expected).sum(axis=1).min(), fp32.reindex().passages)
"""


def test_a_fitted_sentence_map_recovers_a_linear_correction(tmp_path: Path) -> None:
    from qa.index.sentence_map import SentenceMap, fit, mean_cosine

    rng = np.random.default_rng(5)
    dim = 16
    true = rng.standard_normal((2 * dim, dim)).astype(np.float32)
    pooled = rng.standard_normal((400, dim)).astype(np.float32)
    passages = np.repeat(rng.standard_normal((40, dim)).astype(np.float32), 10, axis=0)
    alone = np.hstack([pooled, passages]) @ true
    mapping = SentenceMap(fit(pooled, passages, alone, ridge=1e-3), {"space": "test/fp32"})
    mapped = np.concatenate(
        [mapping.apply(pooled[i : i + 10], passages[i]) for i in range(0, 400, 10)]
    )
    assert mean_cosine(mapped, alone) > 0.999 > mean_cosine(pooled, alone)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0, atol=1e-5)
    path = tmp_path / "map.npz"
    mapping.save(path)
    again = SentenceMap.load(path)
    assert again.meta == {"space": "test/fp32"}
    assert mean_cosine(again.apply(pooled[:10], passages[0]), alone[:10]) > 0.999
    assert SentenceMap.for_space("no-such-model/int8") is None
    with pytest.raises(ValueError):
        SentenceMap(np.zeros((10, 4)))


def test_the_shipped_map_brings_stored_vectors_closer_to_sentences_alone() -> None:
    """On articles nobody fitted it on (the sample, and BBC articles when ../shared is here),
    the mapped vectors of the default int8 embedder are nearer each sentence embedded on its own
    than the vectors ingest stores."""
    from conftest import SHARED
    from eval.fit_sentence_map import triples
    from ingest.chunk import Chunker
    from ingest.readers import read_path
    from qa.backends import build_embedder
    from qa.index.sentence_map import SentenceMap, mean_cosine
    from qa.types import Article

    settings = Settings(embed_variant="int8")
    embedder = build_embedder(settings)
    mapping = SentenceMap.for_space(embedder.space)
    assert mapping is not None, f"no sentence map ships for {embedder.space}"
    files = [SAMPLE_DIR / "sullivan-russia-talks.txt"]
    bbc = SHARED / "data" / "bbc-news"
    files += [bbc / s / "001.txt" for s in ("business", "sport", "tech") if (bbc / s).is_dir()]
    articles = [a for f in files for a in read_path(f) if isinstance(a, Article)]
    pooled, passages, alone = triples(articles, embedder, Chunker(embedder, settings.ingest))
    before = mean_cosine(pooled, alone)
    after = mean_cosine(mapping.apply(pooled, passages), alone)
    assert after > before + 0.03, (before, after)


def test_sentence_vectors_map_stored_vectors_with_their_passages() -> None:
    from qa.index.sentence_map import SentenceMap

    embedder = FakeEmbedder(dim=8)
    a = make_passage("a", "The council approved the budget. Critics called it reckless spending.")
    spans = spans_of(a.text)
    stored_vectors = embedder.embed([a.text[s:e] for s, e in spans])
    own = embedder.embed([a.text])[0]
    # A map that returns the passage's own vector for every sentence.
    weights = np.vstack([np.zeros((8, 8)), np.eye(8)]).astype(np.float32)
    read = lambda ids: {"a": (np.asarray(spans), stored_vectors)}  # noqa: E731
    mapped = SentenceVectors(embedder, read, lambda ids: {"a": own}, SentenceMap(weights))
    got = mapped.vectors([(a, *spans[0]), (a, *spans[1])])
    assert np.allclose(got, own[None, :], atol=1e-6)
    plain = SentenceVectors(embedder, read).vectors([(a, *spans[0])])
    assert np.allclose(plain[0], stored_vectors[0])
    missing = SentenceVectors(embedder, read, lambda ids: {}, SentenceMap(weights))
    assert np.allclose(missing.vectors([(a, *spans[0])])[0], stored_vectors[0])

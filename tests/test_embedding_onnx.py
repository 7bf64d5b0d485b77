"""The ONNX Runtime embedder: its vectors against sentence-transformers', its export and checks,
the vector space an index records, and a serving path without torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ARCHIVE, ROOT, SAMPLE_QUESTIONS
from qa import Assistant
from qa.config import Settings
from qa.embedding import DEFAULT_MODEL_NAME, default_model_path
from qa.errors import ModelError

pytestmark = pytest.mark.slow

SENTENCES = [
    "Who did Sullivan reportedly speak with?",
    "The Federal Reserve held interest rates steady on Wednesday.",
    "Sam Bankman-Fried was convicted on all seven counts of fraud and conspiracy.",
    "Ünïcödé — “quotes”, emoji 🎉 and a URL https://example.test/a?b=c.",
    "x",
    " ".join(["a long text of many words"] * 80),  # beyond the 256-piece window
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the default model's export (copied from the user cache when it is
    there already, else exported into it: ~10 s of CPU)."""
    from qa.onnx_export import default_cache_dir, ensure_exported, export_dir

    source = default_model_path()
    for variant in ("fp32", "int8"):
        ensure_exported(source, variant, None, DEFAULT_MODEL_NAME)
    cache = tmp_path_factory.mktemp("model-cache")
    found = export_dir(source, default_cache_dir(), DEFAULT_MODEL_NAME)
    shutil.copytree(found, cache / found.name)
    return cache


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    from qa.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(default_model_path(), Settings().embedding).embed(SENTENCES)


def _onnx(variant: str, cache: Path) -> object:
    from qa.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(
        default_model_path(),
        Settings(model_cache_dir=cache).embedding,
        variant,
        name=DEFAULT_MODEL_NAME,
    )


def test_onnx_fp32_matches_sentence_transformers(onnx_cache: Path, reference: np.ndarray) -> None:
    embedder = _onnx("fp32", onnx_cache)
    vectors = embedder.embed(SENTENCES)  # type: ignore[attr-defined]
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert embedder.space == "all-MiniLM-L6-v2/fp32"  # type: ignore[attr-defined]


def test_onnx_int8_stays_within_its_stated_bound(onnx_cache: Path, reference: np.ndarray) -> None:
    """int8 (per-channel dynamic quantisation): every vector within cosine 0.97 of torch's and
    0.985 on average (measured here: 0.978 at worst, on a one-letter text, 0.989 on average;
    0.995 on average over MultiHop passages)."""
    vectors = _onnx("int8", onnx_cache).embed(SENTENCES)  # type: ignore[attr-defined]
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.97 and cosines.mean() >= 0.985, cosines


def test_sentence_vectors_from_the_passage_pass_are_close_to_embedding_them_alone(
    onnx_cache: Path,
) -> None:
    embedder = _onnx("fp32", onnx_cache)
    text = "Headline (Outlet)\nThe vote was delayed. Officials blamed the storm for it."
    spans = [(18, 39), (40, len(text))]
    vectors, [sentences] = embedder.embed_with_sentences([text], [spans])  # type: ignore[attr-defined]
    alone = embedder.embed([text[a:b] for a, b in spans])  # type: ignore[attr-defined]
    assert sentences.shape == (2, vectors.shape[1])
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    # In context, not identical, but about the same thing.
    assert ((sentences * alone).sum(axis=1) > 0.7).all()
    assert float(sentences[0] @ alone[0]) > float(sentences[0] @ alone[1])


def test_damaged_export_is_a_model_error_naming_what_to_delete(
    onnx_cache: Path, tmp_path: Path
) -> None:
    from qa.onnx_export import ensure_exported, export_dir

    cache = tmp_path / "cache"
    found = export_dir(default_model_path(), onnx_cache, DEFAULT_MODEL_NAME)
    shutil.copytree(found, cache / found.name)
    model = cache / found.name / "int8" / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        ensure_exported(default_model_path(), "int8", cache, DEFAULT_MODEL_NAME)
    assert "damaged" in err.value.message and str(cache / found.name) in err.value.hint
    # A manifest whose checksum is wrong is the same failure.
    manifest = cache / found.name / "fp32" / "manifest.json"
    meta = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**meta, "sha256": "0" * 64}))
    with pytest.raises(ModelError, match="checksum"):
        ensure_exported(default_model_path(), "fp32", cache, DEFAULT_MODEL_NAME)


def test_failed_export_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa import onnx_export

    cache = tmp_path / "cache"

    def broken(source: Path, out: Path, *args: object) -> None:
        out.write_bytes(b"half an ONNX file")
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(onnx_export, "_torch_export", broken)
    with pytest.raises(ModelError, match="Could not export") as err:
        onnx_export.ensure_exported(default_model_path(), "int8", cache, DEFAULT_MODEL_NAME)
    assert "NEWSDESK_EMBEDDER=sentence-transformers" in err.value.hint
    assert list(cache.iterdir()) == []  # no model folder, no temporary folder


def test_missing_exporter_is_a_model_error_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa import onnx_export

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ModelError, match="needs torch") as err:
        onnx_export.ensure_exported(default_model_path(), "fp32", tmp_path, DEFAULT_MODEL_NAME)
    assert "make install" in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_index_refuses_an_embedder_of_another_space_and_reindex_converts_it(
    onnx_cache: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    first = Assistant.open(index, model_cache_dir=onnx_cache)  # the default: onnx, auto
    assert first.ingest([ARCHIVE]).added == 4
    assert first.embedder.space == "all-MiniLM-L6-v2/int8"  # type: ignore[attr-defined]
    # An explicit other precision, or torch (fp32), is refused with what to do.
    for overrides in ({"embed_variant": "fp32"}, {"embedder": "sentence-transformers"}):
        other = Assistant.open(index, model_cache_dir=onnx_cache, **overrides)
        with pytest.raises(ModelError) as err:
            other.search("merger talks")
        assert "int8" in err.value.message and "newsdesk reindex" in err.value.hint
        assert "NEWSDESK_EMBED_VARIANT=int8" in err.value.hint
    # 'auto' follows the index.
    assert Assistant.open(index, model_cache_dir=onnx_cache).search("merger talks")
    # Re-embedded as fp32, the index serves torch too (one space), and no longer int8.
    fp32 = Assistant.open(index, model_cache_dir=onnx_cache, embed_variant="fp32")
    report = fp32.reindex()
    assert (report.before, report.after) == ("all-MiniLM-L6-v2/int8", "all-MiniLM-L6-v2/fp32")
    assert report.passages == fp32.store.count()
    torch_hits = Assistant.open(index, embedder="sentence-transformers").search("merger talks")
    assert torch_hits[0].id == fp32.search("merger talks")[0].id
    with pytest.raises(ModelError):
        Assistant.open(index, model_cache_dir=onnx_cache, embed_variant="int8").search("x y")


def test_index_of_the_fake_embedder_refuses_a_real_one(onnx_cache: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    Assistant.open(index, embedder="fake").ingest([ARCHIVE])
    with pytest.raises(ModelError, match="fake/64"):
        Assistant.open(index, model_cache_dir=onnx_cache).ask("What about the merger?")


HEAVY = ("torch", "transformers", "sentence_transformers")

LIGHT_SCRIPT = """
import json, sys
from qa.cli import main
from qa import Assistant
for argv in ({commands}):
    try:
        main(argv)
    except SystemExit as exc:
        assert not exc.code, (argv, exc.code)
answer = Assistant.open({index!r}).ask({question!r})
assert answer.citations, answer
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_serving_path_imports_no_torch(sample_index: Path) -> None:
    """ask, search, stats and Assistant.open(...).ask() on a real index: no torch,
    transformers or sentence-transformers in the process."""
    question = next(iter(SAMPLE_QUESTIONS))
    commands = ", ".join(
        repr(["--index", str(sample_index), *argv])
        for argv in (["ask", question], ["search", "New START"], ["stats"])
    )
    script = LIGHT_SCRIPT.format(
        commands=commands + ",", index=str(sample_index), question=question, heavy=HEAVY
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_serve_imports_no_torch(sample_index: Path) -> None:
    """The app a `newsdesk serve` runs, answering over HTTP: no torch either."""
    script = f"""
import json, sys
from fastapi.testclient import TestClient
from qa import Assistant
from qa.serve.server import build_server
assistant = Assistant.open({str(sample_index)!r})
client = TestClient(build_server(assistant, assistant.settings.server))
reply = client.post("/api/ask", json={{"question": {next(iter(SAMPLE_QUESTIONS))!r}}})
assert reply.status_code == 200, reply.text
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_texts_run_in_batches_of_about_one_length() -> None:
    from qa.onnx_embedder import PAD_RATIO, length_batches

    lengths = [12, 80, 75, 30, 9, 78, 31, 200]
    batches = length_batches(lengths, size=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = lengths[batch[0]]
        assert len(batch) <= 2 and all(lengths[i] <= longest for i in batch)
        assert all(lengths[i] >= PAD_RATIO * longest for i in batch)
    assert batches[0] == [7] and batches[1] == [1, 5]  # longest first
    assert len(length_batches([50] * 70, size=32)) == 3  # one length: full batches


def test_word_nearness_does_not_depend_on_the_questions_before(onnx_cache: Path) -> None:
    """int8 vectors depend on their batch-mates; the word matcher embeds each word alone, so
    an answer does not change with the words earlier questions left in its cache."""
    from qa.answers.reading import WordMatcher

    sentence = ["Phytopharm said Japan's Yamanouchi was likely to end a licensing agreement."]
    question = "Which company was expected to pull out of the deal?"
    terms = ["expect", "pull", "deal"]
    fresh = WordMatcher(_onnx("int8", onnx_cache)).near(question, terms, sentence)  # type: ignore[arg-type]
    warmed = WordMatcher(_onnx("int8", onnx_cache))  # type: ignore[arg-type]
    warmed.near("Who signed the deal?", ["sign"], ["Unilever agreed to end it with a fee."])
    assert warmed.near(question, terms, sentence) == fresh


def test_a_long_job_in_parallel_passes_gives_the_vectors_of_one_pass_at_a_time(
    onnx_cache: Path,
) -> None:
    """Many texts run as several single-threaded passes at once (ingest); each text keeps its
    own vector and sentence vectors, in order, as when the passes run one after another."""
    embedder = _onnx("fp32", onnx_cache)
    texts = [f"{s} Item {n}. " * (1 + n % 7) for n, s in enumerate(SENTENCES * 12)]
    spans = [[(0, 12), (13, 40)] for _ in texts]
    assert len(texts) > embedder.batch_size  # type: ignore[attr-defined]
    together, together_sents = embedder.embed_with_sentences(texts, spans)  # type: ignore[attr-defined]
    assert embedder._bulk_session is not None  # type: ignore[attr-defined]
    one_by_one = [
        embedder.embed_with_sentences([t], [s])  # type: ignore[attr-defined]
        for t, s in zip(texts, spans, strict=True)
    ]
    alone = np.vstack([v for v, _ in one_by_one])
    assert ((together * alone).sum(axis=1) > 0.9999).all()
    for mine, (_, [theirs]) in zip(together_sents, one_by_one, strict=True):
        assert mine.shape == theirs.shape == (2, together.shape[1])
        assert np.allclose(mine, theirs, atol=1e-3)  # (a span past a short text: zeros)

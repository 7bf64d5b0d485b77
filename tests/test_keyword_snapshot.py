"""The keyword snapshot: BM25 matrices built chunk by chunk equal BM25 computed by hand."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from qa.index.keyword import KeywordIndex, tokenize
from qa.index.records import KeywordDoc
from qa.index.snapshot import K1, B, Snapshot
from qa.text import sentence_spans

TEXTS = [
    "The council approved the harbour budget. Ferry fares rise in March.",
    "Ferry workers voted to strike. The union wants more pay for ferry crews.",
    "A quiet week at the harbour.",
    "Budget talks stalled; the council meets again on Friday. Nobody expects a deal.",
    "Strike, strike, strike: the union's word of the week.",
]


def _reference(docs: list[list[str]]) -> dict[tuple[int, str], float]:
    """BM25 weight of each (row, term) as the textbook formula gives it."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    out = {}
    for row, d in enumerate(docs):
        for term, tf in Counter(d).items():
            idf = math.log1p((n - df[term] + 0.5) / (df[term] + 0.5))
            norm = K1 * (1 - B + B * len(d) / avgdl)
            out[(row, term)] = idf * tf * (K1 + 1) / (tf + norm)
    return out


@pytest.mark.parametrize("chunk", [1, 2, 4096])
def test_snapshot_weights_match_textbook_bm25(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(Snapshot, "CHUNK", chunk)  # chunk edges inside the stream
    index = KeywordIndex(tmp_path / "keyword.sqlite")
    rng = np.random.default_rng(0)
    index.add(
        [
            KeywordDoc(
                f"p{i}",
                f"a{i // 2}",
                text,
                "Outlet" if i % 2 else None,
                None,
                1_700_000_000 + i,
                rng.standard_normal(4).astype(np.float32),
                text,
            )
            for i, text in enumerate(TEXTS)
        ]
    )
    m = index.snapshot()
    terms = dict(index._db.execute("SELECT term, id FROM terms"))
    doc_tokens = [tokenize(t) for t in TEXTS]
    got = m.weights.toarray()
    want = _reference(doc_tokens)
    assert np.count_nonzero(got) == len(want)
    for (row, term), w in want.items():
        assert got[row, terms[term]] == pytest.approx(w, rel=1e-5)
    sentences = [tokenize(t[s:e]) for t in TEXTS for s, e in sentence_spans(t)]
    got_s = m.sent_weights.toarray()
    want_s = _reference(sentences)
    assert np.count_nonzero(got_s) == len(want_s)
    for (row, term), w in want_s.items():
        assert got_s[row, terms[term]] == pytest.approx(w, rel=1e-5)
    # Each passage's sentences start where the one before ended.
    per_passage = [len(list(sentence_spans(t))) for t in TEXTS]
    assert m.sent_start.tolist() == np.cumsum([0, *per_passage[:-1]]).tolist()
    assert m.passage_ids == [f"p{i}" for i in range(len(TEXTS))]
    assert list(m.article_ids) == ["a0", "a0", "a1", "a1", "a2"]
    assert list(m.sources) == ["", "Outlet", "", "Outlet", ""]
    assert m.outlets == {"Outlet"}
    assert m.source_mask(["Outlet", "Nobody"]).tolist() == [False, True, False, True, False]
    assert not m.source_mask(["Nobody"]).any() and not m.author_mask(["Anyone"]).any()
    assert m.vectors.shape == (len(TEXTS), 4)
    # The spill files are gone.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith("keyword.sqlite")
    )


def test_terms_added_after_the_count_are_left_out(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "keyword.sqlite")
    index.add([KeywordDoc("p0", "a0", "ferry strike", None, None, None, None, "ferry strike")])
    rows = list(
        index._db.execute(
            "SELECT passage_id, article_id, source, author, published_ts, length, tf, stf, vector"
            " FROM docs"
        )
    )
    # Built as if only the first term existed when the terms were read.
    m = Snapshot(rows, 1, 1, tmp_path)
    assert m.weights.shape == (1, 1) and m.weights.nnz == 1
    assert m.sent_weights.nnz == 1


def test_two_writers_on_one_file_hand_out_distinct_term_ids(tmp_path: Path) -> None:
    """Two processes ingesting into one index (a CLI ingest beside a server's upload) each hold
    a map of term ids; the second must not hand out ids the first already took."""
    path = tmp_path / "keyword.sqlite"
    first, second = KeywordIndex(path), KeywordIndex(path)
    first.add([KeywordDoc("p0", "a0", "ferry strike", None, None, None, None, "ferry strike")])
    second.add([KeywordDoc("p1", "a1", "harbour budget", None, None, None, None, "harbour budget")])
    first.add([KeywordDoc("p2", "a2", "council budget", None, None, None, None, "council budget")])
    ids = dict(first._db.execute("SELECT term, id FROM terms"))
    assert sorted(ids.values()) == list(range(len(ids)))
    reader = KeywordIndex(path)
    _, scores = reader.scores("harbour")
    assert scores.tolist().count(0) == 2 and scores.max() > 0
    _, scores = reader.scores("council")
    assert scores.tolist().count(0) == 2 and scores.max() > 0

"""Keyword index, filters, fusion and diversity on small hand-made archives (fake embedder)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import ARCHIVE
from qa import Assistant
from qa.retrieval.hybrid import HybridRetriever, load_ranker, parse_ranker
from qa.retrieval.signals import SIGNALS, Candidates, Query, Signal
from qa.types import SearchFilters

FILLER = (
    "Residents gathered at the quay as the ferry service was discussed again by the council "
    "committee, which heard from operators, unions and passengers about timetables and fares."
)


def _article(
    url: str, source: str, title: str, body: str, date: str, author: str = "Staff"
) -> dict[str, Any]:
    return {
        "url": url,
        "source": source,
        "title": title,
        "body": body,
        "published_at": date,
        "author": author,
    }


@pytest.fixture
def news(tmp_path: Path) -> Assistant:
    long_body = "\n\n".join(f"Part {i}. {FILLER}" for i in range(12))
    records = [
        _article(
            "https://alpha.example/long",
            "Alpha Daily",
            "Ferry saga: the full story",
            long_body,
            "2023-10-01T09:00:00Z",
        ),
        _article(
            "https://alpha.example/fares",
            "Alpha Daily",
            "Ferry fares to rise",
            "The ferry operator said fares will rise by ten percent in January.",
            "2023-10-05T09:00:00Z",
        ),
        _article(
            "https://beta.example/strike",
            "Beta Post",
            "Ferry crews vote to strike",
            "Ferry crews voted to strike over pay, the union said on Monday.",
            "2023-11-06T09:00:00Z",
            author="Rita Gomez",
        ),
        _article(
            "https://gamma.example/bridge",
            "Gamma Times",
            "Bridge plan revived",
            "Engineers revived the plan for a bridge to replace the ferry crossing.",
            "2023-12-01T09:00:00Z",
        ),
    ]
    src = tmp_path / "news.json"
    src.write_text(json.dumps(records))
    assistant = Assistant.open(tmp_path / "index", embedder="fake")
    assert assistant.ingest([src]).added == 4
    return assistant


@pytest.mark.parametrize("retriever", ["bm25", "dense", "hybrid"])
def test_filters_apply_to_every_retriever(news: Assistant, retriever: str) -> None:
    a = Assistant.open(news.settings.index_dir, embedder="fake", retriever=retriever)
    only_beta = a.search("ferry", k=10, filters=SearchFilters(sources=("Beta Post",)))
    assert only_beta and {p.source for p in only_beta} == {"Beta Post"}
    by_author = a.search("ferry", k=10, filters=SearchFilters(authors=("Rita Gomez",)))
    assert {p.author for p in by_author} == {"Rita Gomez"}
    november_on = a.search("ferry", k=10, filters=SearchFilters(since="2023-11-01"))
    assert {p.source for p in november_on} == {"Beta Post", "Gamma Times"}
    october = a.search("ferry", k=10, filters=SearchFilters(since="2023-10-01", until="2023-10-31"))
    assert {p.source for p in october} == {"Alpha Daily"}
    # An outlet the archive lacks is an error naming the outlets it holds, never an empty result.
    from qa.errors import FilterError

    with pytest.raises(FilterError, match="no articles from an outlet named 'Nobody'"):
        a.search("ferry", k=5, filters=SearchFilters(sources=("Nobody",)))
    assert a.search("ferry", k=10, filters=SearchFilters(sources=("beta post",))) == only_beta


def test_bm25_ranks_by_rare_terms_and_updates_incrementally(
    news: Assistant, tmp_path: Path
) -> None:
    bm25 = Assistant.open(news.settings.index_dir, embedder="fake", retriever="bm25")
    [top, *_] = bm25.search("union strike pay", k=3)
    assert top.url == "https://beta.example/strike"
    assert bm25.keyword.count() == bm25.store.count()
    changed = tmp_path / "changed.json"
    changed.write_text(
        json.dumps(
            [
                _article(
                    "https://beta.example/strike",
                    "Beta Post",
                    "Strike called off",
                    "The walkout was cancelled after a late offer.",
                    "2023-11-07T09:00:00Z",
                )
            ]
        )
    )
    assert bm25.ingest([changed]).updated == 1
    # The old version's passages are gone from the keyword index too.
    assert all("voted to strike" not in p.text for p in bm25.search("union strike pay", k=10))
    [hit] = bm25.search("walkout cancelled", k=1)
    assert hit.url == "https://beta.example/strike"
    assert bm25.keyword.count() == bm25.store.count()


def test_one_long_article_does_not_fill_the_top_ten(news: Assistant) -> None:
    results = news.search("ferry service council committee passengers", k=10)
    per_article: dict[str, int] = {}
    for p in results:
        per_article[p.article_id] = per_article.get(p.article_id, 0) + 1
    assert max(per_article.values()) <= 2
    assert len(per_article) == 4  # every article about ferries gets a place


def test_named_outlets_each_get_evidence(news: Assistant) -> None:
    results = news.search("What did Alpha Daily and Gamma Times say about the ferry?", k=3)
    assert {"Alpha Daily", "Gamma Times"} <= {p.source for p in results}
    retriever = news.retriever
    assert isinstance(retriever, HybridRetriever)
    analysis = retriever.analyse("What did Alpha Daily and Gamma Times say about the ferry?")
    assert dict(analysis.outlets) == {
        "Alpha Daily": {"Alpha Daily"},
        "Gamma Times": {"Gamma Times"},
    }


def test_fusion_weights_decide_between_keyword_and_dense(news: Assistant) -> None:
    retriever = news.retriever
    assert isinstance(retriever, HybridRetriever)
    retriever.weights = {"bm25": 1.0}
    keyword_only = [p.id for p in news.search("fares rise January", k=4)]
    bm25 = Assistant.open(news.settings.index_dir, embedder="fake", retriever="bm25")
    assert keyword_only[0] == bm25.search("fares rise January", k=1)[0].id
    retriever.weights = {"dense": 1.0}
    dense = Assistant.open(news.settings.index_dir, embedder="fake", retriever="dense")
    assert (
        news.search("fares rise January", k=1)[0].id
        == dense.search("fares rise January", k=1)[0].id
    )


def test_date_in_question_boosts_articles_from_that_day(news: Assistant) -> None:
    retriever = news.retriever
    assert isinstance(retriever, HybridRetriever)
    retriever.weights = {"bm25": 1.0, "dense": 1.0, "date": 5.0}
    [top] = news.search("What was reported about the ferry on December 1, 2023?", k=1)
    assert top.url == "https://gamma.example/bridge"


def test_keyword_index_is_rebuilt_from_chroma_when_missing(news: Assistant) -> None:
    index_dir = news.settings.index_dir
    news.keyword.close()
    for suffix in ("", "-wal", "-shm"):
        (index_dir / f"keyword.sqlite{suffix}").unlink(missing_ok=True)
    reopened = Assistant.open(index_dir, embedder="fake", retriever="bm25")
    assert reopened.keyword.count() == reopened.store.count()
    assert reopened.search("union strike pay", k=1)[0].url == "https://beta.example/strike"


def test_sample_archive_bm25(tmp_path: Path) -> None:
    a = Assistant.open(tmp_path / "ix", embedder="fake", retriever="bm25")
    a.ingest([ARCHIVE])
    assert (
        a.search("apples harvest tonnes", k=1)[0].title
        == "Orchard growers report record apple harvest"
    )


class Pinned(Signal):
    """A signal of the test's own: 1 for the passages of one article."""

    name = "pinned"

    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        self.calls = 0

    def candidates(self, query: Query) -> list[int]:
        ids = query.matrix.article_ids
        return [row for row in range(len(ids)) if ids[row] == self.article_id]

    def column(self, cands: Candidates) -> np.ndarray:
        self.calls += 1
        ids = cands.query.matrix.article_ids
        return np.array([ids[row] == self.article_id for row in cands.rows], dtype=np.float32)


def test_a_new_signal_is_one_object_weighed_by_name(news: Assistant) -> None:
    query = "ferry crews strike pay union"
    [top] = news.search(query, k=1)
    bridge = next(p for p in news.search("bridge engineers", k=10) if "bridge" in p.url)
    assert top.article_id != bridge.article_id
    pinned = Pinned(bridge.article_id)
    fitted, _, _ = load_ranker()
    args = (news.embedder, news.index, news.settings.retrieval)
    with_pin = HybridRetriever(
        *args, weights={**fitted, "pinned": 10.0}, signals=(*SIGNALS, pinned)
    )
    assert with_pin.retrieve(query, 1)[0].article_id == bridge.article_id
    assert pinned.calls == 1
    # Not weighed (ranker.json does not know it): neither computed nor adding candidates.
    unweighed = HybridRetriever(*args, signals=(*SIGNALS, pinned))
    assert unweighed.weights["pinned"] == 0.0
    assert [p.id for p in unweighed.retrieve(query, 5)] == [p.id for p in news.search(query, 5)]
    assert pinned.calls == 1


def test_the_blend_reads_its_weights_by_name(news: Assistant) -> None:
    retriever = news.retriever
    assert isinstance(retriever, HybridRetriever)
    pool = retriever.pool("What did Alpha Daily say about ferry fares?")
    assert pool.names == tuple(s.name for s in SIGNALS) and len(pool.rows) > 1
    weights = {"outlet": 0.8, "bm25": 1.0, "dense": 1.5}
    expected = sum(w * pool.signals[:, pool.names.index(n)] for n, w in weights.items())
    np.testing.assert_allclose(pool.scores(weights), expected, rtol=1e-6)
    assert pool.scores(dict(reversed(weights.items()))).tolist() == pool.scores(weights).tolist()
    # The outlet the question names is a column of its own: 1 exactly for that outlet's rows.
    named = pool.signals[:, pool.names.index("outlet")]
    sources = [pool.matrix.sources[row] for row in pool.rows]
    assert named.tolist() == [float(s == "Alpha Daily") for s in sources]


def test_ranker_json_weighs_exactly_the_signals() -> None:
    names = [s.name for s in SIGNALS]
    assert len(set(names)) == len(names)
    data = json.loads(resources.files("qa.retrieval").joinpath("ranker.json").read_text())
    assert list(data["weights"]) == names
    weights, per_article, head = load_ranker()
    assert weights == {n: float(data["weights"][n]) for n in names}
    assert (per_article, head) == (data["per_article"], data["head"])
    with pytest.raises(ValueError, match="signals that do not exist: bm52"):
        parse_ranker({"weights": {"bm25": 1.0, "bm52": 1.0}}, names)
    assert parse_ranker({"weights": {"bm25": 2.0}}, names)[0]["dense"] == 0.0

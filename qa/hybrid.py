"""The default retriever: BM25 and dense candidates, news-aware signals, a learned blend, diversity.

1. Candidates: the best BM25 and dense passages for the question, plus the best of each outlet
   the question names (so "reported by both The Verge and TechCrunch" gets evidence from each).
2. Signals per candidate: BM25 (scaled by the best score), dense cosine, whether its outlet is
   one the question names, whether its date falls in a period the question mentions.
3. A linear blend of the signals (weights in qa/ranker.json, fitted by eval/fit_ranker.py).
4. Diversity: at most `per_article` passages of one article, and each named outlet's best
   passage kept within the top k.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np

from qa.embedding import Embedder
from qa.filters import chroma_where, keyword_mask
from qa.keyword import KeywordIndex
from qa.retrieve import top_indices, with_scores
from qa.store import ChromaStore
from qa.types import Passage, SearchFilters
from qa.understand import Analysis, OutletMatcher, analyse

FEATURES = ("bm25", "dense", "outlet", "date")
POOL = 100
PER_OUTLET = 30


def load_ranker(name: str = "ranker.json") -> tuple[dict[str, float], int]:
    """The blend weights and per-article cap shipped with the package (eval/fit_ranker.py)."""
    data = json.loads(resources.files("qa").joinpath(name).read_text(encoding="utf-8"))
    return {f: float(data["weights"][f]) for f in FEATURES}, int(data.get("per_article", 2))


@dataclass
class _Candidate:
    row: int
    bm25: float = 0.0
    dense: float | None = None


class HybridRetriever:
    """Keyword + dense retrieval with outlet and date awareness and per-article diversity."""

    def __init__(
        self,
        embedder: Embedder,
        store: ChromaStore,
        keyword: KeywordIndex,
        weights: dict[str, float] | None = None,
        per_article: int | None = None,
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._keyword = keyword
        fitted_weights, fitted_cap = load_ranker()
        self.weights = weights or fitted_weights
        self.per_article = per_article or fitted_cap
        self._matcher_for: tuple[int, OutletMatcher] | None = None

    def _matcher(self, matrix: Any) -> OutletMatcher:
        key = id(matrix)
        if self._matcher_for is None or self._matcher_for[0] != key:
            self._matcher_for = (key, OutletMatcher(set(matrix.sources) - {""}))
        return self._matcher_for[1]

    def analyse(self, query: str) -> Analysis:
        """The outlets and dates `query` mentions, matched against this archive."""
        matrix = self._keyword.snapshot()
        newest = int(matrix.published_ts.max()) if len(matrix) else -1
        as_of = datetime.fromtimestamp(newest, UTC) if newest > 0 else None
        return analyse(query, self._matcher(matrix), as_of)

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        pool = self.pool(query, filters)
        rows = self.rank(pool, k)
        scores = pool.scores(self.weights)
        return with_scores(
            self._store,
            [pool.matrix.passage_ids[pool.rows[i]] for i in rows],
            [float(scores[i]) for i in rows],
        )

    def pool(self, query: str, filters: SearchFilters | None = None) -> Pool:
        """The candidate passages for `query` and their signals (independent of the weights)."""
        matrix = self._keyword.snapshot()
        analysis = self.analyse(query) if len(matrix) else Analysis()
        if len(matrix) == 0:
            return Pool(matrix, analysis, [], np.zeros((0, len(FEATURES)), dtype=np.float32))
        base = keyword_mask(filters, matrix)
        _, bm = self._keyword.scores(query, base)
        qvec = self._embedder.embed([query])[0]
        cands: dict[int, _Candidate] = {}
        self._add_keyword(cands, bm, None)
        self._add_dense(cands, matrix, qvec, filters, POOL)
        for _, group in analysis.outlets:
            mask = np.isin(matrix.sources, list(group))
            self._add_keyword(cands, bm, mask if base is None else mask & base)
            narrowed = _narrow(filters, group)
            if narrowed.sources:
                self._add_dense(cands, matrix, qvec, narrowed, PER_OUTLET)
        self._fill_dense(cands, matrix, qvec)
        return _signals(cands, bm, matrix, analysis)

    def rank(self, pool: Pool, k: int) -> list[int]:
        """Positions in `pool` of the k passages to return, best first, with diversity."""
        scores = pool.scores(self.weights)
        ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
        matrix = pool.matrix
        per_article: Counter[str] = Counter()
        chosen: list[int] = []
        for i in ranked:
            article = matrix.article_ids[pool.rows[i]]
            if per_article[article] < self.per_article:
                chosen.append(i)
                per_article[article] += 1
            if len(chosen) >= k:
                break
        # Every outlet the question names keeps its best passage within the top k.
        for _, group in pool.analysis.outlets:
            if any(matrix.sources[pool.rows[i]] in group for i in chosen):
                continue
            best = next((i for i in ranked if matrix.sources[pool.rows[i]] in group), None)
            if best is not None and chosen:
                chosen[-1] = best
                chosen.sort(key=lambda i: (-scores[i], i))
        return chosen

    def _add_keyword(
        self, cands: dict[int, _Candidate], bm: np.ndarray, mask: np.ndarray | None
    ) -> None:
        scores = bm if mask is None else np.where(mask, bm, 0.0)
        for row in top_indices(scores, POOL if mask is None else PER_OUTLET):
            cands.setdefault(row, _Candidate(row))

    def _add_dense(
        self,
        cands: dict[int, _Candidate],
        matrix: Any,
        qvec: np.ndarray,
        filters: SearchFilters | None,
        n: int,
    ) -> None:
        for p in self._store.query(qvec, n, chroma_where(filters)):
            row = matrix.row_of.get(p.id)
            if row is not None:
                cands.setdefault(row, _Candidate(row)).dense = p.score

    def _fill_dense(self, cands: dict[int, _Candidate], matrix: Any, qvec: np.ndarray) -> None:
        missing = [c for c in cands.values() if c.dense is None]
        vectors = self._store.vectors([matrix.passage_ids[c.row] for c in missing])
        for c in missing:
            vec = vectors.get(matrix.passage_ids[c.row])
            c.dense = float(vec @ qvec) if vec is not None else 0.0


@dataclass
class Pool:
    """Candidates of one query: rows of the keyword matrix and their signals (FEATURES order)."""

    matrix: Any
    analysis: Analysis
    rows: list[int]
    signals: np.ndarray

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        w = np.array([weights[f] for f in FEATURES], dtype=np.float32)
        return self.signals @ w if len(self.rows) else np.zeros(0, dtype=np.float32)


def _signals(cands: dict[int, _Candidate], bm: np.ndarray, matrix: Any, analysis: Analysis) -> Pool:
    top = float(bm.max()) or 1.0
    named = analysis.sources
    rows = sorted(cands)
    signals = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
    for i, row in enumerate(rows):
        ts = int(matrix.published_ts[row])
        in_period = ts >= 0 and any(a <= ts <= b for a, b in analysis.dates)
        signals[i] = (
            float(bm[row]) / top,
            float(cands[row].dense or 0.0),
            float(matrix.sources[row] in named),
            float(in_period),
        )
    return Pool(matrix, analysis, rows, signals)


def _narrow(filters: SearchFilters | None, group: frozenset[str]) -> SearchFilters:
    """`filters` limited to the outlets of one named group."""
    sources = group if not filters or not filters.sources else group & set(filters.sources)
    return SearchFilters(
        sources=tuple(sorted(sources)),
        authors=filters.authors if filters else (),
        since=filters.since if filters else None,
        until=filters.until if filters else None,
    )

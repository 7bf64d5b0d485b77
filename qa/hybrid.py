"""The default retriever: BM25 and dense candidates, news-aware signals, a learned blend, diversity.

1. Candidates: the best BM25 and dense passages for the question, plus the best of each outlet
   the question names (so "reported by both The Verge and TechCrunch" gets evidence from each).
2. Signals per candidate: BM25 (scaled by the best score), dense cosine, whether its outlet is
   one the question names, whether its date falls in a period the question mentions, and, for
   a passage of a named outlet, how well it matches the part of the question about that outlet;
   the same BM25 on the passage's best single sentence, which picks out the passage that holds
   the fact rather than another passage of the same article.
3. A linear blend of the signals (weights in qa/ranker.json, fitted by eval/fit_ranker.py).
4. Diversity: within the first `head` results at most `per_article` passages of one article,
   below that only articles not yet listed; each named outlet's best passage kept in the top k.

Dense scores come from the copy of the passage vectors kept in the local search index (exact
cosine over all passages, a few milliseconds), and the passages returned from its copy of their
records; Chroma stays the store of record.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import numpy as np

from qa.embedding import Embedder
from qa.filters import keyword_mask
from qa.index.keyword import KeywordIndex, sentence_scores
from qa.index.snapshot import Snapshot
from qa.index.store import ChromaStore
from qa.retrieve import top_indices, with_scores
from qa.types import Passage, SearchFilters
from qa.understand import Analysis, OutletMatcher, analyse

FEATURES = (
    "bm25",
    "dense",
    "outlet",
    "date",
    "clause_bm25",
    "clause_dense",
    "sentence",
    "clause_sentence",
)
POOL = 100
PER_OUTLET = 30


def load_ranker(name: str = "ranker.json") -> tuple[dict[str, float], int, int]:
    """The blend weights, per-article cap and the depth the cap applies to (eval/fit_ranker.py).

    Within the first `head` results an article may have `per_article` passages; below that,
    each further result comes from an article not yet listed.
    """
    data = json.loads(resources.files("qa").joinpath(name).read_text(encoding="utf-8"))
    weights = data["weights"]
    return (
        {f: float(weights.get(f, 0.0)) for f in FEATURES},
        int(data.get("per_article", 2)),
        int(data.get("head", 100)),
    )


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
        fitted_weights, fitted_cap, fitted_head = load_ranker()
        self.weights = weights or fitted_weights
        self.per_article = per_article or fitted_cap
        self.head = fitted_head
        self._matcher_for: tuple[int, OutletMatcher] | None = None

    def _matcher(self, matrix: Snapshot) -> OutletMatcher:
        key = id(matrix)
        if self._matcher_for is None or self._matcher_for[0] != key:
            self._matcher_for = (key, OutletMatcher(matrix.outlets))
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
            self._keyword,
        )

    def pool(self, query: str, filters: SearchFilters | None = None) -> Pool:
        """The candidate passages for `query` and their signals (independent of the weights)."""
        matrix = self._keyword.snapshot()
        if len(matrix) == 0:
            return Pool(matrix, Analysis(), [], np.zeros((0, len(FEATURES)), dtype=np.float32))
        analysis = self.analyse(query)
        base = keyword_mask(filters, matrix)
        _, bm = self._keyword.scores(query, base)
        with_clause = sorted(analysis.clauses)
        # Signals whose weight is zero are not computed (clause embeddings cost the most).
        w = self.weights
        embed_clauses = w.get("clause_dense", 0.0) > 0
        texts = [query] + ([analysis.clauses[i] for i in with_clause] if embed_clauses else [])
        vectors = self._embedder.embed(texts)
        # Cosines shifted to 0..2 so that passages outside a mask (set to 0) are never picked.
        dense = _masked(matrix.vectors @ vectors[0] + 1.0, base)
        cands: set[int] = set(top_indices(bm, POOL)) | set(top_indices(dense, POOL))
        # (outlets, clause BM25, clause dense, the clause when its best sentence is wanted)
        per_clause: list[tuple[frozenset[str], np.ndarray, np.ndarray | None, str | None]] = []
        for n, (_, group) in enumerate(analysis.outlets):
            mask = matrix.source_mask(group)
            if base is not None:
                mask &= base
            cands.update(top_indices(_masked(bm, mask), PER_OUTLET))
            cands.update(top_indices(_masked(dense, mask), PER_OUTLET))
            if n in analysis.clauses:
                clause = analysis.clauses[n]
                _, cbm = self._keyword.scores(clause, mask)
                cands.update(top_indices(cbm, PER_OUTLET))
                cdense = None
                if embed_clauses:
                    cvec = vectors[1 + with_clause.index(n)]
                    cdense = _masked(matrix.vectors @ cvec + 1.0, mask)
                    cands.update(top_indices(cdense, PER_OUTLET))
                wants_sentence = w.get("clause_sentence", 0.0) > 0
                per_clause.append((group, cbm, cdense, clause if wants_sentence else None))
        rows = sorted(cands)
        if not rows:
            return Pool(matrix, analysis, [], np.zeros((0, len(FEATURES)), dtype=np.float32))
        # Best-sentence scores of the candidates only (with the archive's best, to scale by).
        sent = sentence_scores(matrix, self._keyword, query, rows)
        clauses = [
            (
                group,
                cbm,
                cdense,
                None if c is None else sentence_scores(matrix, self._keyword, c, rows),
            )
            for group, cbm, cdense, c in per_clause
        ]
        return _signals(rows, bm, dense, sent, clauses, matrix, analysis)

    def rank(self, pool: Pool, k: int) -> list[int]:
        """Positions in `pool` of the k passages to return, best first, with diversity."""
        scores = pool.scores(self.weights)
        ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
        matrix = pool.matrix
        per_article: Counter[str] = Counter()
        chosen: list[int] = []
        for i in ranked:
            article = matrix.article_ids[pool.rows[i]]
            # A second passage of an article only near the top; below, only new articles.
            limit = self.per_article if len(chosen) < self.head else 1
            if per_article[article] < limit:
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


@dataclass
class Pool:
    """Candidates of one query: rows of the keyword matrix and their signals (FEATURES order)."""

    matrix: Snapshot
    analysis: Analysis
    rows: list[int]
    signals: np.ndarray

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        w = np.array([weights.get(f, 0.0) for f in FEATURES], dtype=np.float32)
        return self.signals @ w if len(self.rows) else np.zeros(0, dtype=np.float32)


# Best-sentence scores of the candidates, and the archive's best (see keyword.sentence_scores).
Sentences = tuple[np.ndarray, float]
# (outlets of a named group, clause BM25, clause dense shifted to 0..2, clause best sentence);
# the last two are None when their weights are zero.
Clause = tuple[frozenset[str], np.ndarray, np.ndarray | None, Sentences | None]


def _masked(scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """`scores` with the passages outside `mask` set to 0 (never chosen by top_indices)."""
    return scores if mask is None else np.where(mask, scores, 0.0)


def _signals(
    rows: list[int],
    bm: np.ndarray,
    dense: np.ndarray,
    sent: Sentences,
    per_clause: list[Clause],
    matrix: Snapshot,
    analysis: Analysis,
) -> Pool:
    """The FEATURES of each candidate row, each scaled to about 0..1."""
    idx = np.array(rows, dtype=np.int64)
    sources = matrix.sources[idx]
    ts = matrix.published_ts[idx]
    signals = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
    signals[:, 0] = bm[idx] / (float(bm.max()) or 1.0)
    signals[:, 1] = dense[idx] - 1.0
    signals[:, 2] = np.isin(sources, list(analysis.sources))
    for a, b in analysis.dates:
        signals[:, 3] = np.maximum(signals[:, 3], (ts >= a) & (ts <= b) & (ts >= 0))
    signals[:, 6] = sent[0] / (sent[1] or 1.0)
    for group, cbm, cdense, csent in per_clause:
        inside = np.isin(sources, list(group))
        top = float(cbm.max()) or 1.0
        if csent is not None:
            signals[:, 7] = np.where(
                inside, np.maximum(signals[:, 7], csent[0] / (csent[1] or 1.0)), signals[:, 7]
            )
        signals[:, 4] = np.where(inside, np.maximum(signals[:, 4], cbm[idx] / top), signals[:, 4])
        if cdense is not None:
            signals[:, 5] = np.where(
                inside, np.maximum(signals[:, 5], cdense[idx] - 1.0), signals[:, 5]
            )
    return Pool(matrix, analysis, rows, signals)

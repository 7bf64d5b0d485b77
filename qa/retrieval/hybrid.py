"""The default retriever: BM25 and dense candidates, news-aware signals, a learned blend, diversity.

1. Candidates: the best BM25 and dense passages for the question, plus the best of each outlet
   the question names (so "reported by both The Verge and TechCrunch" gets evidence from each).
2. Signals per candidate (qa.retrieval.signals, one named object each): BM25 (scaled by the
   best score), dense cosine, whether its outlet is one the question names, whether its date
   falls in a period the question mentions, and, for a passage of a named outlet, how well it
   matches the part of the question about that outlet; the same BM25 on the passage's best
   single sentence, which picks out the passage that holds the fact rather than another
   passage of the same article.
3. A linear blend of the signals (weights by signal name in ranker.json, beside this module,
   fitted by eval/fit_ranker.py).
4. Diversity: within the first `head` results at most `per_article` passages of one article,
   below that only articles not yet listed; each named outlet's best passage kept in the top k.

Dense scores come from the copy of the passage vectors kept in the local search index (exact
cosine over all passages, a few milliseconds), and the passages returned from its copy of their
records; Chroma stays the store of record.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np

from qa.config import RetrievalSettings
from qa.embedding import Embedder
from qa.index.passage_index import PassageIndex
from qa.index.snapshot import Snapshot
from qa.retrieval.filters import keyword_mask
from qa.retrieval.retrieve import with_scores
from qa.retrieval.signals import SIGNALS, Candidates, Signal, search
from qa.retrieval.understand import Analysis, OutletMatcher, analyse
from qa.types import Passage, SearchFilters


def load_ranker(
    signals: Sequence[Signal] = SIGNALS, name: str = "ranker.json"
) -> tuple[dict[str, float], int, int]:
    """The blend weights by signal name, the per-article cap and the depth the cap applies to,
    from the file `name` beside this module (fitted by eval/fit_ranker.py); see `parse_ranker`.
    """
    text = resources.files("qa.retrieval").joinpath(name).read_text(encoding="utf-8")
    return parse_ranker(json.loads(text), [s.name for s in signals], name)


def parse_ranker(
    data: Mapping[str, Any], names: Sequence[str], origin: str = "ranker.json"
) -> tuple[dict[str, float], int, int]:
    """The weights of the signals `names` (0 for one `data` does not weigh), the per-article
    cap and its depth. Raises ValueError for a weight of a signal not in `names` (a misspelt
    name would otherwise weigh nothing, silently).

    Within the first `head` results an article may have `per_article` passages; below that,
    each further result comes from an article not yet listed.
    """
    weights = data["weights"]
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(f"{origin} weighs signals that do not exist: {', '.join(unknown)}")
    return (
        {n: float(weights.get(n, 0.0)) for n in names},
        int(data.get("per_article", 2)),
        int(data.get("head", 100)),
    )


class HybridRetriever:
    """Keyword + dense retrieval with outlet and date awareness and per-article diversity."""

    def __init__(
        self,
        embedder: Embedder,
        index: PassageIndex,
        settings: RetrievalSettings,
        weights: Mapping[str, float] | None = None,
        signals: Sequence[Signal] = SIGNALS,
    ) -> None:
        """`weights` by signal name replace the fitted ones; `signals` are the blend's columns
        (qa.retrieval.signals.SIGNALS; tests add their own)."""
        self._embedder = embedder
        self._store = index.store
        self._keyword = index.keyword
        self.signals = tuple(signals)
        fitted_weights, fitted_cap, fitted_head = load_ranker(self.signals)
        self.weights = dict(weights or fitted_weights)
        self.per_article = settings.per_article or fitted_cap
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
        """The candidate passages for `query` and their signals (independent of the weights,
        except that signals weighing 0 are neither computed nor add candidates)."""
        matrix = self._keyword.snapshot()
        names = tuple(s.name for s in self.signals)
        empty = np.zeros((0, len(names)), dtype=np.float32)
        if len(matrix) == 0:
            return Pool(matrix, Analysis(), [], empty, names)
        active = [s for s in self.signals if self.weights.get(s.name, 0.0) != 0.0]
        q = search(
            query,
            self.analyse(query),
            matrix,
            self._keyword,
            self._embedder,
            keyword_mask(filters, matrix),
            clause_vectors=any(s.wants_clause_vectors for s in active),
        )
        rows = sorted({row for s in active for row in s.candidates(q)})
        if not rows:
            return Pool(matrix, q.analysis, [], empty, names)
        cands = Candidates(q, rows)
        columns = np.zeros((len(rows), len(names)), dtype=np.float32)
        for j, signal in enumerate(self.signals):
            if signal in active:
                columns[:, j] = signal.column(cands)
        return Pool(matrix, q.analysis, rows, columns, names)

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
    """Candidates of one query: rows of the keyword matrix and their signals (one column per
    signal, named by `names`)."""

    matrix: Snapshot
    analysis: Analysis
    rows: list[int]
    signals: np.ndarray
    names: tuple[str, ...]

    def scores(self, weights: Mapping[str, float]) -> np.ndarray:
        """The blend: each candidate's signals weighed by name."""
        w = np.array([weights.get(n, 0.0) for n in self.names], dtype=np.float32)
        return self.signals @ w if len(self.rows) else np.zeros(0, dtype=np.float32)

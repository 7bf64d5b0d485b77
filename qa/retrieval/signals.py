"""The hybrid retriever's signals: each one names itself, may add candidates, computes its column.

A question is first searched once over the whole archive (`search`: BM25, dense cosine, and the
same for the part of the question about each outlet it names); every signal reads that
`Query`. Signals whose weight is not zero add the passages they want considered
(`Signal.candidates`), then each computes one value per candidate (`Signal.column`, scaled to
about 0..1). The blend multiplies the columns by the weights of ``ranker.json``, read by name.

Adding a signal: write its class here, put an instance in `SIGNALS`, and give it a weight in
``ranker.json`` (refit with ``python -m eval.fit_ranker``, which tries every signal in
`SIGNALS`). A signal missing from ``ranker.json`` has weight 0 and is never computed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from qa.embedding import Embedder
from qa.index.keyword import KeywordIndex, sentence_scores
from qa.index.snapshot import Snapshot
from qa.retrieval.retrieve import top_indices
from qa.retrieval.understand import Analysis

POOL = 100  # candidates from each whole-archive search
PER_OUTLET = 30  # candidates from each search within one named outlet


@dataclass
class Clause:
    """The part of a question about one named outlet, searched within that outlet's passages."""

    outlets: frozenset[str]
    text: str
    bm25: np.ndarray  # BM25 of every passage (0 outside the outlet and the filters)
    dense: np.ndarray | None  # cosine + 1 likewise; None unless a signal wants it


@dataclass
class Query:
    """One question searched over the whole archive: what every signal reads.

    Dense scores are cosines shifted to 0..2, so that passages outside a mask (set to 0) are
    never picked as candidates.
    """

    text: str
    matrix: Snapshot  # the keyword index's snapshot
    keyword: KeywordIndex
    analysis: Analysis
    bm25: np.ndarray
    dense: np.ndarray
    outlets: list[np.ndarray]  # per outlet mention: its passages within the filters
    clauses: list[Clause]


@dataclass
class Candidates:
    """The passages a query's signals are computed for: rows of the snapshot."""

    query: Query
    rows: list[int]
    _best: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.idx = np.array(self.rows, dtype=np.int64)
        self.sources = self.query.matrix.sources[self.idx]
        self.published_ts = self.query.matrix.published_ts[self.idx]

    def best_sentences(self, text: str) -> tuple[np.ndarray, float]:
        """BM25 of each candidate's best sentence for `text`, and the archive's best such score
        (what it is scaled by; qa.index.keyword.sentence_scores)."""
        if text not in self._best:
            q = self.query
            self._best[text] = sentence_scores(q.matrix, q.keyword, text, self.rows)
        return self._best[text]


class Signal(ABC):
    """One column of the blend: a named, scaled score of every candidate passage."""

    name: ClassVar[str]
    # Whether `search` must embed the part of the question about each named outlet (it costs).
    wants_clause_vectors: ClassVar[bool] = False

    def candidates(self, query: Query) -> Iterable[int]:
        """Snapshot rows this signal wants considered (none by default)."""
        return ()

    @abstractmethod
    def column(self, cands: Candidates) -> np.ndarray:
        """One value per candidate, about 0..1."""


class BM25(Signal):
    """BM25 of the passage (with its title and outlet), scaled by the archive's best."""

    name = "bm25"

    def candidates(self, query: Query) -> Iterable[int]:
        return _best_overall_and_per_outlet(query.bm25, query)

    def column(self, cands: Candidates) -> np.ndarray:
        bm = cands.query.bm25
        return bm[cands.idx] / (float(bm.max()) or 1.0)


class Dense(Signal):
    """Cosine of the passage's vector to the question's."""

    name = "dense"

    def candidates(self, query: Query) -> Iterable[int]:
        return _best_overall_and_per_outlet(query.dense, query)

    def column(self, cands: Candidates) -> np.ndarray:
        return cands.query.dense[cands.idx] - 1.0


class Outlet(Signal):
    """1 when the passage's outlet is one the question names."""

    name = "outlet"

    def column(self, cands: Candidates) -> np.ndarray:
        named = list(cands.query.analysis.sources)
        return np.isin(cands.sources, named).astype(np.float32)


class Date(Signal):
    """1 when the passage was published in a period the question mentions."""

    name = "date"

    def column(self, cands: Candidates) -> np.ndarray:
        ts = cands.published_ts
        col = np.zeros(len(cands.rows), dtype=np.float32)
        for a, b in cands.query.analysis.dates:
            col = np.maximum(col, (ts >= a) & (ts <= b) & (ts >= 0))
        return col


class Sentence(Signal):
    """BM25 of the passage's best single sentence: picks out the passage that holds the fact."""

    name = "sentence"

    def column(self, cands: Candidates) -> np.ndarray:
        best, top = cands.best_sentences(cands.query.text)
        return best / (top or 1.0)


class _PerClause(Signal):
    """A score of a named outlet's passages for the part of the question about that outlet
    (0 for passages of other outlets; the best over the clauses of an outlet named twice)."""

    def column(self, cands: Candidates) -> np.ndarray:
        col = np.zeros(len(cands.rows), dtype=np.float32)
        for clause in cands.query.clauses:
            scores = self.clause_scores(clause, cands)
            if scores is None:
                continue
            inside = np.isin(cands.sources, list(clause.outlets))
            col[:] = np.where(inside, np.maximum(col, scores), col)
        return col

    @abstractmethod
    def clause_scores(self, clause: Clause, cands: Candidates) -> np.ndarray | None:
        """The clause's score of each candidate, or None when it has none."""


class ClauseBM25(_PerClause):
    name = "clause_bm25"

    def candidates(self, query: Query) -> Iterable[int]:
        for clause in query.clauses:
            yield from top_indices(clause.bm25, PER_OUTLET)

    def clause_scores(self, clause: Clause, cands: Candidates) -> np.ndarray:
        return clause.bm25[cands.idx] / (float(clause.bm25.max()) or 1.0)


class ClauseDense(_PerClause):
    name = "clause_dense"
    wants_clause_vectors = True

    def candidates(self, query: Query) -> Iterable[int]:
        for clause in query.clauses:
            if clause.dense is not None:
                yield from top_indices(clause.dense, PER_OUTLET)

    def clause_scores(self, clause: Clause, cands: Candidates) -> np.ndarray | None:
        return None if clause.dense is None else clause.dense[cands.idx] - 1.0


class ClauseSentence(_PerClause):
    name = "clause_sentence"

    def clause_scores(self, clause: Clause, cands: Candidates) -> np.ndarray:
        best, top = cands.best_sentences(clause.text)
        return best / (top or 1.0)


# The blend's columns, in this order (its weights are read by name).
SIGNALS: tuple[Signal, ...] = (
    BM25(),
    Dense(),
    Outlet(),
    Date(),
    ClauseBM25(),
    ClauseDense(),
    Sentence(),
    ClauseSentence(),
)


def _best_overall_and_per_outlet(scores: np.ndarray, query: Query) -> Iterator[int]:
    """The best POOL rows by `scores`, then the best PER_OUTLET of each outlet the question
    names."""
    yield from top_indices(scores, POOL)
    for mask in query.outlets:
        yield from top_indices(masked(scores, mask), PER_OUTLET)


def masked(scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """`scores` with the passages outside `mask` set to 0 (never chosen by top_indices)."""
    return scores if mask is None else np.where(mask, scores, 0.0)


def search(
    text: str,
    analysis: Analysis,
    matrix: Snapshot,
    keyword: KeywordIndex,
    embedder: Embedder,
    base: np.ndarray | None,
    clause_vectors: bool,
) -> Query:
    """Search `text` over the passages of `base` (None: all), and each part of it about a named
    outlet over that outlet's; the clauses are embedded only when `clause_vectors`."""
    _, bm = keyword.scores(text, base)
    with_clause = sorted(analysis.clauses)
    texts = [text] + ([analysis.clauses[i] for i in with_clause] if clause_vectors else [])
    vectors = embedder.embed(texts)
    dense = masked(matrix.vectors @ vectors[0] + 1.0, base)
    outlets: list[np.ndarray] = []
    clauses: list[Clause] = []
    for n, (_, group) in enumerate(analysis.outlets):
        mask = matrix.source_mask(group)
        if base is not None:
            mask &= base
        outlets.append(mask)
        if n in analysis.clauses:
            clause = analysis.clauses[n]
            _, cbm = keyword.scores(clause, mask)
            cdense = None
            if clause_vectors:
                cvec = vectors[1 + with_clause.index(n)]
                cdense = masked(matrix.vectors @ cvec + 1.0, mask)
            clauses.append(Clause(group, clause, cbm, cdense))
    return Query(text, matrix, keyword, analysis, bm, dense, outlets, clauses)

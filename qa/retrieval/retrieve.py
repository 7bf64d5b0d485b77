"""Retrievers: dense (Chroma), keyword (BM25), and the news-aware hybrid used by default."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from qa.embedding import Embedder
from qa.index.keyword import KeywordIndex
from qa.index.passage_index import PassageIndex
from qa.index.store import ChromaStore
from qa.retrieval.filters import chroma_where, keyword_mask
from qa.types import Passage, SearchFilters


class Retriever(Protocol):
    """Anything that ranks passages for a query (implement `retrieve`)."""

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        """The k best passages for `query`, best first, each with its score."""
        ...


class DenseRetriever:
    """Nearest passages by cosine similarity of embeddings, from Chroma."""

    def __init__(self, embedder: Embedder, store: ChromaStore) -> None:
        self._embedder = embedder
        self._store = store

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        vector = self._embedder.embed([query])[0]
        return self._store.query(vector, k, chroma_where(filters))


class KeywordRetriever:
    """BM25 over passage text with its title and outlet."""

    def __init__(self, index: PassageIndex) -> None:
        self._keyword = index.keyword
        self._store = index.store

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        matrix = self._keyword.snapshot()
        _, scores = self._keyword.scores(query, keyword_mask(filters, matrix))
        top = top_indices(scores, k)
        return with_scores(
            self._store,
            [matrix.passage_ids[i] for i in top],
            [float(scores[i]) for i in top],
            self._keyword,
        )


def top_indices(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k largest positive scores, best first."""
    if len(scores) == 0 or k <= 0:
        return []
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    ordered = part[np.argsort(-scores[part], kind="stable")]
    return [int(i) for i in ordered if scores[i] > 0]


def read_passages(
    keyword: KeywordIndex | None, store: ChromaStore, ids: Sequence[str]
) -> dict[str, Passage]:
    """The passages of `ids` by id: from the local index's records, the rest from the store."""
    found = keyword.passages(ids) if keyword is not None else {}
    rest = [i for i in ids if i not in found]
    if rest:
        found.update((p.id, p) for p in store.get(rest))
    return found


def with_scores(
    store: ChromaStore,
    ids: Sequence[str],
    scores: Sequence[float],
    keyword: KeywordIndex | None = None,
) -> list[Passage]:
    """Passages for `ids` (read as `read_passages` does), in order, carrying `scores`."""
    found = read_passages(keyword, store, ids)
    return [
        dataclasses.replace(found[pid], score=round(score, 6))
        for pid, score in zip(ids, scores, strict=True)
        if pid in found
    ]

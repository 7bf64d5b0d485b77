"""Retrievers: rank stored passages for a query."""

from __future__ import annotations

from typing import Protocol

from qa.embedding import Embedder
from qa.store import ChromaStore
from qa.types import Passage


class Retriever(Protocol):
    """Anything that ranks passages for a query (implement `retrieve`)."""

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The k best passages for `query`, best first, each with its score."""
        ...


class DenseRetriever:
    """Nearest passages by cosine similarity of embeddings, from Chroma."""

    def __init__(self, embedder: Embedder, store: ChromaStore) -> None:
        self._embedder = embedder
        self._store = store

    def retrieve(self, query: str, k: int) -> list[Passage]:
        vector = self._embedder.embed([query])[0]
        return self._store.query(vector, k)

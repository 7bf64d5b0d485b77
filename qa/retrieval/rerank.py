"""Reranking: a pluggable stage after retrieval; a sentence-transformers CrossEncoder when one is
configured (no cross-encoder ships in a PyPI package, so the default pipeline has none)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from qa.errors import ModelError
from qa.retrieval.retrieve import Retriever
from qa.types import Passage, SearchFilters


class Reranker(Protocol):
    """Anything that scores (query, passage) pairs; higher is more relevant."""

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        """One relevance score per passage."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder read from a local folder."""

    def __init__(self, path: Path, batch_size: int = 16) -> None:
        if not path.is_dir():
            raise ModelError(
                f"Reranker model folder not found: {path}",
                "set NEWSDESK_RERANKER_MODEL_PATH to a sentence-transformers CrossEncoder folder",
            )
        from sentence_transformers import CrossEncoder

        try:
            self._model = CrossEncoder(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; report them as one
            raise ModelError(f"Could not load the reranker at {path}: {exc}") from exc
        self._batch_size = batch_size

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        pairs = [(query, f"{p.title}\n{p.text}") for p in passages]
        return [float(s) for s in self._model.predict(pairs, batch_size=self._batch_size)]


class RerankingRetriever:
    """Retrieves `depth` passages with `base`, then orders them by the reranker's scores."""

    def __init__(self, base: Retriever, reranker: Reranker, depth: int) -> None:
        self._base = base
        self._reranker = reranker
        self._depth = depth

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        candidates = self._base.retrieve(query, max(k, self._depth), filters)
        if not candidates:
            return []
        scores = self._reranker.score(query, candidates)
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
        return [dataclasses.replace(candidates[i], score=round(scores[i], 6)) for i in order[:k]]

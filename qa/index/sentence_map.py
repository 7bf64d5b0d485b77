"""A learned correction of stored sentence vectors towards each sentence embedded on its own.

A stored sentence vector is pooled from its passage's forward pass (qa.onnx_embedder), so it
carries the passage's context: on 11,358 sentences of MultiHop articles it has a mean cosine of
0.66 with the same sentence embedded alone. A linear map of the pooled vector and its passage's
vector, ``[sentence, passage] @ W``, removes much of that context (0.77 on those sentences, 0.79
on BBC articles it never saw) at the cost of one matrix product per answer. The answerer ranks
sentences with the mapped vectors and embeds the best few alone (qa.answers.reading).

W is fitted by ridge regression (`fit`) on (pooled, passage, alone) triples of one embedder's
vector space, by ``python -m eval.fit_sentence_map``; the maps that ship live in
``qa/index/sentence_maps/`` and are named after their space. No map for a space: the stored
vectors are used as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

MAPS = Path(__file__).parent / "sentence_maps"


def map_file(space: str) -> Path:
    """Where the map of a vector space ('all-MiniLM-L6-v2/int8') is kept."""
    return MAPS / (space.replace("/", "--") + ".npz")


class SentenceMap:
    """``[sentence, passage] @ W``, normalised: (2 * dim, dim) weights."""

    def __init__(self, weights: np.ndarray, meta: dict[str, Any] | None = None) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)
        self.meta = meta or {}
        self.dim = self.weights.shape[1]
        if self.weights.shape[0] != 2 * self.dim:
            raise ValueError(f"a sentence map has 2 x dim rows, not {self.weights.shape}")

    @classmethod
    def for_space(cls, space: str | None) -> SentenceMap | None:
        """The map shipped for `space`, or None."""
        if not space:
            return None
        path = map_file(space)
        if not path.is_file():
            return None
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> SentenceMap:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["weights"], json.loads(str(data["meta"])))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez(
                f, weights=self.weights.astype(np.float16), meta=np.array(json.dumps(self.meta))
            )

    def apply(self, sentences: np.ndarray, passage: np.ndarray) -> np.ndarray:
        """The mapped, unit-length vectors of stored `sentences` (n, dim), given their passage's
        own vector: one (dim,) for all of them, or one row each (n, dim)."""
        if not len(sentences):
            return sentences
        n = len(sentences)
        x = np.hstack([sentences, np.broadcast_to(passage, (n, self.dim))]) @ self.weights
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return np.asarray(x / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def fit(pooled: np.ndarray, passages: np.ndarray, alone: np.ndarray, ridge: float) -> np.ndarray:
    """W minimising ``|[pooled, passages] @ W - alone|^2 + ridge |W|^2``: one row per sentence,
    `passages` holding its passage's vector."""
    x = np.hstack([pooled, passages]).astype(np.float64)
    gram = x.T @ x + ridge * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ alone.astype(np.float64)).astype(np.float32)


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The mean cosine of two row-aligned sets of vectors."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-9)
    return float((a * b).sum(axis=1).mean())

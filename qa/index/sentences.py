"""Sentence vectors of passages: computed once at ingest, stored compactly, read by answerers.

An answer scores the sentences of its passages against the question by embedding similarity.
Ingest computes each passage's sentence vectors from the passage's own forward pass (the mean of
its tokens' outputs inside each sentence, qa.onnx_embedder) and the keyword index stores them
beside the passage, so a question embeds only itself and its claims.

Stored form (`pack`), per passage: the sentences' (start, end) in the passage text as uint16,
then one float16 scale and `dim` int8 values per sentence (symmetric, per vector: cosine to the
float vector above 0.9999). About 0.4 KB per sentence of a 384-d model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from qa.index.sentence_map import SentenceMap
from qa.text import sentence_spans
from qa.types import Passage

Stored = tuple[np.ndarray, np.ndarray]  # spans (n, 2) int64, vectors (n, dim) float32
_MAX = 65535


def spans_of(text: str) -> list[tuple[int, int]]:
    """The sentences whose vectors are stored for a passage of `text` (the answerer's)."""
    return list(sentence_spans(text))


def pack(spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> bytes | None:
    """A passage's sentence spans and vectors as one blob (None when there are none, or a span
    lies beyond what uint16 holds)."""
    n = len(spans)
    if not n or max(e for _, e in spans) > _MAX:
        return None
    vectors = np.asarray(vectors, dtype=np.float32).reshape(n, -1)
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float16)
    codes = np.clip(np.rint(vectors / scale.astype(np.float32)[:, None]), -127, 127)
    return b"".join(
        (
            np.array([n], dtype=np.uint16).tobytes(),
            np.asarray(spans, dtype=np.uint16).tobytes(),
            scale.tobytes(),
            codes.astype(np.int8).tobytes(),
        )
    )


def unpack(blob: bytes) -> Stored:
    """`pack`'s blob as (spans, unit-length float32 vectors)."""
    n = int(np.frombuffer(blob, dtype=np.uint16, count=1)[0])
    spans = np.frombuffer(blob, dtype=np.uint16, count=2 * n, offset=2).reshape(n, 2)
    at = 2 + 4 * n
    scale = np.frombuffer(blob, dtype=np.float16, count=n, offset=at).astype(np.float32)
    codes = np.frombuffer(blob, dtype=np.int8, offset=at + 2 * n).reshape(n, -1)
    vectors = codes.astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms > 0, norms, 1.0)
    return spans.astype(np.int64), vectors


class _Embeds(Protocol):
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceVectors:
    """The answerers' one source of sentence vectors: stored ones when the index holds them
    for a passage, embedded ones otherwise (an index made before they were stored, passages
    another process wrote to a shared Chroma, or a sentence the answerer cut differently).

    `stored` reads the stored vectors of passages by id (qa.index.keyword.KeywordIndex.
    sentence_vectors); without it every sentence is embedded, as before they were stored. With a
    `mapping` (qa.index.sentence_map) and `passages` (the passages' own vectors by id), stored
    vectors are mapped towards the sentences embedded alone before they are returned.
    """

    def __init__(
        self,
        embedder: _Embeds,
        stored: Callable[[Sequence[str]], Mapping[str, Stored]] | None = None,
        passages: Callable[[Sequence[str]], Mapping[str, np.ndarray]] | None = None,
        mapping: SentenceMap | None = None,
    ) -> None:
        self._embedder = embedder
        self._stored = stored
        self._passages = passages
        self._mapping = mapping

    def vectors(self, sentences: Sequence[tuple[Passage, int, int]]) -> np.ndarray:
        """One unit-length vector per (passage, start, end) sentence of a passage's text."""
        return self.vectors_and_source(sentences)[0]

    def vectors_and_source(
        self, sentences: Sequence[tuple[Passage, int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """`vectors`, and for each sentence whether its vector was the stored one (pooled from
        its passage's forward pass) rather than the sentence embedded on its own."""
        out = np.zeros((len(sentences), self._embedder.dim), dtype=np.float32)
        found: Mapping[str, Stored] = {}
        if self._stored is not None and sentences:
            found = self._stored(list(dict.fromkeys(p.id for p, _, _ in sentences)))
            if self._passages is not None and self._mapping is not None and found:
                own = self._passages(list(found))
                mapping = self._mapping
                found = {
                    pid: (spans, mapping.apply(vectors, own[pid]) if pid in own else vectors)
                    for pid, (spans, vectors) in found.items()
                }
        lookup = {
            pid: {(int(a), int(b)): k for k, (a, b) in enumerate(spans)}
            for pid, (spans, _) in found.items()
        }
        missing: list[int] = []
        for i, (passage, start, end) in enumerate(sentences):
            k = lookup.get(passage.id, {}).get((start, end))
            if k is None:
                missing.append(i)
            else:
                out[i] = found[passage.id][1][k]
        stored = np.ones(len(sentences), dtype=bool)
        if missing:
            texts = [sentences[i][0].text[sentences[i][1] : sentences[i][2]] for i in missing]
            out[missing] = self._embedder.embed(texts)
            stored[missing] = False
        return out, stored

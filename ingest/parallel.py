"""Chunking and embedding in worker processes (`newsdesk ingest --workers N`).

The main process reads files, decides what is new (catalog, wire copies) and writes; each batch
of new articles goes to a worker, which splits them into passages and embeds them, so N batches
are embedded at once while the main process reads and writes. Workers are started with `spawn`
(never `fork`: torch's threads do not survive it) and each builds its own embedder from the
settings, with the machine's cores shared between them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ingest.chunk import Chunk, Chunker
    from qa.embedding import Embedder
    from qa.types import Article

Setup = Callable[[], "tuple[Chunker, Embedder]"]
# Passages per article, every passage's vector, and its sentences' vectors
# (qa.index.sentences.pack; None when the embedder does not give them).
Prepared = tuple[list[list["Chunk"]], np.ndarray, list[bytes | None]]

_worker: tuple[Chunker, Embedder] | None = None


def prepare(chunker: Chunker, embedder: Embedder, items: Sequence[tuple[Article, str]]) -> Prepared:
    """Each (article, content hash) split into passages, and every passage's vector in order,
    with its sentences' vectors from the same forward pass when the embedder gives them."""
    chunks = [chunker.split(article, digest) for article, digest in items]
    return (chunks, *embed_chunks(embedder, [c for cs in chunks for c in cs]))


def embed_chunks(embedder: Embedder, chunks: Sequence[Chunk]) -> tuple[np.ndarray, list[Any]]:
    """The vectors of passages (their embedded texts) and, from the same forward pass when the
    embedder gives them, their sentences' vectors packed for storage (qa.index.sentences.pack)."""
    from qa.index.sentences import pack, spans_of

    texts = [c.embed_text for c in chunks]
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), []
    with_sentences = getattr(embedder, "embed_with_sentences", None)
    if with_sentences is None:
        return embedder.embed(texts), [None] * len(texts)
    spans = [spans_of(c.passage.text) for c in chunks]
    # The passage text ends its embedded text (after the header line).
    shifted = [
        [(s + len(t) - len(c.passage.text), e + len(t) - len(c.passage.text)) for s, e in sp]
        for c, t, sp in zip(chunks, texts, spans, strict=True)
    ]
    vectors, sentences = with_sentences(texts, shifted)
    return vectors, [pack(sp, v) for sp, v in zip(spans, sentences, strict=True)]


def _init(setup: Setup) -> None:
    global _worker
    _worker = setup()


def _prepare_in_worker(items: Sequence[tuple[Article, str]]) -> Prepared:
    assert _worker is not None, "worker not initialised"
    return prepare(*_worker, items)


class PreparePool:
    """N worker processes that chunk and embed batches of articles."""

    def __init__(self, setup: Setup, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(setup,),
        )

    def submit(self, items: Sequence[tuple[Article, str]]) -> Future[Prepared]:
        return self._pool.submit(_prepare_in_worker, list(items))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class PrepareThread:
    """One thread that chunks and embeds the next batch while the caller writes the last.

    The model's forward pass releases the GIL and the writes (Chroma, SQLite) mostly wait on
    C code, so on a small machine the two overlap instead of taking turns; batches are still
    written in the order read (ingest.pipeline), so crash safety is unchanged."""

    workers = 1

    def __init__(self, chunker: Chunker, embedder: Embedder) -> None:
        self._chunker = chunker
        self._embedder = embedder
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-embed")

    def submit(self, items: Sequence[tuple[Article, str]]) -> Future[Prepared]:
        return self._pool.submit(prepare, self._chunker, self._embedder, list(items))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

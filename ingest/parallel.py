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
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ingest.chunk import Chunk, Chunker
    from qa.embedding import Embedder
    from qa.types import Article

Setup = Callable[[], "tuple[Chunker, Embedder]"]
Prepared = tuple[list[list["Chunk"]], np.ndarray]

_worker: tuple[Chunker, Embedder] | None = None


def prepare(chunker: Chunker, embedder: Embedder, items: Sequence[tuple[Article, str]]) -> Prepared:
    """Each (article, content hash) split into passages, and every passage's vector in order."""
    chunks = [chunker.split(article, digest) for article, digest in items]
    texts = [c.embed_text for cs in chunks for c in cs]
    vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    return chunks, vectors


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

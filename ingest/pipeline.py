"""The ingest pipeline: read -> skip unchanged -> chunk -> embed -> upsert, in crash-safe batches.

Passage ids are derived from the article id and its content hash, and passages of a new
version are written before the old version's are deleted, so a run killed at any moment and
then repeated ends with the same index as one uninterrupted run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunk import Chunk, Chunker
from ingest.normalise import content_hash
from ingest.readers import iter_files, read_path
from qa.embedding import Embedder
from qa.errors import IngestError
from qa.store import ChromaStore, StoredChunk
from qa.types import Article, IngestReport

BATCH_ARTICLES = 64

Progress = Callable[["IngestProgress"], None]


@dataclass
class IngestProgress:
    """Running totals, handed to the progress callback after every batch and failure."""

    articles: int = 0
    passages: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def report(self) -> IngestReport:
        return IngestReport(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            duplicate=self.duplicate,
            passages=self.passages,
            failures=list(self.failures),
            seconds=round(time.perf_counter() - self.started, 3),
        )


def article_hash(article: Article) -> str:
    return content_hash(
        article.title,
        article.body,
        article.source,
        article.author,
        article.published_at,
        article.url,
    )


def iter_articles(paths: Iterable[str | Path], state: IngestProgress) -> Iterator[Article]:
    """Articles from every file under `paths`; errors are recorded in `state` and skipped."""
    for item in iter_files(paths):
        if isinstance(item, IngestError):
            state.failures.append(str(item))
            continue
        for result in read_path(item):
            if isinstance(result, IngestError):
                state.failures.append(str(result))
            else:
                yield result


def _batches(articles: Iterator[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    embedder: Embedder,
    store: ChromaStore,
    chunker: Chunker,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every article under `paths`; returns what was added, updated, skipped and failed."""
    state = IngestProgress()
    seen: set[str] = set()
    for batch in _batches(iter_articles(paths, state), BATCH_ARTICLES):
        _ingest_batch(batch, seen, state, embedder, store, chunker)
        if progress:
            progress(state)
    return state.report()


def _ingest_batch(
    batch: list[Article],
    seen: set[str],
    state: IngestProgress,
    embedder: Embedder,
    store: ChromaStore,
    chunker: Chunker,
) -> None:
    stored = store.article_versions([a.id for a in batch if a.id not in seen])
    todo: list[tuple[Article, str, list[Chunk], bool]] = []
    for article in batch:
        state.articles += 1
        if article.id in seen:
            state.duplicate += 1
            continue
        seen.add(article.id)
        digest = article_hash(article)
        prior = stored.get(article.id, {})
        written, expected = prior.get(digest, (0, -1))
        if len(prior) == 1 and written == expected:
            state.unchanged += 1
            continue
        is_update = any(h != digest for h in prior)
        todo.append((article, digest, chunker.split(article, digest), is_update))
    vectors = embedder.embed([c.embed_text for _, _, chunks, _ in todo for c in chunks])
    row = 0
    for article, digest, chunks, is_update in todo:
        items = [
            StoredChunk(c.passage, vectors[row + i], digest, i, len(chunks))
            for i, c in enumerate(chunks)
        ]
        row += len(chunks)
        # New version first, then drop the old one: a crash in between leaves both, and the
        # next run finishes the job instead of losing the article.
        store.upsert(items)
        if is_update:
            store.delete_article_passages(article.id, keep_hash=digest)
            state.updated += 1
        else:
            state.added += 1
        state.passages += len(chunks)

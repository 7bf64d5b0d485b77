"""The ingest pipeline: read -> skip unchanged -> fold wire copies -> chunk -> embed -> store.

Crash safety: passage ids derive from the article id and its content hash; a batch's passages
are written to Chroma before the catalog records them, and a new version's passages are written
before the old version's are deleted. A run killed at any moment and then repeated therefore ends
with the same index as one uninterrupted run: no duplicated passages and no missing article.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest import failpoints
from ingest.catalog import Catalog, CatalogEntry
from ingest.chunk import Chunk, Chunker
from ingest.dedup import NearDuplicates, signature
from ingest.normalise import content_hash
from ingest.parallel import Prepared, PreparePool, PrepareThread, Setup
from ingest.readers import estimate_records, iter_files, read_path
from qa.embedding import Embedder
from qa.errors import IngestError
from qa.index.passage_index import PassageIndex
from qa.index.records import StoredChunk
from qa.types import Article, IngestReport, Passage

BATCH_ARTICLES = 32
# The first batches are smaller (1, 2, 4, ... articles), so progress shows from the first
# articles on rather than after a whole batch has been read, chunked and embedded.
FIRST_BATCH = 1
# Batches whose stored versions one read of a Chroma server answers (see _with_stored).
LOOKAHEAD = 8

Progress = Callable[["IngestProgress"], None]


@dataclass
class IngestProgress:
    """Running totals, handed to the progress callback after every batch (and as articles are
    read). `articles` counts the articles planned (to write, unchanged or duplicate), `written`
    those whose batch is done, `read` the articles and failed records read so far; `done` adds
    the failures to `written`."""

    total: int | None = None
    articles: int = 0
    read: int = 0
    written: int = 0  # articles whose batch is written (or found unchanged)
    passages: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def fail(self, error: IngestError) -> None:
        """Record a file or record that could not be read."""
        self.errors.append(error)
        self.failures.append(str(error))

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def done(self) -> int:
        """Articles whose batch is done plus records that failed: what progress counts against
        `total`."""
        return self.written + len(self.failures)

    def report(self) -> IngestReport:
        return IngestReport(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            duplicate=self.duplicate,
            passages=self.passages,
            failures=list(self.failures),
            seconds=round(self.elapsed, 3),
            failed_items=[
                {"path": e.path, "record": e.record, "reason": e.reason} for e in self.errors
            ],
        )


@dataclass
class _Plan:
    """What one batch will write."""

    new: list[tuple[Article, str, np.ndarray, CatalogEntry | None]] = field(default_factory=list)
    copies: list[tuple[Article, str, str]] = field(default_factory=list)  # (copy, hash, twin id)
    known: list[CatalogEntry] = field(default_factory=list)  # stored already, new to the catalog
    size: int = 0  # the batch's articles


@dataclass
class _Known:
    """What is known of a batch's articles before planning it (see Ingestor._with_stored)."""

    entries: dict[str, CatalogEntry]
    aliases: dict[str, tuple[str, str]]
    stored: dict[str, tuple[str, int, int]]  # article id -> (content hash, passages, present)


def article_hash(article: Article) -> str:
    return content_hash(
        article.title,
        article.body,
        article.source,
        article.author,
        article.published_at,
        article.url,
    )


def iter_articles(
    paths: Iterable[str | Path],
    state: IngestProgress,
    field_map: Mapping[str, str] | None = None,
    ner_model: str | None = None,
    progress: Progress | None = None,
) -> Iterator[Article]:
    """Articles from every file under `paths`; errors are recorded in `state` (as
    IngestErrors in `state.errors` too) and skipped. `progress` is told of every record read."""
    for item in iter_files(paths):
        if isinstance(item, IngestError):
            state.fail(item)
            continue
        for result in read_path(item, field_map, ner_model):
            state.read += 1
            if progress:
                progress(state)
            if isinstance(result, IngestError):
                state.fail(result)
            else:
                failpoints.reached("read")
                yield result


def _batches(
    articles: Iterator[Article], size: int, first: int = FIRST_BATCH
) -> Iterator[list[Article]]:
    """Lists of `size` articles; the first ones smaller (`first`, then doubling)."""
    batch: list[Article] = []
    limit = max(1, min(first, size))
    for article in articles:
        batch.append(article)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(size, limit * 2)
    if batch:
        yield batch


class Ingestor:
    """Runs ingests against one passage index and catalog (one writer at a time)."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        index: PassageIndex,
        chunker: Chunker,
        catalog: Catalog,
        dedup_threshold: float,
        workers: int,
        worker_setup: Setup | None = None,
        ner_model: str | None = None,
    ) -> None:
        """`workers` > 1 chunks and embeds in that many processes, each built by the picklable
        `worker_setup` (ingest.parallel); otherwise `chunker` and `embedder` do it here.
        `ner_model` is the spaCy pipeline that checks long bylines (ingest.bylines)."""
        self.ner_model = ner_model
        if workers > 1 and worker_setup is None:
            raise ValueError("parallel ingest needs a worker_setup")
        self.workers = workers
        self.worker_setup = worker_setup
        self.embedder = embedder
        self.index = index
        self.chunker = chunker
        self.catalog = catalog
        store = index.store
        if catalog.get_meta("store_id") != store.id or (catalog.count() and not store.count()):
            catalog.reset(store.id)  # the store it described was replaced or emptied
        self.near = NearDuplicates(dedup_threshold)
        for key, sig in catalog.iter_signatures():
            self.near.add(key, sig)

    def run(
        self,
        paths: Iterable[str | Path],
        field_map: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest every article under `paths`; returns what was added, updated, skipped, failed."""
        paths = list(paths)
        state = IngestProgress(total=sum(estimate_records(p) for p in _files(paths)))
        seen: set[str] = set()
        pool: PreparePool | PrepareThread
        if self.workers > 1:
            assert self.worker_setup is not None
            pool = PreparePool(self.worker_setup, self.workers)
        else:
            pool = PrepareThread(self.chunker, self.embedder)
        # Batches in flight, oldest first; each is written once its passages are embedded,
        # in the order read, so the crash-safety argument above holds unchanged.
        pending: deque[tuple[_Plan, Future[Prepared]]] = deque()

        def write_oldest() -> None:
            plan, work = pending.popleft()
            self._write(plan, work.result(), state)
            if progress:
                progress(state)

        try:
            articles = iter_articles(paths, state, field_map, self.ner_model, progress)
            for batch, known in self._with_stored(articles):
                plan = self._plan(batch, seen, state, known)
                items = [(article, digest) for article, digest, *_ in plan.new]
                pending.append((plan, pool.submit(items)))
                while len(pending) > pool.workers:
                    write_oldest()
            while pending:
                write_oldest()
        finally:
            pool.close()
        if progress:
            progress(state)
        return state.report()

    def _with_stored(self, articles: Iterator[Article]) -> Iterator[tuple[list[Article], _Known]]:
        """Batches of articles, each with what is known of them: their catalog entries and
        aliases, and the versions the store holds of those the catalog lacks (written by
        another process sharing a Chroma server, or by a run killed before its catalog write).

        Embedded, the keyword index knows what the store holds (it is written right after the
        store; a batch killed between the two is written again, under the same passage ids).
        On a server, the collection is asked once for LOOKAHEAD batches: a metadata-filtered
        read costs about 0.2 s at a million passages, whatever it asks for.
        """
        size = BATCH_ARTICLES * LOOKAHEAD if self.index.shared else BATCH_ARTICLES
        for group in _batches(articles, size, first=FIRST_BATCH):
            ids = [a.id for a in group]
            entries = self.catalog.entries(ids)
            aliases = self.catalog.aliases(ids)
            stored = self.index.versions([i for i in ids if i not in entries and i not in aliases])
            for i in range(0, len(group), BATCH_ARTICLES):
                yield group[i : i + BATCH_ARTICLES], _Known(entries, aliases, stored)

    def _plan(
        self, batch: list[Article], seen: set[str], state: IngestProgress, known: _Known
    ) -> _Plan:
        entries, aliases, stored = known.entries, known.aliases, known.stored
        plan = _Plan(size=len(batch))
        for article in batch:
            state.articles += 1
            if article.id in seen:
                state.duplicate += 1
                continue
            seen.add(article.id)
            digest = article_hash(article)
            entry = entries.get(article.id)
            if entry is None and article.id in stored:
                stored_hash, n_chunks, present = stored[article.id]
                sig = signature(article.body)
                if stored_hash == digest and present == n_chunks:
                    # Stored whole already: record it (and index it locally), embed nothing.
                    plan.known.append(
                        CatalogEntry(
                            article.id, digest, n_chunks, article.source, article.url, sig, []
                        )
                    )
                    self.near.add(article.id, sig)
                    state.unchanged += 1
                    continue
                if stored_hash != digest:  # another version is stored: replace it
                    entry = CatalogEntry(
                        article.id, stored_hash, n_chunks, article.source, article.url, sig, []
                    )
                # else a torn write of this version: write it again (same passage ids)
            if entry is not None and entry.content_hash == digest:
                state.unchanged += 1
                continue
            if article.id in aliases and aliases[article.id][1] == digest:
                state.duplicate += 1  # a wire copy seen before, unchanged
                continue
            sig = signature(article.body)
            twin = self.near.find(sig, exclude=article.id)
            if twin is not None and entry is None:
                plan.copies.append((article, digest, twin))
                state.duplicate += 1
                continue
            self.near.add(article.id, sig)
            plan.new.append((article, digest, sig, entry))
        return plan

    def _write(self, plan: _Plan, prepared: Prepared, state: IngestProgress) -> None:
        chunked, vectors, sentences = prepared
        failpoints.reached("embedded")
        also: dict[str, list[dict[str, str | None]]] = {}
        items: list[StoredChunk] = []
        row = 0
        for (article, digest, _, entry), chunks in zip(plan.new, chunked, strict=True):
            also[article.id] = list(entry.also) if entry else []
            for i, passage in enumerate(_with_article(article, chunks)):
                items.append(
                    StoredChunk(
                        passage,
                        vectors[row + i],
                        digest,
                        i,
                        len(chunks),
                        also[article.id],
                        article.extra.get("published_raw", ""),
                        sentences[row + i],
                    )
                )
            row += len(chunks)
            state.passages += len(chunks)
        # One write per store for the whole batch; the new versions first, then the old ones
        # dropped: a crash in between leaves both, and the next run finishes the job.
        index = self.index
        changes = bool(plan.new or plan.copies)
        if changes:
            index.begin()
        index.write(items, checkpoint=failpoints.reached)
        for (article, digest, _, entry), chunks in zip(plan.new, chunked, strict=True):
            if entry is None:
                state.added += 1
                continue
            index.replace_article(article.id, digest, keep=[c.passage.id for c in chunks])
            state.updated += 1
        twins = {twin for *_, twin in plan.copies if twin not in also}
        for twin_id, twin_entry in self.catalog.entries(sorted(twins)).items():
            also[twin_id] = list(twin_entry.also)
        for copy, _, twin in plan.copies:
            listing = {"source": copy.source, "url": copy.url, "title": copy.title}
            if listing not in also.setdefault(twin, []):
                also[twin].append(listing)
        for twin in {twin for *_, twin in plan.copies}:
            index.set_wire_copies(twin, also[twin])
        if plan.known:
            # Stored but maybe not in the keyword index (a run killed between the two writes,
            # or passages another process wrote).
            index.reconcile([e.id for e in plan.known])
        if changes:
            index.commit()  # other processes on the same collection catch up
        with self.catalog.transaction():
            for entry in plan.known:
                self.catalog.put_article(entry)
            for (article, digest, sig, _), chunks in zip(plan.new, chunked, strict=True):
                self.catalog.put_article(
                    CatalogEntry(
                        article.id,
                        digest,
                        len(chunks),
                        article.source,
                        article.url,
                        sig,
                        also[article.id],
                    )
                )
            for copy, digest, twin in plan.copies:
                self.catalog.put_alias(copy.id, twin, digest, copy.source, copy.url)
            for twin in {twin for *_, twin in plan.copies}:
                self.catalog.set_also(twin, also[twin])
        state.written += plan.size


def _with_article(article: Article, chunks: list[Chunk]) -> Iterator[Passage]:
    """The chunks' passages with their article's stored fields (authors, file, extras) and
    the whitespace before each one, so that the body rebuilds exactly (Article.from_passages)."""
    end = 0
    for c in chunks:
        p = c.passage
        lead = article.body[end : p.start] if p.start > end else ""
        end = max(end, p.end)
        yield replace(
            p, authors=list(article.authors), path=article.path, lead=lead, extra=article.extra
        )


def _files(paths: list[str | Path]) -> Iterator[Path]:
    for item in iter_files(paths):
        if not isinstance(item, IngestError):
            yield item

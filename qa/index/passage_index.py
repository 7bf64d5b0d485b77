"""PassageIndex: Chroma and the local keyword index kept in step, and the protocol between them.

Chroma (embedded on disk, or a server several processes share) is the store of record. Each
newsdesk process keeps, in its own index folder, a keyword index (BM25, a copy of the vectors
and of the passages' records, qa.index.keyword) and an ingest catalog (ingest.catalog); both
are caches of the collection and can be rebuilt from it. Every write goes through a
PassageIndex, which writes Chroma first and the keyword index second, and records in the meta
keys of both (qa.index.keys) what the keyword index holds:

- Embedded, this process is the collection's only writer. The keyword index records the
  collection generation it holds all of; a batch clears it before its writes (`begin`) and
  sets it again after them (`commit`), so a process starting after a crash between the two
  writes sees the mismatch and rebuilds the keyword index from Chroma (`open`).
- Every ingest batch writes its passages with a `written_at` time, then gives the collection a
  fresh *generation token* (collection metadata, ChromaStore.mark_changed).
- On a server, before a search or an ingest (at most every `chroma_refresh_seconds`, see
  Assistant.catch_up), a process compares the collection's token with the one its keyword index
  last caught up to. When they differ it lists the passages other index folders wrote (each
  passage names its writer: the local index folder it was written through, `local_writer`, so a
  process started later on the same folder does not list what that folder holds already) since
  its high-water mark (less a margin for clock skew between machines and for writes still under
  way), reads in full those it lacks, drops its copies of those articles' passages that the
  collection no longer holds (an update replaced them), and, if its passage count still differs
  from the collection's, rebuilds from the collection. Its own writes are in its index already;
  a write it could not finish there is picked up when those articles are next ingested (ingest
  checks the store). A change to stored passages' metadata (the outlets that also ran a story)
  is stamped as a new write, so it is listed and taken like one.
- Ingest asks the collection, not only its local catalog, whether an article is already stored
  and with which content hash (`versions`, once for several batches: ingest.pipeline), so two
  processes never store an article twice; passage ids derive from article id and content hash,
  so a race writes the same ids twice at worst.

What is not shared: the wire-copy signatures of the catalog. Copies of one story ingested by
different processes are each kept (as separate articles) instead of being folded together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.index import keys
from qa.index.keyword import KeywordIndex
from qa.index.records import KeywordDoc, StoredChunk, iso_to_ts, keyword_doc, record_doc
from qa.index.resync import fill_records, sync_from_store
from qa.index.snapshot import Snapshot
from qa.index.store import ChromaStore
from qa.types import Passage

# Writers on other machines may have clocks this far behind the newest write seen (seconds).
CLOCK_MARGIN = 600.0

# Called with the name of each point a write reaches: "chroma" (written to Chroma, not yet to
# the keyword index), "keyword" (written to both). What crash tests kill a process at.
Checkpoint = Callable[[str], None]


def _no_checkpoint(point: str) -> None:
    return None


class PassageIndex:
    """The passages of one index: Chroma (`store`) and the keyword index beside it (`keyword`),
    written and caught up together. Build it with :meth:`open`."""

    def __init__(self, store: ChromaStore, keyword: KeywordIndex) -> None:
        self.store = store
        self.keyword = keyword

    @classmethod
    def open(cls, store: ChromaStore, path: Path) -> PassageIndex:
        """The keyword index at `path` beside `store`: filled from Chroma if it is missing or
        stale; on a Chroma server, brought up to what other processes wrote. Raises StoreError
        when Chroma cannot be read."""
        index = cls(store, KeywordIndex(path))
        store.writer = index.local_writer()
        if store.shared:
            index.catch_up()
        else:
            token = store.generation()
            # The index records the generation it holds all of (cleared while an ingest batch is
            # between the two writes). When it matches, Chroma is not read at all: an embedded
            # Chroma's first read loads its whole HNSW index into this process.
            if not token or index.keyword.get_meta(keys.GENERATION) != token:
                sync_from_store(index.keyword, store)
                # An embedded collection has one writer, this process, and the index now holds
                # all of it: record that, so a process serving the same data from a Chroma
                # server later (the folder moved behind `chroma run`) starts caught up.
                index.mark_current(token or store.mark_changed())
        fill_records(index.keyword, store)  # an index made before it kept the passages' records
        return index

    @property
    def shared(self) -> bool:
        """Whether other processes may write to the collection too (a Chroma server)."""
        return self.store.shared

    # Reading

    def snapshot(self) -> Snapshot:
        """The keyword index's current searchable snapshot (rebuilt only when it changed)."""
        return self.keyword.snapshot()

    def versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """For each of these articles that is stored: its content hash, the passages that
        version has and how many of them are stored. Embedded, read from the keyword index
        (it is written right after Chroma, and a batch killed between the two is written again
        under the same ids); on a server, from the collection, which other processes write."""
        if self.store.shared:
            return self.store.article_versions(article_ids)
        return self.keyword.article_versions(article_ids)

    def article_passages(self, article_id: str) -> list[Passage]:
        """An article's passages in body order ([] for no such article): from the local
        records, else (some not kept locally, see qa.index.resync.fill_records) the store."""
        passages = self.keyword.article_passages(article_id)
        return self.store.article_passages(article_id) if passages is None else passages

    def openings(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The text of each article's first passage (its lead), by id, for those found."""
        return {a: ps[0].text for a in article_ids if (ps := self.article_passages(a))}

    # Writing: begin, then any of write / replace_article / set_wire_copies / reconcile, then
    # commit. A batch killed anywhere in between is finished by writing it again.

    def begin(self) -> None:
        """Before a batch of writes: an embedded keyword index records that it is behind the
        collection until `commit` (a process starting after a crash in between then checks
        the two against each other)."""
        if not self.store.shared:
            self.keyword.set_meta(keys.GENERATION, "")

    def write(self, items: Sequence[StoredChunk], checkpoint: Checkpoint = _no_checkpoint) -> None:
        """Write passages (same id = overwrite) to Chroma, then to the keyword index with the
        metadata Chroma was given."""
        metas = self.store.upsert(items)
        checkpoint("chroma")
        self.keyword.add([_keyword_doc(i, m) for i, m in zip(items, metas, strict=True)])
        checkpoint("keyword")

    def replace_article(self, article_id: str, content_hash: str, keep: Sequence[str]) -> None:
        """Drop an article's passages of other versions than `content_hash` (whose passages,
        `keep`, are written already): from Chroma, then from the keyword index."""
        self.store.delete_article_passages(article_id, keep_hash=content_hash)
        self.keyword.delete_article(article_id, keep=keep)

    def set_wire_copies(self, article_id: str, also: list[dict[str, Any]]) -> None:
        """Record on every passage of an article the other outlets and URLs that ran it, in
        Chroma (stamped as a new write, so other processes pick it up) and the keyword index."""
        self.keyword.set_metadata(self.store.set_also(article_id, also))

    def set_vectors(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        sentences: Sequence[bytes | None],
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> None:
        """Replace the vectors (and sentence vectors) of these stored passages, in Chroma then
        in the keyword index (a reindex batch; it begins one by itself)."""
        self.begin()
        self.store.set_vectors(ids, vectors)
        checkpoint("chroma")
        self.keyword.set_vectors(list(zip(ids, vectors, sentences, strict=True)))
        checkpoint("keyword")

    def commit(self) -> str:
        """After a batch of writes: give the collection a fresh generation token (other
        processes on it catch up); embedded, the keyword index now holds all of it. The token."""
        token = self.store.mark_changed()
        if not self.store.shared:
            self.mark_current(token)  # embedded: this process is the only writer
        return token

    # Keeping in step

    def reconcile(self, article_ids: Sequence[str], batch: int = 1000) -> int:
        """Make the keyword index hold exactly the collection's passages of these articles: read
        the ones it lacks, drop the ones the collection no longer has (an update replaced
        them). Returns the passages read."""
        articles = sorted(set(article_ids))
        if not articles:
            return 0
        remote = self.store.article_passage_ids(articles)
        local = self.keyword.article_passage_ids(articles)
        missing = sorted(p for a in articles for p in remote.get(a, set()) - local[a])
        for i in range(0, len(missing), batch):
            self.keyword.add([record_doc(*r) for r in self.store.records(missing[i : i + batch])])
        gone = [p for a in articles for p in sorted(local[a] - remote.get(a, set()))]
        self.keyword.delete_passages(gone)
        return len(missing)

    def catch_up(self, batch: int = 1000) -> int:
        """Bring the keyword index up to the collection's current generation; passages read in
        full.

        Lists what was written since the high-water mark (metadata only), reconciles the
        articles with passages the index lacks (a passage id names its content, so one the index
        holds has the right text) and takes the listed metadata of the passages it holds.
        """
        index, store = self.keyword, self.store
        token = store.generation()
        if token == (index.get_meta(keys.GENERATION) or ""):
            return 0
        since = float(index.get_meta(keys.WRITTEN_HWM) or 0.0)
        newest = since
        changed: set[str] = set()
        listed: list[tuple[str, dict[str, Any]]] = []

        def note_missing() -> None:
            have = index.holds([pid for pid, _ in listed])
            changed.update(
                str(meta.get("article_id", "")) for pid, meta in listed if pid not in have
            )
            # A passage held already may have new metadata (the wire copies of its story).
            index.set_metadata([(pid, meta) for pid, meta in listed if pid in have])
            listed.clear()

        # This process's own writes are in its index already: only other writers' are listed.
        written = store.metadata_written_since(since - CLOCK_MARGIN, batch * 5, not_by=store.writer)
        for item in written:
            newest = max(newest, float(item[1].get("written_at", 0.0)))
            listed.append(item)
            if len(listed) >= batch:
                note_missing()
        note_missing()
        total = self.reconcile(sorted(changed), batch)
        index.set_meta(keys.WRITTEN_HWM, repr(newest))
        if index.count() != store.count():  # missed something (an older index, a skewed clock)
            total = sync_from_store(index, store, batch, force=True)
        index.set_meta(keys.GENERATION, token)
        return total

    def local_writer(self) -> str:
        """The name this index folder writes under (made once, kept in its keyword index): what
        is written through the folder is in its keyword index, whichever process wrote it."""
        writer = self.keyword.get_meta(keys.WRITER)
        if not writer:
            import uuid

            self.keyword.set_meta(keys.WRITER, uuid.uuid4().hex)
            writer = self.keyword.get_meta(keys.WRITER) or ""
        return writer

    def mark_current(self, token: str) -> None:
        """Record that the keyword index holds everything the collection held at generation
        `token` (true of an embedded collection once synced: it has no other writer)."""
        import time

        self.keyword.set_meta(keys.WRITTEN_HWM, repr(time.time()))
        self.keyword.set_meta(keys.GENERATION, token)


def _keyword_doc(item: StoredChunk, meta: dict[str, Any]) -> KeywordDoc:
    """A passage written to Chroma with `meta`, as the keyword index keeps it."""
    p = item.passage
    ts = iso_to_ts(p.published_at)
    when = ts if ts >= 0 else None
    return keyword_doc(
        p.id,
        p.article_id,
        p.text,
        p.title,
        p.source,
        p.author,
        when,
        item.vector,
        meta,
        item.sentences,
    )

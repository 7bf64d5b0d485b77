"""Several processes, one Chroma server: how each keeps its local keyword index in step.

Chroma (a server in this mode) is the store of record. Each newsdesk process keeps, in its own
index folder, a keyword index (BM25 and a copy of the vectors, qa.index.keyword) and an ingest
catalog (ingest.catalog); both are caches of the collection and can be rebuilt from it.

- Every ingest batch writes its passages with a `written_at` time, then gives the collection a
  fresh *generation token* (collection metadata, ChromaStore.mark_changed).
- Before a search or an ingest (at most every `chroma_refresh_seconds`), a process compares the
  collection's token with the one its keyword index last caught up to. When they differ it lists
  the passages other index folders wrote (each passage names its writer: the local index
  folder it was written through, `local_writer`, so a process started later on the same folder
  does not list what that folder holds already) since its high-water mark
  (less a margin for clock skew between machines and for writes still under way), reads in full
  those it lacks, drops its copies of those articles' passages that the collection no longer
  holds (an update replaced them), and, if its passage count still differs from the
  collection's, rebuilds from the collection. Its own writes are in its index already; a write
  it could not finish there is picked up when those articles are next ingested (ingest
  checks the store). A change to stored passages' metadata (the outlets that also ran a story)
  is stamped as a new write, so it is listed and taken like one.
- Ingest asks the collection, not only its local catalog, whether an article is already stored
  and with which content hash (once for several batches: ingest.pipeline), so two processes
  never store an article twice; passage ids derive from article id and content hash, so a race
  writes the same ids twice at worst.

What is not shared: the wire-copy signatures of the catalog. Copies of one story ingested by
different processes are each kept (as separate articles) instead of being folded together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.index import keys
from qa.index.keyword import KeywordIndex
from qa.index.records import record_doc
from qa.index.resync import sync_from_store

# Writers on other machines may have clocks this far behind the newest write seen (seconds).
CLOCK_MARGIN = 600.0


def reconcile(
    index: KeywordIndex, store: Any, article_ids: Sequence[str], batch: int = 1000
) -> int:
    """Make the index hold exactly the collection's passages of these articles: read the ones
    it lacks, drop the ones the collection no longer has (an update replaced them). Returns
    the passages read."""
    articles = sorted(set(article_ids))
    if not articles:
        return 0
    remote = store.article_passage_ids(articles)
    local = index.article_passage_ids(articles)
    missing = sorted(p for a in articles for p in remote.get(a, set()) - local[a])
    for i in range(0, len(missing), batch):
        index.add([record_doc(*r) for r in store.records(missing[i : i + batch])])
    index.delete_passages([p for a in articles for p in sorted(local[a] - remote.get(a, set()))])
    return len(missing)


def catch_up(index: KeywordIndex, store: Any, batch: int = 1000) -> int:
    """Bring `index` up to the collection's current generation; passages read in full.

    Lists what was written since the high-water mark (metadata only), reconciles the articles
    with passages the index lacks (a passage id names its content, so one the index holds has
    the right text) and takes the listed metadata of the passages it holds.
    """
    token = store.generation()
    if token == (index.get_meta(keys.GENERATION) or ""):
        return 0
    since = float(index.get_meta(keys.WRITTEN_HWM) or 0.0)
    newest = since
    changed: set[str] = set()
    listed: list[tuple[str, dict[str, Any]]] = []

    def note_missing() -> None:
        have = index.holds([pid for pid, _ in listed])
        changed.update(str(meta.get("article_id", "")) for pid, meta in listed if pid not in have)
        # A passage held already may have new metadata (the wire copies of its story).
        index.set_metadata([(pid, meta) for pid, meta in listed if pid in have])
        listed.clear()

    # This process's own writes are in its index already: only other writers' are listed.
    for item in store.metadata_written_since(since - CLOCK_MARGIN, batch * 5, not_by=store.writer):
        newest = max(newest, float(item[1].get("written_at", 0.0)))
        listed.append(item)
        if len(listed) >= batch:
            note_missing()
    note_missing()
    total = reconcile(index, store, sorted(changed), batch)
    index.set_meta(keys.WRITTEN_HWM, repr(newest))
    if index.count() != store.count():  # missed something (an older index, a skewed clock)
        total = sync_from_store(index, store, batch, force=True)
    index.set_meta(keys.GENERATION, token)
    return total


def local_writer(index: KeywordIndex) -> str:
    """The name this index folder writes under (made once, kept in its keyword index): what is
    written through the folder is in its keyword index, whichever process wrote it."""
    writer = index.get_meta(keys.WRITER)
    if not writer:
        import uuid

        index.set_meta(keys.WRITER, uuid.uuid4().hex)
        writer = index.get_meta(keys.WRITER) or ""
    return writer


def mark_current(index: KeywordIndex, token: str) -> None:
    """Record that `index` holds everything the collection held at generation `token` (true of
    an embedded collection once synced: it has no other writer)."""
    import time

    index.set_meta(keys.WRITTEN_HWM, repr(time.time()))
    index.set_meta(keys.GENERATION, token)

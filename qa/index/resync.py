"""Rebuilding the local keyword index from Chroma, the store of record: in full when the two
disagree (an index made before the keyword index existed, a keyword file lost or deleted), and
the passages' records once for an index made before it kept them."""

from __future__ import annotations

from qa.index import keys
from qa.index.keyword import KeywordIndex
from qa.index.records import KeywordDoc, record_doc
from qa.index.store import ChromaStore


def sync_from_store(
    index: KeywordIndex, store: ChromaStore, batch: int = 1000, force: bool = False
) -> int:
    """Rebuild the keyword index from the passages in Chroma when their counts differ (or when
    `force`d).

    Covers indexes made before the keyword index existed, and a keyword file lost or deleted.
    Returns the number of passages (re)indexed.
    """
    if not force and index.count() == store.count():
        return 0
    index.clear()
    docs: list[KeywordDoc] = []
    total = 0
    newest = 0.0
    for record in store.iter_records():
        newest = max(newest, float(record[2].get("written_at", 0.0)))
        docs.append(record_doc(*record))
        if len(docs) >= batch:
            index.add(docs)
            total += len(docs)
            docs = []
    index.add(docs)
    index.set_meta(keys.WRITTEN_HWM, repr(newest))  # catching up reads on from here
    return total + len(docs)


def fill_records(index: KeywordIndex, store: ChromaStore, batch: int = 1000) -> int:
    """Copy from the store the records (text, metadata) of the passages the index holds
    without them: a one-time step for an index made before it kept them. Returns how many."""
    missing = index.missing_records()
    for i in range(0, len(missing), batch):
        index.set_records([r[:3] for r in store.records(missing[i : i + batch], vectors=False)])
    return len(missing)

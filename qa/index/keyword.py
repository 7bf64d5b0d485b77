"""The local keyword index: BM25 over passages plus copies of their vectors and records, in SQLite.

It lives beside the Chroma data (Chroma stays the store of record; this index can always be
rebuilt from it, qa.index.resync). Ingest adds and removes passages incrementally (upsert by
passage id); searches read a snapshot (qa.index.snapshot: sparse BM25 matrices and a dense
vector matrix) that is built once and rebuilt only when the index has changed since, so the
hybrid retriever can score every passage exactly in a few milliseconds.

Each passage's text and metadata are kept here too (qa.index.records), so that serving a search
reads nothing from Chroma: an embedded Chroma loads its whole HNSW index into the process on its
first read (about 2 GB at a million passages), and the hybrid retriever never uses it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from qa.index import keys, schema
from qa.index.records import (
    KeywordDoc,
    also_listing,
    pack_record,
    passage_from_record,
    stored_versions,
    unpack_record,
)
from qa.index.schema import in_chunks
from qa.index.sentences import Stored
from qa.index.sentences import unpack as unpack_sentences
from qa.index.snapshot import Snapshot, release_freed_memory
from qa.text import content_terms, sentence_spans
from qa.types import Passage


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words: what BM25 matches on."""
    return content_terms(text)


class KeywordIndex:
    """BM25 over passages in one SQLite file; safe to search from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = schema.connect(path)
        self._terms: dict[str, int] = dict(self._db.execute("SELECT term, id FROM terms"))
        self._matrix: Snapshot | None = None
        self._matrix_version = ""

    def close(self) -> None:
        self._db.close()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is None

    def _version(self) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (keys.VERSION,)).fetchone()
        return str(row[0]) if row else "0"

    def _bump(self) -> None:
        version = int(self._version()) + 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (keys.VERSION, str(version)))

    def _term_ids(self, tokens: Sequence[str], create: bool) -> list[int]:
        ids = []
        for tok in tokens:
            tid = self._terms.get(tok)
            if tid is None and create:
                tid = len(self._terms)
                self._db.execute("INSERT INTO terms VALUES (?, ?)", (tok, tid))
                self._terms[tok] = tid
            if tid is not None:
                ids.append(tid)
        return ids

    def add(self, docs: Sequence[KeywordDoc]) -> None:
        """Insert or replace passages (by passage id), in one transaction."""
        if not docs:
            return
        with self._write():
            for doc in docs:
                tokens = tokenize(doc.text)
                counts = Counter(self._term_ids(tokens, create=True))
                tf = np.array(sorted(counts.items()), dtype=np.uint32).reshape(-1, 2)
                stf = self._sentence_tf(doc.body)
                self._db.execute(
                    "INSERT INTO docs (passage_id, article_id, source, author, published_ts,"
                    " length, tf, stf, vector, record, also, sentences)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(passage_id) DO UPDATE SET article_id=excluded.article_id,"
                    " source=excluded.source, author=excluded.author,"
                    " published_ts=excluded.published_ts, length=excluded.length,"
                    " tf=excluded.tf, stf=excluded.stf, vector=excluded.vector,"
                    " record=excluded.record, also=excluded.also,"
                    " sentences=excluded.sentences",
                    (
                        doc.passage_id,
                        doc.article_id,
                        doc.source,
                        doc.author,
                        doc.published_ts,
                        len(tokens),
                        tf.tobytes(),
                        stf.tobytes(),
                        None
                        if doc.vector is None
                        else np.asarray(doc.vector, dtype=np.float32).tobytes(),
                        None if doc.meta is None else pack_record(doc.body, doc.meta),
                        None if doc.meta is None else also_listing(doc.meta),
                        doc.sentences,
                    ),
                )

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, Stored]:
        """The stored sentence spans and vectors of these passages (those that have them), by
        id: what answerers read instead of embedding each sentence (qa.index.sentences)."""
        out: dict[str, Stored] = {}
        for chunk, marks in in_chunks(passage_ids):
            sql = f"SELECT passage_id, sentences FROM docs WHERE passage_id IN ({marks})"
            for pid, blob in self._db.execute(sql, chunk):
                if blob:
                    out[pid] = unpack_sentences(blob)
        return out

    def passage_vectors(self, passage_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these passages (those that have one), by id."""
        out: dict[str, np.ndarray] = {}
        for chunk, marks in in_chunks(passage_ids):
            sql = f"SELECT passage_id, vector FROM docs WHERE passage_id IN ({marks})"
            for pid, blob in self._db.execute(sql, chunk):
                if blob:
                    out[pid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def set_vectors(self, items: Sequence[tuple[str, np.ndarray, bytes | None]]) -> None:
        """Replace the vectors (and sentence vectors) of passages the index holds: a reindex."""
        with self._write():
            self._db.executemany(
                "UPDATE docs SET vector=?, sentences=? WHERE passage_id=?",
                [(np.asarray(v, dtype=np.float32).tobytes(), blob, pid) for pid, v, blob in items],
            )

    def iter_passages(self, after: str = "", batch: int = 256) -> Iterator[list[Passage]]:
        """Every passage whose record the index holds, in passage-id order from after `after`,
        in batches (what a reindex walks)."""
        while True:
            rows = self._db.execute(
                "SELECT passage_id, record FROM docs WHERE passage_id > ? AND record IS NOT NULL"
                " ORDER BY passage_id LIMIT ?",
                (after, batch),
            ).fetchall()
            if not rows:
                return
            yield [passage_from_record(pid, *unpack_record(blob)) for pid, blob in rows]
            after = rows[-1][0]

    def passages(self, passage_ids: Sequence[str]) -> dict[str, Passage]:
        """The passages among these whose records the index holds, by id."""
        out: dict[str, Passage] = {}
        for chunk, marks in in_chunks(passage_ids):
            sql = f"SELECT passage_id, record FROM docs WHERE passage_id IN ({marks})"
            for pid, blob in self._db.execute(sql, chunk):
                if blob is not None:
                    out[pid] = passage_from_record(pid, *unpack_record(blob))
        return out

    def article_passages(self, article_id: str) -> list[Passage] | None:
        """An article's passages in body order; None when the index lacks any of their
        records (read them from the store then), [] when it holds no such article."""
        rows = self._db.execute(
            "SELECT passage_id, record FROM docs WHERE article_id=?", (article_id,)
        ).fetchall()
        if any(blob is None for _, blob in rows):
            return None
        passages = [passage_from_record(pid, *unpack_record(blob)) for pid, blob in rows]
        return sorted(passages, key=lambda p: (p.start, p.end))

    def article_versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """What `ChromaStore.article_versions` tells, from the records held here: for each of
        these articles, its content hash, the passages that version has and how many of them
        the index holds. (Asking an embedded Chroma costs ~0.2 s a call at a million passages,
        for any metadata filter.)"""
        return stored_versions(
            unpack_record(blob)[1]
            for chunk, marks in in_chunks(article_ids)
            for (blob,) in self._db.execute(
                f"SELECT record FROM docs WHERE article_id IN ({marks})", chunk
            )
            if blob is not None
        )

    def copy_outlets(self) -> set[str]:
        """The outlets of the wire copies folded into stored stories."""
        rows = self._db.execute("SELECT DISTINCT also FROM docs WHERE also IS NOT NULL")
        return {str(a["source"]) for (also,) in rows for a in json.loads(also) if a.get("source")}

    def set_metadata(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Replace the stored metadata of these passages (those the index has records of);
        what changes is what search results show, so the snapshot is not rebuilt."""
        found = self.passages([pid for pid, _ in items])
        self.set_records([(pid, found[pid].text, meta) for pid, meta in items if pid in found])

    def missing_records(self) -> list[str]:
        """Passages whose text and metadata the index does not hold (an index made before it
        kept them)."""
        sql = "SELECT passage_id FROM docs INDEXED BY docs_unrecorded WHERE record IS NULL"
        return [r[0] for r in self._db.execute(sql)]

    def set_records(self, records: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Store the (id, text, metadata) records of passages the index holds."""
        with self._write(bump=False):
            self._db.executemany(
                "UPDATE docs SET record=?, also=? WHERE passage_id=?",
                [(pack_record(text, meta), also_listing(meta), pid) for pid, text, meta in records],
            )

    @contextmanager
    def _write(self, bump: bool = True) -> Iterator[None]:
        """One write transaction that also bumps the version (a change the snapshot must see);
        a write SQLite refuses (a full disk) rolls back and becomes a StoreError."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._refresh_terms()
                yield
                if bump:
                    self._bump()
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise schema.write_error(self.path, exc) from exc
            except BaseException:
                self._rollback()
                raise

    def _refresh_terms(self) -> None:
        """Read the term ids again when another process (or another KeywordIndex on the same
        file) added terms since they were read: ids are handed out densely, so a stale map
        would hand out taken ones. Called inside a write transaction, which no other writer
        can interleave with."""
        row = self._db.execute("SELECT MAX(id) FROM terms").fetchone()
        if (-1 if row[0] is None else int(row[0])) + 1 != len(self._terms):
            self._terms = dict(self._db.execute("SELECT term, id FROM terms"))

    def _rollback(self) -> None:
        with suppress(sqlite3.Error):  # SQLite may have rolled back already (a full disk)
            self._db.execute("ROLLBACK")
        # Terms created in the failed transaction are gone: forget their ids too.
        self._terms = dict(self._db.execute("SELECT term, id FROM terms"))

    def _sentence_tf(self, body: str) -> np.ndarray:
        """(sentence, term, tf) triples of a passage's sentences, as uint32."""
        triples: list[tuple[int, int, int]] = []
        for n, (start, end) in enumerate(sentence_spans(body)):
            counts = Counter(self._term_ids(tokenize(body[start:end]), create=True))
            triples.extend((n, t, c) for t, c in sorted(counts.items()))
        return np.array(triples, dtype=np.uint32).reshape(-1, 3)

    def delete_article(self, article_id: str, keep: Sequence[str] = ()) -> None:
        """Remove an article's passages except those whose ids are in `keep`."""
        with self._lock:
            marks = ",".join("?" * len(keep))
            extra = f" AND passage_id NOT IN ({marks})" if keep else ""
            with self._write():
                self._db.execute(f"DELETE FROM docs WHERE article_id=?{extra}", (article_id, *keep))

    def delete_passages(self, passage_ids: Sequence[str]) -> None:
        """Remove these passages (ids not in the index are ignored)."""
        if not passage_ids:
            return
        with self._write():
            for chunk, marks in in_chunks(passage_ids):
                self._db.execute(f"DELETE FROM docs WHERE passage_id IN ({marks})", chunk)

    def holds(self, passage_ids: Sequence[str]) -> set[str]:
        """Which of these passages the index holds."""
        out: set[str] = set()
        for chunk, marks in in_chunks(passage_ids):
            sql = f"SELECT passage_id FROM docs WHERE passage_id IN ({marks})"
            out.update(row[0] for row in self._db.execute(sql, chunk))
        return out

    def article_passage_ids(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The passage ids the index holds for each of these articles."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        for chunk, marks in in_chunks(article_ids):
            rows = self._db.execute(
                f"SELECT article_id, passage_id FROM docs WHERE article_id IN ({marks})", chunk
            )
            for article, passage in rows:
                out[article].add(passage)
        return out

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def clear(self) -> None:
        with self._write():
            self._db.execute("DELETE FROM docs")

    def snapshot(self) -> Snapshot:
        """The current searchable matrix, rebuilt only when the index changed."""
        with self._lock:
            version = self._version()
            if self._matrix is None or version != self._matrix_version:
                self._terms = dict(self._db.execute("SELECT term, id FROM terms"))
                n_rows = self.count()
                # At most the rows counted: any added since are read at the next rebuild.
                rows = islice(
                    self._db.execute(
                        "SELECT passage_id, article_id, source, author, published_ts, length,"
                        " tf, stf, vector FROM docs ORDER BY rowid"
                    ),
                    n_rows,
                )
                self._matrix = None  # let the old matrix go before the new one is built
                self._matrix = Snapshot(rows, n_rows, len(self._terms), self.path.parent)
                release_freed_memory()
                self._matrix_version = version
            return self._matrix

    def query_terms(self, query: str) -> list[int]:
        """The distinct known term ids of `query`."""
        return sorted(set(self._term_ids(tokenize(query), create=False)))

    def scores(self, query: str, mask: np.ndarray | None = None) -> tuple[Snapshot, np.ndarray]:
        """BM25 score of every passage for `query` (0 where `mask` is False)."""
        matrix = self.snapshot()
        ids = self.query_terms(query)
        if not ids or len(matrix) == 0:
            return matrix, np.zeros(len(matrix), dtype=np.float32)
        ids = [i for i in ids if i < matrix.weights.shape[1]]
        result = np.asarray(matrix.weights[:, ids].sum(axis=1)).ravel().astype(np.float32)
        if mask is not None:
            result = np.where(mask, result, 0.0).astype(np.float32)
        return matrix, result


def sentence_scores(
    matrix: Snapshot, index: KeywordIndex, query: str, rows: Sequence[int]
) -> tuple[np.ndarray, float]:
    """For each passage of `rows`, the BM25 score of its best-matching sentence for `query`;
    and the best such score in the whole archive (what the scores are scaled by)."""
    ids = [i for i in index.query_terms(query) if i < matrix.sent_weights.shape[1]]
    if not ids or len(matrix) == 0 or not len(rows):
        return np.zeros(len(rows), dtype=np.float32), 0.0
    per_sentence = np.asarray(matrix.sent_weights[:, ids].sum(axis=1)).ravel()
    # The best sentence of just these passages: a reduction over every passage of the
    # archive grows with it and dominated this signal's cost at scale.
    idx = np.asarray(rows, dtype=np.int64)
    starts = matrix.sent_start[idx]
    following = np.minimum(idx + 1, len(matrix) - 1)
    ends = np.where(idx + 1 < len(matrix), matrix.sent_start[following], len(per_sentence))
    picked = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
    bounds = np.concatenate([[0], np.cumsum(ends - starts)[:-1]])
    best = np.maximum.reduceat(per_sentence[picked], bounds).astype(np.float32)
    return best, float(per_sentence.max())

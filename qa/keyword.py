"""The local search index: BM25 over passages plus copies of their vectors and records, in SQLite.

It lives beside the Chroma data (Chroma stays the store of record; this index can always be
rebuilt from it). Ingest adds and removes passages incrementally (upsert by passage id);
searches read a sparse BM25 matrix and a dense vector matrix that are built once and rebuilt
only when the index has changed since, so the hybrid retriever can score every passage exactly
in a few milliseconds.

Each passage's text and metadata are kept here too, so that serving a search reads nothing
from Chroma: an embedded Chroma loads its whole HNSW index into the process on its first read
(about 2 GB at a million passages), and the hybrid retriever never uses it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import StoreError
from qa.sentences import Stored
from qa.sentences import unpack as unpack_sentences
from qa.store import TEXT_KEY, iso_to_ts, passage_from_record, stored_versions
from qa.text import content_terms, sentence_spans
from qa.types import Passage

K1 = 1.2
B = 0.75

SCHEMA_VERSION = "3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    passage_id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL,
    source TEXT,
    author TEXT,
    published_ts INTEGER,
    length INTEGER NOT NULL,
    tf BLOB NOT NULL,
    stf BLOB NOT NULL,
    vector BLOB,
    record BLOB,
    also TEXT
);
CREATE INDEX IF NOT EXISTS docs_article ON docs(article_id);
"""
# On columns an older index may lack until they are added.
INDEXES = """
CREATE INDEX IF NOT EXISTS docs_also ON docs(also) WHERE also IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_unrecorded ON docs(passage_id) WHERE record IS NULL;
"""
# Columns added to the docs table since its schema version: (name, type). An index made
# before them gains them empty (qa.backends fills the records from Chroma once).
ADDED_COLUMNS = (("record", "BLOB"), ("also", "TEXT"), ("sentences", "BLOB"))


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words: what BM25 matches on."""
    return content_terms(text)


@dataclass(frozen=True)
class KeywordDoc:
    """A passage as the keyword index sees it."""

    passage_id: str
    article_id: str
    text: str
    source: str | None
    author: str | None
    published_ts: int | None
    vector: np.ndarray | None = None
    body: str = ""
    meta: dict[str, Any] | None = None  # the passage's metadata as stored in Chroma
    sentences: bytes | None = None  # its sentences' vectors (qa.sentences.pack)


def _pack(text: str, meta: dict[str, Any]) -> bytes:
    """A passage's text and metadata (less the copy of the text Chroma keeps there) as one
    compressed record."""
    meta = {k: v for k, v in meta.items() if k != TEXT_KEY}
    return zlib.compress(json.dumps([text, meta], separators=(",", ":")).encode(), 1)


def _unpack(blob: bytes) -> tuple[str, dict[str, Any]]:
    text, meta = json.loads(zlib.decompress(blob))
    return str(text), dict(meta)


def _also(meta: dict[str, Any]) -> str | None:
    """The wire-copy listing of a passage's metadata, None when it has none."""
    value = str(meta.get("also") or "[]")
    return None if value == "[]" else value


class _Postings:
    """(term, tf) postings of a stream of rows (passages or sentences) laid out as a CSC matrix
    of BM25 weights, with little more memory than the finished matrix.

    Rows arrive a chunk at a time; their postings go to a temporary file beside the index while
    document frequencies and row lengths are counted. The matrix is then allocated once, at its
    final size, and filled chunk by chunk from the file: no triples in memory, no format
    conversions (each would hold another copy of the matrix).
    """

    def __init__(self, n_terms: int, spill: Any) -> None:
        self.n_terms = max(n_terms, 1)
        self.df = np.zeros(self.n_terms, dtype=np.int64)
        self.lengths: list[np.ndarray] = []  # float32 per row, per chunk
        self.chunks: list[tuple[int, int]] = []  # (rows, postings) per chunk
        self._spill = spill

    def add(self, counts: np.ndarray, terms: np.ndarray, tf: np.ndarray) -> None:
        """A chunk of rows: postings per row, then every posting's term and tf in row order."""
        keep = terms < self.n_terms  # a term created after the terms were read: not searchable
        if not keep.all():
            owner = np.repeat(np.arange(len(counts)), counts)
            counts = np.bincount(owner[keep], minlength=len(counts))
            terms, tf = terms[keep], tf[keep]
        owner = np.repeat(np.arange(len(counts)), counts)
        lengths = np.bincount(owner, weights=tf, minlength=len(counts)).astype(np.float32)
        self.lengths.append(lengths)
        self.df += np.bincount(terms, minlength=self.n_terms)
        self._spill.write(np.asarray(counts, dtype=np.int32).tobytes())
        self._spill.write(np.asarray(terms, dtype=np.uint32).tobytes())
        self._spill.write(np.minimum(tf, 65535).astype(np.uint16).tobytes())
        self.chunks.append((len(counts), len(terms)))

    def matrix(self) -> Any:
        from scipy.sparse import csc_matrix

        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, np.float32)
        self.lengths.clear()
        n, nnz = len(lengths), int(self.df.sum())
        index = np.int32 if max(n, nnz) < 2**31 else np.int64
        indptr = np.zeros(self.n_terms + 1, dtype=index)
        np.cumsum(self.df, out=indptr[1:])
        rows = np.empty(nnz, dtype=index)
        data = np.empty(nnz, dtype=np.float32)
        idf = np.log1p((n - self.df + 0.5) / (self.df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if n else 1.0
        norm = (K1 * (1 - B + B * lengths / (avgdl or 1.0))).astype(np.float32)
        cursor = indptr[:-1].astype(np.int64)
        self._spill.seek(0)
        first = 0
        for n_rows, n_post in self.chunks:
            counts = np.frombuffer(self._spill.read(4 * n_rows), dtype=np.int32)
            terms = np.frombuffer(self._spill.read(4 * n_post), dtype=np.uint32)
            tf = np.frombuffer(self._spill.read(2 * n_post), dtype=np.uint16).astype(np.float32)
            owner = np.repeat(np.arange(first, first + n_rows, dtype=index), counts)
            # Postings of a term go to its column in row order: a stable sort by term, then
            # each posting's rank among its term's postings in this chunk.
            order = np.argsort(terms, kind="stable")
            terms, owner, tf = terms[order], owner[order], tf[order]
            uniq, at, cnt = np.unique(terms, return_index=True, return_counts=True)
            where = cursor[terms] + np.arange(len(terms)) - np.repeat(at, cnt)
            cursor[uniq] += cnt
            rows[where] = owner
            data[where] = idf[terms] * tf * (K1 + 1) / (tf + norm[owner])
            first += n_rows
        self.chunks.clear()
        return csc_matrix((data, rows, indptr), shape=(n, self.n_terms), copy=False)


class _Matrix:
    """The searchable snapshot: BM25 weights (docs x terms), BM25 weights of their sentences
    (sentences x terms), the passage vectors and per-doc filter columns.

    Built from a stream of rows, a few thousand at a time (see `_Postings`), so that building
    it needs little more memory than the finished matrices. Strings repeated from row to row
    (outlets, authors, the article of consecutive passages) are kept once.
    """

    CHUNK = 4096

    def __init__(
        self, rows: Iterable[tuple[Any, ...]], n_rows: int, n_terms: int, spill_dir: Path
    ) -> None:
        import tempfile

        self.passage_ids: list[str] = []
        article_ids: list[str] = []
        self.published_ts = np.full(n_rows, -1, dtype=np.int64)
        self.sent_start = np.zeros(n_rows, dtype=np.int64)
        # Outlets and authors as small integer codes: masks over a million passages are integer
        # comparisons, not string ones, and each name is kept once.
        self._source_code: dict[str, int] = {}
        self._author_code: dict[str, int] = {}
        source_codes = np.zeros(n_rows, dtype=np.int32)
        author_codes = np.zeros(n_rows, dtype=np.int32)
        self.vectors = np.zeros((n_rows, 0), dtype=np.float32)
        n_sent = 0
        with (
            tempfile.TemporaryFile(dir=spill_dir) as doc_spill,
            tempfile.TemporaryFile(dir=spill_dir) as sent_spill,
        ):
            docs = _Postings(n_terms, doc_spill)
            sents = _Postings(n_terms, sent_spill)
            pairs: list[np.ndarray] = []
            triples: list[np.ndarray] = []

            def flush() -> None:
                if not pairs:
                    return
                p = np.concatenate(pairs)
                docs.add(np.array([len(x) for x in pairs]), p[:, 0], p[:, 1])
                t = np.concatenate(triples)
                # Sentences numbered across the chunk: each passage's from its own start.
                starts = np.cumsum([0] + [_n_sentences(x) for x in triples[:-1]])
                sent = t[:, 0].astype(np.int64) + np.repeat(starts, [len(x) for x in triples])
                total = int(starts[-1]) + _n_sentences(triples[-1])
                sents.add(np.bincount(sent, minlength=total), t[:, 1], t[:, 2])
                pairs.clear()
                triples.clear()

            i = -1
            for i, row in enumerate(rows):
                if len(pairs) == self.CHUNK:
                    flush()
                self.passage_ids.append(row[0])
                same = article_ids and article_ids[-1] == row[1]
                article_ids.append(article_ids[-1] if same else row[1])
                source_codes[i] = self._source_code.setdefault(row[2] or "", len(self._source_code))
                author_codes[i] = self._author_code.setdefault(row[3] or "", len(self._author_code))
                if row[4] is not None:
                    self.published_ts[i] = row[4]
                pairs.append(np.frombuffer(row[6], dtype=np.uint32).reshape(-1, 2))
                tri = np.frombuffer(row[7], dtype=np.uint32).reshape(-1, 3)
                triples.append(tri)
                self.sent_start[i] = n_sent
                n_sent += _n_sentences(tri)
                blob = row[8]
                if blob:
                    if self.vectors.shape[1] == 0:
                        self.vectors = np.zeros((n_rows, len(blob) // 4), dtype=np.float32)
                    if len(blob) == self.vectors.shape[1] * 4:
                        self.vectors[i] = np.frombuffer(blob, dtype=np.float32)
            flush()
            n = i + 1
            if n != n_rows:  # rows deleted between counting and reading: trim to what was read
                self.published_ts = self.published_ts[:n]
                self.sent_start = self.sent_start[:n]
                self.vectors = self.vectors[:n]
            self.article_ids = np.array(article_ids, dtype=object)
            del article_ids
            self.source_codes = source_codes[:n]
            self.author_codes = author_codes[:n]
            self.sources = _names(self._source_code)[self.source_codes]
            self.authors = _names(self._author_code)[self.author_codes]
            self.weights = docs.matrix()
            self.sent_weights = sents.matrix()

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def outlets(self) -> set[str]:
        """The distinct outlets of the passages ("" for none left out)."""
        return set(self._source_code) - {""}

    def source_mask(self, names: Iterable[str]) -> np.ndarray:
        """Which passages come from one of these outlets."""
        return _code_mask(self.source_codes, self._source_code, names)

    def author_mask(self, names: Iterable[str]) -> np.ndarray:
        """Which passages are by one of these authors."""
        return _code_mask(self.author_codes, self._author_code, names)


def _names(code_of: dict[str, int]) -> np.ndarray:
    """The names of a code dictionary as an object array indexed by code."""
    names = np.empty(len(code_of), dtype=object)
    names[:] = list(code_of)  # codes were handed out in insertion order
    return names


def _code_mask(codes: np.ndarray, code_of: dict[str, int], names: Iterable[str]) -> np.ndarray:
    wanted = [code_of[n] for n in names if n in code_of]
    return np.isin(codes, wanted) if wanted else np.zeros(len(codes), dtype=bool)


def _n_sentences(triples: np.ndarray) -> int:
    """Sentences a passage's (sentence, term, tf) triples number (at least one place)."""
    return int(triples[:, 0].max()) + 1 if len(triples) else 1


def _in_chunks(values: Sequence[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """`values` in chunks small enough for one SQL `IN (...)`, each with its placeholders."""
    for i in range(0, len(values), size):
        chunk = list(values[i : i + size])
        yield chunk, ",".join("?" * len(chunk))


def _release_freed_memory() -> None:
    """Hand the build's freed temporaries back to the OS (glibc keeps them otherwise: about
    half the snapshot's footprint). No-op off glibc."""
    import ctypes

    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class KeywordIndex:
    """BM25 over passages in one SQLite file; safe to search from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()
        self._terms: dict[str, int] = dict(self._db.execute("SELECT term, id FROM terms"))
        self._matrix: _Matrix | None = None
        self._matrix_version = ""

    def _failed(self, exc: sqlite3.Error) -> StoreError:
        """A write that SQLite refused (disk full, I/O error, a lock another process held too
        long) as a StoreError naming the file, with the hint that fits the cause."""
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            hint = "another process is writing to this index; run the ingest again when it is done"
        elif "full" in text or "disk" in text or isinstance(exc, sqlite3.OperationalError):
            hint = "free some disk space and run the ingest again: it resumes where it stopped"
        else:
            hint = "run the ingest again: it resumes where it stopped"
        return StoreError(f"Could not write the keyword index at {self.path}: {exc}", hint)

    def _migrate(self) -> None:
        """Create the tables; an index of an older layout is dropped (rebuilt from Chroma)."""
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            self._db.executescript("DROP TABLE docs; DROP TABLE terms; DROP TABLE meta;")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        have = {r[1] for r in self._db.execute("PRAGMA table_info(docs)")}
        for name, kind in ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE docs ADD COLUMN {name} {kind}")
        self._db.executescript(INDEXES)

    def close(self) -> None:
        self._db.close()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is None

    def _version(self) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return str(row[0]) if row else "0"

    def _bump(self) -> None:
        version = int(self._version()) + 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(version),))

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
                        None if doc.meta is None else _pack(doc.body, doc.meta),
                        None if doc.meta is None else _also(doc.meta),
                        doc.sentences,
                    ),
                )

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, Stored]:
        """The stored sentence spans and vectors of these passages (those that have them), by
        id: what answerers read instead of embedding each sentence (qa.sentences)."""
        out: dict[str, Stored] = {}
        for chunk, marks in _in_chunks(passage_ids):
            sql = f"SELECT passage_id, sentences FROM docs WHERE passage_id IN ({marks})"
            for pid, blob in self._db.execute(sql, chunk):
                if blob:
                    out[pid] = unpack_sentences(blob)
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
            yield [passage_from_record(pid, *_unpack(blob)) for pid, blob in rows]
            after = rows[-1][0]

    def passages(self, passage_ids: Sequence[str]) -> dict[str, Passage]:
        """The passages among these whose records the index holds, by id."""
        out: dict[str, Passage] = {}
        for chunk, marks in _in_chunks(passage_ids):
            sql = f"SELECT passage_id, record FROM docs WHERE passage_id IN ({marks})"
            for pid, blob in self._db.execute(sql, chunk):
                if blob is not None:
                    out[pid] = passage_from_record(pid, *_unpack(blob))
        return out

    def article_passages(self, article_id: str) -> list[Passage] | None:
        """An article's passages in body order; None when the index lacks any of their
        records (read them from the store then), [] when it holds no such article."""
        rows = self._db.execute(
            "SELECT passage_id, record FROM docs WHERE article_id=?", (article_id,)
        ).fetchall()
        if any(blob is None for _, blob in rows):
            return None
        passages = [passage_from_record(pid, *_unpack(blob)) for pid, blob in rows]
        return sorted(passages, key=lambda p: (p.start, p.end))

    def article_versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """What `ChromaStore.article_versions` tells, from the records held here: for each of
        these articles, its content hash, the passages that version has and how many of them
        the index holds. (Asking an embedded Chroma costs ~0.2 s a call at a million passages,
        for any metadata filter.)"""
        return stored_versions(
            _unpack(blob)[1]
            for chunk, marks in _in_chunks(article_ids)
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
                [(_pack(text, meta), _also(meta), pid) for pid, text, meta in records],
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
                raise self._failed(exc) from exc
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
            for chunk, marks in _in_chunks(passage_ids):
                self._db.execute(f"DELETE FROM docs WHERE passage_id IN ({marks})", chunk)

    def holds(self, passage_ids: Sequence[str]) -> set[str]:
        """Which of these passages the index holds."""
        out: set[str] = set()
        for chunk, marks in _in_chunks(passage_ids):
            sql = f"SELECT passage_id FROM docs WHERE passage_id IN ({marks})"
            out.update(row[0] for row in self._db.execute(sql, chunk))
        return out

    def article_passage_ids(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The passage ids the index holds for each of these articles."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        for chunk, marks in _in_chunks(article_ids):
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

    def snapshot(self) -> _Matrix:
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
                self._matrix = _Matrix(rows, n_rows, len(self._terms), self.path.parent)
                _release_freed_memory()
                self._matrix_version = version
            return self._matrix

    def query_terms(self, query: str) -> list[int]:
        """The distinct known term ids of `query`."""
        return sorted(set(self._term_ids(tokenize(query), create=False)))

    def scores(self, query: str, mask: np.ndarray | None = None) -> tuple[_Matrix, np.ndarray]:
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
    matrix: _Matrix, index: KeywordIndex, query: str, rows: Sequence[int]
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


def keyword_doc(
    passage_id: str,
    article_id: str,
    text: str,
    title: str,
    source: str | None,
    author: str | None,
    published_ts: int | None,
    vector: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
    sentences: bytes | None = None,
) -> KeywordDoc:
    """A passage for the keyword index: its text under a title / outlet header (searched),
    its record (shown) and its sentence vectors (answers)."""
    header = f"{title}\n{source}" if source else title
    return KeywordDoc(
        passage_id,
        article_id,
        f"{header}\n{text}",
        source,
        author,
        published_ts,
        vector,
        text,
        meta,
        sentences,
    )


def record_doc(pid: str, text: str, meta: dict[str, Any], vector: np.ndarray) -> KeywordDoc:
    """A stored Chroma record (id, text, metadata, vector) as a keyword-index passage."""
    ts = int(meta.get("published_ts", iso_to_ts(meta.get("published_at"))))
    return keyword_doc(
        pid,
        str(meta.get("article_id", "")),
        text,
        str(meta.get("title", "")),
        meta.get("source") or None,
        meta.get("author") or None,
        ts if ts >= 0 else None,
        vector,
        meta,
    )


def sync_from_store(index: KeywordIndex, store: Any, batch: int = 1000, force: bool = False) -> int:
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
    index.set_meta("written_hwm", repr(newest))  # qa.sync reads on from here
    return total + len(docs)


def fill_records(index: KeywordIndex, store: Any, batch: int = 1000) -> int:
    """Copy from the store the records (text, metadata) of the passages the index holds
    without them: a one-time step for an index made before it kept them. Returns how many."""
    missing = index.missing_records()
    for i in range(0, len(missing), batch):
        index.set_records([r[:3] for r in store.records(missing[i : i + batch], vectors=False)])
    return len(missing)

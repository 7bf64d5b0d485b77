"""The ingest catalog: which article versions are fully indexed, their signatures and wire copies.

A small SQLite file beside the Chroma data. A row is written only after the article's passages
are in Chroma, so the catalog never claims more than the store holds; a run killed in between
simply redoes that article (with the same passage ids) next time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    source TEXT,
    url TEXT,
    signature BLOB NOT NULL,
    also TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS aliases (
    id TEXT PRIMARY KEY,
    canonical_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source TEXT,
    url TEXT
);
"""


@dataclass(frozen=True)
class CatalogEntry:
    """A fully indexed article version."""

    id: str
    content_hash: str
    n_chunks: int
    source: str | None
    url: str | None
    signature: np.ndarray
    also: list[dict[str, str | None]]


class Catalog:
    """SQLite-backed record of indexed articles; one writer at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def reset(self, store_id: str) -> None:
        """Forget everything (the store it described is gone) and bind to `store_id`."""
        with self.transaction():
            self._db.execute("DELETE FROM articles")
            self._db.execute("DELETE FROM aliases")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('store_id', ?)", (store_id,))

    def transaction(self) -> sqlite3.Connection:
        """A context manager committing on success, rolling back on error."""
        return _Transaction(self._db)  # type: ignore[return-value]

    def entries(self, ids: Sequence[str]) -> dict[str, CatalogEntry]:
        out: dict[str, CatalogEntry] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, content_hash, n_chunks, source, url, signature, also "
                f"FROM articles WHERE id IN ({marks})",
                chunk,
            )
            for row in rows:
                out[row[0]] = _entry(row)
        return out

    def aliases(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """alias id -> (canonical id, content hash of the copy)."""
        out: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, canonical_id, content_hash FROM aliases WHERE id IN ({marks})", chunk
            )
            out.update({r[0]: (r[1], r[2]) for r in rows})
        return out

    def iter_signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        for row in self._db.execute("SELECT id, signature FROM articles"):
            yield row[0], np.frombuffer(row[1], dtype=np.uint32)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def put_article(self, entry: CatalogEntry) -> None:
        self._db.execute("DELETE FROM aliases WHERE id=?", (entry.id,))
        self._db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.id,
                entry.content_hash,
                entry.n_chunks,
                entry.source,
                entry.url,
                entry.signature.astype(np.uint32).tobytes(),
                json.dumps(entry.also),
            ),
        )

    def set_also(self, article_id: str, also: list[dict[str, str | None]]) -> None:
        self._db.execute("UPDATE articles SET also=? WHERE id=?", (json.dumps(also), article_id))

    def put_alias(
        self,
        alias_id: str,
        canonical_id: str,
        content_hash: str,
        source: str | None,
        url: str | None,
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?, ?)",
            (alias_id, canonical_id, content_hash, source, url),
        )


def _entry(row: tuple[Any, ...]) -> CatalogEntry:
    return CatalogEntry(
        id=row[0],
        content_hash=row[1],
        n_chunks=int(row[2]),
        source=row[3],
        url=row[4],
        signature=np.frombuffer(row[5], dtype=np.uint32),
        also=json.loads(row[6]),
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")

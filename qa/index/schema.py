"""The keyword index's SQLite file: its schema, its migrations, and how a refused write is
reported."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from qa.errors import StoreError
from qa.index import keys

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
# before them gains them empty (qa.index.resync.fill_records fills the records from Chroma once).
ADDED_COLUMNS = (("record", "BLOB"), ("also", "TEXT"), ("sentences", "BLOB"))


def connect(path: Path) -> sqlite3.Connection:
    """The keyword index file at `path`, created or migrated to the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    migrate(db)
    return db


def migrate(db: sqlite3.Connection) -> None:
    """Create the tables; an index of an older layout is dropped (rebuilt from Chroma)."""
    db.executescript(SCHEMA)
    row = db.execute("SELECT value FROM meta WHERE key=?", (keys.SCHEMA,)).fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        db.executescript("DROP TABLE docs; DROP TABLE terms; DROP TABLE meta;")
        db.executescript(SCHEMA)
        db.execute("INSERT INTO meta VALUES (?, ?)", (keys.SCHEMA, SCHEMA_VERSION))
    have = {r[1] for r in db.execute("PRAGMA table_info(docs)")}
    for name, kind in ADDED_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE docs ADD COLUMN {name} {kind}")
    db.executescript(INDEXES)


def write_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A write that SQLite refused (disk full, I/O error, a lock another process held too
    long) as a StoreError naming the file, with the hint that fits the cause."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        hint = "another process is writing to this index; run the ingest again when it is done"
    elif "full" in text or "disk" in text or isinstance(exc, sqlite3.OperationalError):
        hint = "free some disk space and run the ingest again: it resumes where it stopped"
    else:
        hint = "run the ingest again: it resumes where it stopped"
    return StoreError(f"Could not write the keyword index at {path}: {exc}", hint)


def in_chunks(values: Sequence[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """`values` in chunks small enough for one SQL `IN (...)`, each with its placeholders."""
    for i in range(0, len(values), size):
        chunk = list(values[i : i + size])
        yield chunk, ",".join("?" * len(chunk))

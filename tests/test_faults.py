"""A full disk while ingesting (injected write errors from Chroma and from SQLite): a clear
error, and an index that still answers and converges when the ingest is run again."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import ARCHIVE
from qa import Assistant
from qa.errors import StoreError


def _more(tmp_path: Path) -> Path:
    extra = tmp_path / "more"
    extra.mkdir()
    for i in range(3):
        (extra / f"port-{i}.txt").write_text(
            f"---\ntitle: Port report {i}\nsource: Dock Daily\nurl: https://dock.example/{i}\n---\n"
            f"The port handled {i + 3} million containers this year, officials said on Friday.\n"
        )
    return extra


class _FullDisk:
    """A SQLite connection whose inserts of passages fail as on a full disk."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("INSERT INTO docs"):
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_a_full_disk_is_a_clear_error_and_a_rerun_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.api.models.Collection import Collection

    a = Assistant.open(tmp_path / "index", embedder="fake")
    assert a.ingest([ARCHIVE]).added == 4
    extra = _more(tmp_path)
    before = [p.id for p in a.search("apple harvest tonnes", k=3)]

    def no_space(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(Collection, "upsert", no_space)
        with pytest.raises(
            StoreError,
            match=r"Could not write passages to the index at .*"
            r"No space left on device",
        ):
            a.ingest([extra])
    assert [p.id for p in a.search("apple harvest tonnes", k=3)] == before  # still answers

    with monkeypatch.context() as m:
        m.setattr(a.keyword, "_db", _FullDisk(a.keyword._db))
        with pytest.raises(StoreError) as err:
            a.ingest([extra])
        assert "Could not write the keyword index" in err.value.message
        assert "database or disk is full" in err.value.message
        assert "run the ingest again" in err.value.hint
    assert [p.id for p in a.search("apple harvest tonnes", k=3)] == before

    # Space again: the same ingest finishes the job, and the result is a clean run's.
    report = a.ingest([extra])
    assert report.failed == 0 and report.added + report.unchanged == 3
    clean = Assistant.open(tmp_path / "clean", embedder="fake")
    clean.ingest([ARCHIVE])
    clean.ingest([extra])
    ids = lambda x: sorted(pid for pid, *_ in x.store.iter_records())  # noqa: E731
    assert ids(a) == ids(clean)
    reopened = Assistant.open(tmp_path / "index", embedder="fake")
    assert reopened.keyword.count() == reopened.store.count() == clean.store.count()
    assert reopened.search("port containers", k=1)[0].source == "Dock Daily"

"""A real ingest subprocess killed with SIGKILL part way, then re-run, ends with the same index."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from qa import Assistant

pytestmark = pytest.mark.slow

WORDS = (
    "council harbour minister budget election court police school hospital river storm market "
    "energy farmers union strike airport railway museum festival election bridge tax vaccine "
    "climate drought refugees border treaty summit senator mayor governor protest verdict "
    "inquiry scandal merger profit shares bank inflation wages housing rents tenants landlord"
).split()


def _corpus(path: Path, n: int = 96) -> Path:
    rng = random.Random(1234)
    records = []
    for i in range(n):
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(4)
        ]
        records.append(
            {
                "title": f"Story {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
                "source": f"Outlet {i % 5}",
                "url": f"https://news.example/{i}",
                "published_at": f"2023-10-{1 + i % 28:02d}T08:00:00+00:00",
                "body": "\n\n".join(paragraphs),
            }
        )
    path.write_text(json.dumps(records))
    return path


def _snapshot(index: Path) -> dict[str, Any]:
    from qa.index.records import unpack_metadata  # the packed value begins with its write time

    store = Assistant.open(index).store
    got = store._col.get(include=["documents", "metadatas", "embeddings"])
    rows = {
        # When and by which process a passage was written: a re-run changes both by design.
        pid: (
            doc,
            {
                k: v
                for k, v in unpack_metadata(meta).items()
                if k not in ("written_at", "written_by")
            },
            [round(float(x), 4) for x in emb],
        )
        for pid, doc, meta, emb in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        )
    }
    with sqlite3.connect(index / "catalog.sqlite") as db:
        catalog = sorted(db.execute("SELECT id, content_hash, n_chunks FROM articles"))
    return {"passages": rows, "catalog": catalog}


def _catalog_count(index: Path) -> int:
    try:
        with sqlite3.connect(index / "catalog.sqlite", timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def _ingest_cmd(index: Path, src: Path) -> list[str]:
    return [sys.executable, "-m", "qa.cli", "--index", str(index), "ingest", str(src), "--quiet"]


def _kill_when(index: Path, src: Path, ready: Any, timeout: float = 240) -> None:
    proc = subprocess.Popen(_ingest_cmd(index, src), cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + timeout
    try:
        while not ready() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "ingest finished before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_sigkill_then_rerun_equals_one_uninterrupted_run(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "corpus.json")
    reference = tmp_path / "reference"
    report = Assistant.open(reference).ingest([src])
    assert report.added == 96 and report.failed == 0

    index = tmp_path / "killed"
    # Kill 1: while the first batch is being embedded or written (nothing committed yet).
    _kill_when(index, src, lambda: (index / "chroma").exists())
    first = _catalog_count(index)
    # Kill 2: after at least one batch is committed, part way through the rest.
    _kill_when(index, src, lambda: _catalog_count(index) > first)
    partial = _catalog_count(index)
    assert 0 < partial < 96, partial
    done = subprocess.run(
        [*_ingest_cmd(index, src), "--json"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    summary = json.loads(done.stdout)
    assert summary["failed"] == 0
    assert summary["added"] + summary["unchanged"] == 96

    got, want = _snapshot(index), _snapshot(reference)
    assert got["catalog"] == want["catalog"]
    assert set(got["passages"]) == set(want["passages"])  # no duplicated, no missing passage
    for pid, (doc, meta, emb) in want["passages"].items():
        assert got["passages"][pid][0] == doc
        assert got["passages"][pid][1] == meta
        assert got["passages"][pid][2] == pytest.approx(emb, abs=2e-4)


@pytest.mark.parametrize(
    ("point", "nth"), [("read", 40), ("embedded", 2), ("chroma", 2), ("keyword", 2)]
)
def test_sigkill_at_each_stage_then_rerun_converges(tmp_path: Path, point: str, nth: int) -> None:
    """Killed while reading, after embedding, between the Chroma and the keyword-index writes,
    and before the catalog records a batch: a re-run gives the uninterrupted run's index."""
    src = _corpus(tmp_path / "corpus.json")
    env = {**os.environ, "NEWSDESK_EMBEDDER": "fake"}
    reference = tmp_path / "reference"
    subprocess.run(_ingest_cmd(reference, src), cwd=ROOT, env=env, check=True)
    index = tmp_path / "killed"
    killed = subprocess.run(
        _ingest_cmd(index, src), cwd=ROOT, env={**env, "NEWSDESK_CRASH_AT": f"{point}:{nth}"}
    )
    assert killed.returncode == -signal.SIGKILL
    # Before any re-run, a process opening the index searches everything Chroma holds. (In
    # another process: Chroma caches an embedded index's state per process and path.)
    code = (
        "import sys; from qa import Assistant; a = Assistant.open(sys.argv[1], embedder='fake');"
        " print(a.keyword.count(), a.store.count())"
    )
    opened = subprocess.run(
        [sys.executable, "-c", code, str(index)], cwd=ROOT, capture_output=True, text=True
    )
    local, stored = opened.stdout.split()
    assert local == stored
    subprocess.run(_ingest_cmd(index, src), cwd=ROOT, env=env, check=True)
    got, want = _snapshot(index), _snapshot(reference)
    assert got["catalog"] == want["catalog"]
    assert set(got["passages"]) == set(want["passages"])
    a = Assistant.open(index, embedder="fake")
    b = Assistant.open(reference, embedder="fake")
    assert a.keyword.count() == b.keyword.count() == a.store.count()
    for query in ("council budget strike", "harbour storm bridge", "bank inflation wages"):
        assert [p.id for p in a.search(query, k=5)] == [p.id for p in b.search(query, k=5)]

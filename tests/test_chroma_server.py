"""The same code against a real Chroma server (`chroma run`), instead of embedded Chroma."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ARCHIVE, free_port, wait_for_http
from qa import Assistant
from qa.errors import StoreError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chromadb package ships the `chroma` command"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_ingest_and_search_against_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = {"embedder": "fake", "chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    a = Assistant.open(tmp_path / "local", **settings)
    report = a.ingest([ARCHIVE])
    assert report.added == 4
    assert (
        a.search("apples harvest tonnes", k=1)[0].title
        == "Orchard growers report record apple harvest"
    )
    assert not (tmp_path / "local" / "chroma").exists()  # nothing embedded on this machine
    # A second machine (another local folder) sees the same passages from the server.
    b = Assistant.open(tmp_path / "other", **settings)
    assert b.stats()["articles"] == 4
    assert b.search("library Eastfield", k=1)[0].source == "Kingsport Courier"
    again = a.ingest([ARCHIVE])
    assert (again.added, again.unchanged) == (0, 4)


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    a = Assistant.open(tmp_path, embedder="fake", chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match=r"Could not open the Chroma server at 127\.0\.0\.1"):
        _ = a.store

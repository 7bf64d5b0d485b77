"""The same code against a real Chroma server (`chroma run`), instead of embedded Chroma: several
processes sharing one collection, a server that goes away and comes back, clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ARCHIVE, ROOT, free_port, wait_for_http
from qa import Assistant
from qa.errors import ConfigError, StoreError

pytestmark = pytest.mark.slow


def _collection() -> str:
    return f"t-{uuid.uuid4().hex}"


def test_ingest_and_search_against_a_chroma_server(chroma_server: str, tmp_path: Path) -> None:
    settings = {"embedder": "fake", "chroma_url": chroma_server, "collection": _collection()}
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
    # The other machine's catalog never saw these articles; the server tells it they are stored.
    from_b = b.ingest([ARCHIVE])
    assert (from_b.added, from_b.unchanged) == (0, 4)
    assert b.store.count() == a.store.count()


def _write_articles(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{prefix}-{i}.txt").write_text(
            f"---\ntitle: {prefix} story {i}\nsource: {prefix.title()} Times\n"
            f"published_at: 2024-01-{i + 1:02d}\n---\n"
            f"The {prefix} council met on day {i} and discussed harbour item {prefix}{i}. "
            f"Officials from {prefix} said the vote on measure {i} would follow next week.\n"
        )
    return folder


def test_two_processes_ingest_into_one_server_at_once(chroma_server: str, tmp_path: Path) -> None:
    collection = _collection()
    folders = [_write_articles(tmp_path / name, name, 30) for name in ("north", "south")]
    newsdesk = shutil.which("newsdesk", path=str(Path(sys.executable).parent))
    assert newsdesk
    base = [newsdesk, "--chroma-url", chroma_server]
    env = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_COLLECTION": collection, "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [*base, "--index", str(tmp_path / f"machine-{i}"), "ingest", str(folder), "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, folder in enumerate(folders)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    # A third process, on a fresh machine, sees both halves, each article once.
    reader = Assistant.open(
        tmp_path / "reader", embedder="fake", chroma_url=chroma_server, collection=collection
    )
    assert reader.stats()["articles"] == 60
    ids = {p.article_id for p in reader.search("harbour item south7", k=10)}
    assert len(ids) == len(reader.search("harbour item south7", k=10))
    assert reader.search("harbour item south7", k=1)[0].title == "south story 7"
    assert reader.search("harbour item north12", k=1)[0].title == "north story 12"
    # Each writer's local keyword index catches up with the other's articles.
    writer = Assistant.open(
        tmp_path / "machine-0",
        embedder="fake",
        chroma_url=chroma_server,
        collection=collection,
        chroma_refresh_seconds=0,
    )
    assert writer.search("harbour item south7", k=1)[0].title == "south story 7"
    assert writer.keyword.count() == writer.store.count()


def test_a_later_process_on_the_same_folder_lists_nothing_it_holds(
    chroma_server: str, tmp_path: Path
) -> None:
    # What a folder's ingest wrote is in its keyword index: a process started later on that
    # folder (the server restarted, the app after `newsdesk ingest`) must not list it all
    # again from the collection, which takes hours at a million passages.
    common = {"embedder": "fake", "chroma_url": chroma_server, "collection": _collection()}
    first = Assistant.open(tmp_path / "machine", **common)
    first.ingest([ARCHIVE])
    other = Assistant.open(tmp_path / "elsewhere", **common)
    other.ingest([_write_articles(tmp_path / "more", "west", 3)])
    later = Assistant.open(tmp_path / "machine", chroma_refresh_seconds=0, **common)
    listed: list[str] = []
    original = later.store.metadata_written_since

    def spy(*args: Any, **kwargs: Any) -> Any:
        for item in original(*args, **kwargs):
            listed.append(str(item[1].get("article_id")))
            yield item

    later.store.metadata_written_since = spy  # type: ignore[method-assign]
    assert later.search("harbour item west1", k=1)[0].title == "west story 1"
    west = {
        p.article_id for p in later.search("harbour item west", k=10) if p.source == "West Times"
    }
    assert len(west) == 3
    assert set(listed) == west  # only the other folder's articles were listed
    assert later.keyword.count() == later.store.count()


def test_a_serving_process_sees_what_another_ingests(chroma_server: str, tmp_path: Path) -> None:
    common = {"embedder": "fake", "chroma_url": chroma_server, "collection": _collection()}
    server = Assistant.open(tmp_path / "serve", chroma_refresh_seconds=0, **common)
    server.ingest([ARCHIVE])
    assert server.search("fishing quota cod", k=1)[0].title != "Cod quota cut"
    other = Assistant.open(tmp_path / "ingest", **common)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "cod.txt").write_text(
        "---\ntitle: Cod quota cut\nsource: Fleet News\nurl: https://fleet.example/cod\n---\n"
        "The fishing quota for cod was cut by a fifth for next season, ministers said.\n"
    )
    other.ingest([extra])
    assert server.search("fishing quota cod", k=1)[0].title == "Cod quota cut"
    assert "Fleet News" in server.sources()
    # The other process updates the story: the serving one drops the old passage for the new.
    (extra / "cod.txt").write_text(
        "---\ntitle: Cod quota cut\nsource: Fleet News\nurl: https://fleet.example/cod\n---\n"
        "The fishing quota for cod was cut by a third after a late review, ministers said.\n"
    )
    assert other.ingest([extra]).updated == 1
    top = server.search("fishing quota cod", k=1)[0]
    assert "a third" in top.text
    assert server.keyword.count() == server.store.count()
    assert not any("a fifth" in p.text for p in server.search("cod quota fifth", k=10))


def _chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
    return proc


def test_the_web_app_survives_the_server_going_away_and_recovers(tmp_path: Path) -> None:
    from conftest import serve_in_thread as _serve

    port = free_port()
    chroma = _chroma(tmp_path / "chroma-data", port)
    try:
        assistant = Assistant.open(
            tmp_path / "index",
            embedder="fake",
            chroma_url=f"http://127.0.0.1:{port}",
            chroma_refresh_seconds=0,
        )
        assistant.ingest([ARCHIVE])
        question = {"question": "How many tonnes of apples did orchard growers pick?"}
        app = _serve(assistant)
        url = next(app)
        assert "41,000" in httpx.post(f"{url}/api/ask", json=question, timeout=60).json()["answer"]
        chroma.terminate()
        chroma.wait(timeout=30)
        down = httpx.post(f"{url}/api/ask", json=question, timeout=60)
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["message"].startswith(
            f"Could not read the collection of the Chroma server at http://127.0.0.1:{port}"
        )
        assert httpx.get(f"{url}/openapi.json").status_code == 200  # the app itself is up
        chroma = _chroma(tmp_path / "chroma-data", port)
        back = httpx.post(f"{url}/api/ask", json=question, timeout=60)
        assert back.status_code == 200 and "41,000" in back.json()["answer"]
        next(app, None)
    finally:
        chroma.terminate()
        chroma.wait(timeout=30)


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    a = Assistant.open(tmp_path, embedder="fake", chroma_url=url)
    with pytest.raises(StoreError, match=rf"Could not open the Chroma server at {url}"):
        _ = a.store
    with pytest.raises(ConfigError, match="not a Chroma server URL"):
        Assistant.open(tmp_path, chroma_url="ftp://host:1")


def test_the_chroma_token_is_sent_as_a_bearer_header(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    class Refuse(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "Unauthorized", "message": "bad token"}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        a = Assistant.open(
            tmp_path,
            embedder="fake",
            chroma_url=f"http://127.0.0.1:{server.server_address[1]}",
            chroma_token="s3cret",
        )
        assert "s3cret" not in repr(a.settings)
        with pytest.raises(StoreError, match="Could not open the Chroma server"):
            _ = a.store
        assert seen and seen[0]["Authorization"] == "Bearer s3cret"
    finally:
        server.shutdown()


def test_an_embedded_index_moved_behind_a_server_starts_caught_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.index import keys
    from qa.index.passage_index import PassageIndex

    index = tmp_path / "index"
    embedded = Assistant.open(index, embedder="fake")
    embedded.ingest([ARCHIVE])
    assert embedded.keyword.get_meta(keys.GENERATION) == embedded.store.generation() != ""
    del embedded
    port = free_port()
    proc = _chroma(index / "chroma", port)
    try:
        listed: list[float] = []
        real = PassageIndex.reconcile
        monkeypatch.setattr(
            PassageIndex, "reconcile", lambda *a, **k: listed.append(1.0) or real(*a, **k)
        )
        served = Assistant.open(index, embedder="fake", chroma_url=f"http://127.0.0.1:{port}")
        assert served.search("apples harvest tonnes", k=1)[0].source == "Valley Gazette"
        assert listed == []  # the generation matched: nothing was listed or read
        assert served.stats()["articles"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_catching_up_lists_only_what_other_processes_wrote(
    chroma_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.index.store import ChromaStore

    settings = {"embedder": "fake", "chroma_url": chroma_server, "collection": _collection()}
    listed: list[str] = []
    real = ChromaStore.metadata_written_since

    def counting(self: ChromaStore, *args: Any, **kwargs: Any) -> Any:
        for item in real(self, *args, **kwargs):
            listed.append(item[0])
            yield item

    monkeypatch.setattr(ChromaStore, "metadata_written_since", counting)
    a = Assistant.open(tmp_path / "a", **settings)
    a.ingest([ARCHIVE])
    a.catch_up(force=True)
    assert listed == []  # its own writes: already in its keyword index
    # Another process's writes are listed and read.
    b = Assistant.open(tmp_path / "b", **settings)
    b.ingest([_write_articles(tmp_path / "more", "delta", 3)])
    before = a.keyword.count()
    a.catch_up(force=True)
    assert len(listed) >= 3 and a.keyword.count() == before + 3 == a.store.count()


def test_a_wire_copy_another_process_folds_in_reaches_a_serving_process(
    chroma_server: str, tmp_path: Path
) -> None:
    """A serving process shows passages from its local records; a copy of a story it holds,
    ingested elsewhere, changes the story's metadata on the server, and that is picked up."""
    from tests.test_ingest_identity import STORY, _record, _write

    common = {"embedder": "fake", "chroma_url": chroma_server, "collection": _collection()}
    server = Assistant.open(tmp_path / "serve", chroma_refresh_seconds=0, **common)
    server.ingest([_write(tmp_path / "a.json", [_record("https://a.example/ferry", "Alpha")])])
    assert server.search("ferry terminal Marlow", k=1)[0].also == []
    other = Assistant.open(tmp_path / "ingest", **common)
    # The other process knows the story from the server, and folds a copy of it in.
    copy = _record("https://b.example/ferry", "Beta", body=STORY + "\n\nReporting by Wire Staff.")
    other.ingest([_write(tmp_path / "a.json", [_record("https://a.example/ferry", "Alpha")])])
    assert other.ingest([_write(tmp_path / "b.json", [copy])]).duplicate == 1
    [passage] = server.search("ferry terminal Marlow", k=1)
    assert [a["source"] for a in passage.also] == ["Beta"]
    assert server.stats()["sources"] == 2

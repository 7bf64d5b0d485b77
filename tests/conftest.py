"""Shared fixtures: paths, a fake-embedder assistant on a real Chroma, and the real sample index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from qa import Assistant
from qa.types import Passage

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
TEST_DATA = Path(__file__).resolve().parent / "data"
ARCHIVE = TEST_DATA / "archive"
SHARED = ROOT.parent / "shared"
MULTIHOP = SHARED / "data" / "multihop-rag"

SAMPLE_QUESTIONS = {
    "Who did Sullivan reportedly speak with?": ["Yuri Ushakov", "Nikolai Patrushev"],
    "What body was established by the New START treaty?": ["Bilateral Consultative Commission"],
    "When was the last confirmed call between Sullivan and a Russian official?": ["March"],
}
UNANSWERABLE = "What did Sullivan eat for breakfast?"


def make_passage(
    pid: str,
    text: str,
    source: str = "Daily Planet",
    date: str = "2023-10-05",
    author: str | None = None,
    start: int = 0,
) -> Passage:
    """A hand-made passage 'Story <pid>' at https://news.test/<pid>, published `date` 09:00 UTC."""
    return Passage(
        id=pid,
        text=text,
        article_id=f"https://news.test/{pid}",
        title=f"Story {pid}",
        source=source,
        author=author,
        published_at=f"{date}T09:00:00+00:00",
        url=f"https://news.test/{pid}",
        start=start,
        end=start + len(text),
    )


def bridge_archive(tmp_path: Path) -> Path:
    """A one-article archive (a harbour bridge closing), with outlet and date, for LLM tests."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "bridge.txt").write_text(
        "---\ntitle: Bridge to close\nsource: Harbour Herald\npublished_at: 2023-10-05\n---\n"
        "The harbour bridge will close in March for repairs. Traffic will use the ferry.\n"
    )
    return archive


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, proc: Any, timeout: float) -> None:
    """Poll `url` until it answers 2xx; raise if `proc` exits or `timeout` seconds pass."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"server exited before answering {url}: {out}")
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def multihop_articles(evidence: int = 12, first: int = 12) -> list[dict[str, Any]]:
    """Real MultiHop-RAG articles (ids are their URLs), read from ../shared at test time (never
    copied into the repo): the evidence articles of the developer queries about TechCrunch
    until there are `evidence` of them, then the corpus's first `first` articles (many outlets).
    Skips the calling test when the data set is not there."""
    import json

    corpus_file, queries_file = MULTIHOP / "corpus.json", MULTIHOP / "queries-dev.json"
    if not corpus_file.is_file() or not queries_file.is_file():
        pytest.skip(f"the MultiHop-RAG data set is not at {MULTIHOP}")
    corpus = json.loads(corpus_file.read_text(encoding="utf-8"))
    by_url = {a["url"]: a for a in corpus}
    urls: list[str] = []
    for query in json.loads(queries_file.read_text(encoding="utf-8")):
        if len(urls) >= evidence:
            break
        facts = query["evidence_list"]
        if query["question_type"] == "inference_query" and any(
            f.get("source") == "TechCrunch" for f in facts
        ):
            urls += [f["url"] for f in facts if f["url"] in by_url and f["url"] not in urls]
    urls += [a["url"] for a in corpus[:first] if a["url"] not in urls]
    return [by_url[u] for u in urls]


def serve_in_thread(assistant: Assistant) -> Iterator[str]:
    """`build_server` of `assistant` (its server settings) under uvicorn in a thread on a free
    port; its URL."""
    import threading
    import time

    import uvicorn

    from qa.serve.server import build_server

    port = free_port()
    config = uvicorn.Config(
        build_server(assistant, assistant.settings.server),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not server.started:  # uvicorn sets it once the socket listens
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the API server on {url} did not start")
            time.sleep(0.1)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own NEWSDESK_* settings."""
    for key in list(os.environ):
        if key.startswith("NEWSDESK_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`, from the chromadb package) on a free loopback port,
    for the whole test session; its URL."""
    import shutil
    import subprocess
    import sys

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
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(params=["embedded", "server"])
def fake_assistant(request: pytest.FixtureRequest, tmp_path: Path) -> Assistant:
    """An assistant with the fake embedder on a real Chroma: embedded in a temp folder, and
    (the same test again) on the session's Chroma server, in a collection of its own."""
    if request.param == "embedded":
        return Assistant.open(tmp_path / "index", embedder="fake")
    import uuid

    url = request.getfixturevalue("chroma_server")
    return Assistant.open(
        tmp_path / "index", embedder="fake", chroma_url=url, collection=f"t-{uuid.uuid4().hex}"
    )


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index (MiniLM + Chroma on disk) of the bundled sample archive."""
    index = tmp_path_factory.mktemp("sample-index")
    report = Assistant.open(index).ingest([SAMPLE_DIR])
    assert report.added == 1 and report.failed == 0
    return index


@pytest.fixture(scope="session")
def sample_assistant(sample_index: Path) -> Iterator[Assistant]:
    yield Assistant.open(sample_index)

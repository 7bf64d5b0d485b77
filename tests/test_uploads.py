"""Uploads (web chat and HTTP): checked, stored under generated names, ingested with per-file
errors; and the article view they lead to, with hostile markup kept inert."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import serve_in_thread as _serve
from qa import Assistant
from qa.errors import IngestError
from qa.serve.archive import upload_files
from qa.serve.uploads import ingest_uploads, store_upload

HOSTILE = (
    "---\ntitle: Council <script>window.pwned = 1</script> minutes\nsource: Hostile Herald\n"
    "published_at: 2023-10-09\nurl: javascript:alert(1)\n---\n"
    "The council approved the <b>harbour</b> budget of 12 million euros on Monday. "
    "<script>window.pwned = 1; alert('x')</script> <img src=x onerror=alert(1)> "
    "Councillors said the ferry terminal would be rebuilt next year.\n"
)


def test_an_upload_is_stored_under_a_generated_name_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    path = store_upload(io.BytesIO(b"hello news"), "../../etc/evil name.txt", folder, 1000)
    assert path.parent == folder and path.suffix == ".txt"
    assert "evil" not in path.name and ".." not in path.name
    assert path.read_bytes() == b"hello news"
    # The same bytes again are the same file: stored (and later ingested) once.
    assert store_upload(io.BytesIO(b"hello news"), "copy.txt", folder, 1000) == path
    gz = store_upload(io.BytesIO(b"\x1f\x8b..."), "feed.jsonl.gz", folder, 1000)
    assert gz.name.endswith(".jsonl.gz")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tool.exe", b"MZ...", "not an accepted upload type"),
        ("notes.txt.zip", b"PK...", "not an accepted upload type"),
        ("big.txt", b"x" * 2000, "larger than the upload limit of 1,000 bytes"),
        ("empty.json", b"", "empty file"),
    ],
)
def test_unacceptable_uploads_are_refused_naming_the_file(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(IngestError) as err:
        store_upload(io.BytesIO(data), name, tmp_path / "uploads", 1000)
    assert err.value.message.startswith(f"{name}: {reason}")
    assert list((tmp_path / "uploads").glob("*")) == []  # nothing left behind, not even partly


def test_uploads_are_ingested_with_per_file_errors_under_their_own_names(
    tmp_path: Path,
) -> None:
    assistant = Assistant.open(tmp_path / "index", embedder="fake", max_upload_mb=1)
    files = [
        ("hostile.md", io.BytesIO(HOSTILE.encode())),
        ("broken.json", io.BytesIO(b'{"title": "x", ')),
        ("virus.exe", io.BytesIO(b"MZ")),
    ]
    report = ingest_uploads(assistant, files)
    assert report.added == 1 and report.failed == 2
    assert report.failures[0].startswith("virus.exe: not an accepted upload type")
    assert report.failures[1].startswith("broken.json: ")
    stored = sorted(p.name for p in (tmp_path / "index" / "uploads").iterdir())
    assert len(stored) == 2 and not any(n in ("hostile.md", "broken.json") for n in stored)
    # Uploading the same file again changes nothing.
    again = ingest_uploads(assistant, [("renamed.md", io.BytesIO(HOSTILE.encode()))])
    assert (again.added, again.unchanged) == (0, 1)


def test_the_archive_tab_upload_reports_counts_and_errors(tmp_path: Path) -> None:
    assistant = Assistant.open(tmp_path / "index", embedder="fake")
    good = tmp_path / "hostile.md"
    good.write_text(HOSTILE)
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"\x89PNG")
    seen: list[float | None] = []
    text = upload_files(assistant, [str(good), str(bad)], lambda done, desc: seen.append(done))
    assert text.startswith("**1** added")
    assert "photo.png: not an accepted upload type" in text
    assert seen and seen[-1] == 1.0
    assert upload_files(assistant, []) == "Choose files to add first."


def test_an_article_is_rebuilt_whole_with_quote_offsets_intact(tmp_path: Path) -> None:
    assistant = Assistant.open(tmp_path / "index", embedder="fake", chunk_tokens=32)
    body = " ".join(f"Sentence number {i} says the harbour grew by {i} boats." for i in range(40))
    record = {"title": "Harbour", "body": body, "source": "Port News", "url": "https://p.example/h"}
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    assistant.ingest([tmp_path / "a.jsonl"])
    passage = assistant.search("harbour grew by 17 boats", k=1)[0]
    assert assistant.store.count() > 3  # several passages, overlapping
    article = assistant.article(passage.article_id)
    assert article.body == body and article.title == "Harbour" and article.source == "Port News"
    assert article.body[passage.start : passage.end] == passage.text
    from qa.errors import NotFoundError

    with pytest.raises(NotFoundError):
        assistant.article("no-such-id")


@pytest.fixture(scope="module")
def hostile_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assistant = Assistant.open(tmp_path_factory.mktemp("hostile") / "index", embedder="fake")
    yield from _serve(assistant)


def test_uploads_over_http_then_the_article_view_keeps_markup_inert(hostile_api: str) -> None:
    files = [
        ("files", ("hostile.md", HOSTILE.encode(), "text/markdown")),
        ("files", ("../../../x.sh", b"#!/bin/sh\nrm -rf /\n", "text/x-sh")),
    ]
    report = httpx.post(f"{hostile_api}/api/ingest", files=files, timeout=120).json()
    assert report["added"] == 1 and report["failed"] == 1
    assert report["failures"][0].startswith("x.sh: not an accepted upload type")
    answer = httpx.post(
        f"{hostile_api}/api/ask",
        json={"question": "What budget did the council approve for the harbour?"},
        timeout=60,
    ).json()
    cited = answer["citations"][0]
    # JSON carries the article's text as text.
    assert "<script>" in cited["title"]
    page = httpx.get(
        f"{hostile_api}/article/{cited['article_id']}",
        params={"start": cited["quote_start"], "end": cited["quote_end"]},
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    body = page.text
    assert "<script" not in body and "<img" not in body and "<b>harbour" not in body
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in body
    assert "javascript:" not in body  # a non-web link is not made a link
    assert f"<mark id='hl'>{cited['quote'].replace('<', '&lt;').replace('>', '&gt;')}" in body
    whole = httpx.get(f"{hostile_api}/api/articles/{cited['article_id']}").json()
    assert whole["source"] == "Hostile Herald" and "12 million euros" in whole["body"]
    missing = httpx.get(f"{hostile_api}/api/articles/nope")
    assert missing.status_code == 404 and "No article" in missing.json()["error"]["message"]


def test_an_oversized_upload_request_is_refused_before_reading(hostile_api: str) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(hostile_api)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        # Headers that announce a terabyte; the server must answer without waiting for it.
        sock.sendall(
            b"POST /api/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n"
        )
        status = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 413 ")

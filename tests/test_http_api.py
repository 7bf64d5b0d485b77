"""The HTTP API over real HTTP: ask/search/stats, OpenAPI, concurrency, the OpenAI-compatible
endpoint through the `openai` client, the Python client, auth, and the loopback-only rule."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from conftest import ARCHIVE, ROOT, serve_in_thread
from qa import Assistant
from qa.errors import ConfigError, NewsdeskError, NotFoundError
from qa.serve.client import Client
from qa.serve.http_api import authorized, check_bind, load_users

QUESTION = "How many tonnes of apples did orchard growers pick?"


@pytest.fixture(scope="module")
def archive_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    assistant = Assistant.open(tmp_path_factory.mktemp("api") / "index", embedder="fake")
    assistant.ingest([ARCHIVE])
    return assistant


@pytest.fixture(scope="module")
def api(archive_assistant: Assistant) -> Iterator[str]:
    yield from serve_in_thread(archive_assistant)


def test_ask_search_and_stats_follow_the_cli_contract(api: str) -> None:
    answer = httpx.post(f"{api}/api/ask", json={"question": QUESTION}, timeout=60).json()
    assert set(answer) >= {"answer", "refused", "citations", "standalone_question"}
    assert "41,000 tonnes" in answer["answer"] and not answer["refused"]
    cited = answer["citations"][0]
    assert cited["title"] == "Orchard growers report record apple harvest"
    assert {"quote", "quote_start", "quote_end", "url", "source", "also_in"} <= set(cited)
    rows = httpx.get(f"{api}/api/search", params={"q": "apple harvest", "k": 3}).json()
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert {"score", "text", "title", "source", "url", "start", "end"} <= set(rows[0])
    only = httpx.get(
        f"{api}/api/search", params={"q": "city council", "source": "Valley Gazette"}
    ).json()
    assert only and {r["source"] for r in only} == {"Valley Gazette"}
    stats = httpx.get(f"{api}/api/stats").json()
    assert stats["articles"] >= 3 and stats["chunks"] >= stats["articles"]


def test_a_follow_up_uses_the_history(api: str) -> None:
    body = {
        "question": "and how much will it cost?",
        "history": [
            {"role": "user", "content": "What did Kingsport city council vote to build?"},
            {"role": "assistant", "content": "A library [1]."},
        ],
    }
    answer = httpx.post(f"{api}/api/ask", json=body, timeout=60).json()
    assert answer["standalone_question"] == "How much will it cost, about Kingsport?"


def test_history_may_come_as_text_parts(api: str) -> None:
    parts = [{"type": "text", "text": "What did Kingsport city council vote to build?"}]
    body = {
        "question": "and how much will it cost?",
        "history": [
            {"role": "user", "content": parts},
            {"role": "assistant", "content": "A library [1]."},
        ],
    }
    answer = httpx.post(f"{api}/api/ask", json=body, timeout=60).json()
    assert answer["standalone_question"] == "How much will it cost, about Kingsport?"


def test_errors_are_json_with_a_status(api: str, tmp_path: Path) -> None:
    bad = httpx.post(
        f"{api}/api/ask", json={"question": QUESTION, "filters": {"since": "not a date"}}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("Not an ISO-8601 date")
    empty = httpx.post(f"{api}/api/ask", json={"question": ""})
    assert empty.status_code == 422
    assert empty.json()["error"]["message"].startswith("Invalid request: question: String should")
    blank = httpx.post(f"{api}/api/ask", json={"question": "  \n "})
    assert blank.status_code == 400 and blank.json()["error"]["message"] == "The question is empty"


def test_openapi_schema_lists_the_routes(api: str) -> None:
    schema = httpx.get(f"{api}/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/stats", "/v1/chat/completions"} <= set(schema["paths"])


def test_twenty_concurrent_asks_are_all_answered_correctly(api: str) -> None:
    questions = [QUESTION, "What did Kingsport city council vote to build?"] * 10

    def ask(q: str) -> dict[str, Any]:
        r = httpx.post(f"{api}/api/ask", json={"question": q}, timeout=120)
        r.raise_for_status()
        return dict(r.json())

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(ask, questions))
    for q, a in zip(questions, answers, strict=True):
        assert not a["refused"] and a["citations"]
        assert ("41,000 tonnes" in a["answer"]) == (q == QUESTION)
        if q != QUESTION:
            assert "library" in a["answer"]


def test_the_openai_client_can_use_newsdesk_as_a_model(api: str) -> None:
    from openai import NotFoundError, OpenAI

    client = OpenAI(base_url=f"{api}/v1", api_key="unused")
    assert [m.id for m in client.models.list()] == ["newsdesk"]
    done = client.chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": QUESTION}]
    )
    content = done.choices[0].message.content or ""
    assert "41,000 tonnes" in content and "\n\n**Sources**\n\n**[1]** [" in content
    assert "<https://valley-gazette.example/apple-harvest>" in content
    extra = (done.model_extra or {})["newsdesk"]
    assert extra["refused"] is False and extra["citations"][0]["url"]
    usage = done.usage
    assert usage is not None and usage.prompt_tokens >= 8 and usage.completion_tokens > 20
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    stream = client.chat.completions.create(
        model="newsdesk",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    # The extractive answerer writes its answer whole: one piece, then the stop with `newsdesk`.
    assert text == content
    stop = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    assert (stop.model_extra or {})["newsdesk"]["citations"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 20
    with pytest.raises(NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    parts = [{"type": "text", "text": QUESTION}]
    done = client.chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": parts}]
    )  # type: ignore[misc, list-item]
    assert "41,000 tonnes" in (done.choices[0].message.content or "")


def test_chat_completions_stream_a_models_tokens_as_they_come(tmp_path: Path) -> None:
    from openai import OpenAI

    from tests.scripted_llm import ScriptedLLM

    llm = ScriptedLLM()
    try:
        assistant = Assistant.open(
            tmp_path / "index",
            embedder="fake",
            answerer="openai",
            llm_base_url=llm.url,
            llm_model="scripted",
        )
        assistant.ingest([ARCHIVE])
        llm.replies = [{"content": "Growers picked 41,000 tonnes of apples this season [1]."}]
        for url in serve_in_thread(assistant):
            client = OpenAI(base_url=f"{url}/v1", api_key="unused")
            stream = client.chat.completions.create(
                model="newsdesk", messages=[{"role": "user", "content": QUESTION}], stream=True
            )
            pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
            llm.replies = [
                {"content": "Growers picked 41,000 tonnes [1]. They also grew pears [1]."}
            ]
            checked = client.chat.completions.create(
                model="newsdesk", messages=[{"role": "user", "content": QUESTION}], stream=True
            )
            corrected = "".join(c.choices[0].delta.content or "" for c in checked if c.choices)
    finally:
        llm.close()
    words = [p for p in pieces if p.strip()]
    assert len(words) > 4  # the model's words, as they came, not one burst of the finished text
    text = "".join(pieces)
    assert text.startswith("Growers picked 41,000 tonnes of apples this season [1].\n\n**Sources**")
    assert "**Sources**\n\n**[1]** [Orchard growers report record apple harvest]" in text
    # What the checks changed is said in the stream, with the checked answer.
    assert "They also grew pears" in corrected
    after = corrected.split("_Checked against the sources, the answer reads:_")[1]
    assert "pears" not in after and "41,000 tonnes" in after and "**Sources**" in after


def test_articles_with_url_ids_are_reachable(api: str) -> None:
    from urllib.parse import quote

    article_id = "https://valley-gazette.example/apple-harvest"
    encoded = quote(article_id, safe="")
    for path in (encoded, article_id):
        data = httpx.get(f"{api}/api/articles/{path}").json()
        assert data["article_id"] == article_id and data["source"] == "Valley Gazette"
    body = data["body"]
    start = body.index("Warm spring weather")
    page = httpx.get(f"{api}/article/{encoded}", params={"start": start, "end": start + 19})
    assert page.status_code == 200
    assert "<mark id='hl'>Warm spring weather</mark>" in page.text
    assert "Valley Gazette · 2023-10-02 · By Priya Natarajan" in page.text
    assert f"href='{article_id}'" in page.text and "<a id='back' href='/'>" in page.text
    assert page.text.count("<p>") >= 2  # the body's paragraphs, not one run of text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    missing = httpx.get(f"{api}/article/{quote('https://nowhere.example/x', safe='')}")
    assert missing.status_code == 404 and "No such article" in missing.text
    assert httpx.get(f"{api}/api/articles/nope").status_code == 404


def test_outlet_filters_forgive_case_and_name_the_closest(api: str) -> None:
    rows = httpx.get(f"{api}/api/search", params={"q": "council", "source": "kingsport courier"})
    assert rows.status_code == 200 and {r["source"] for r in rows.json()} == {"Kingsport Courier"}
    body = {"question": QUESTION, "filters": {"sources": ["valley-gazette"]}}
    answer = httpx.post(f"{api}/api/ask", json=body, timeout=60).json()
    assert "41,000 tonnes" in answer["answer"]
    bad = httpx.post(
        f"{api}/api/ask", json={"question": QUESTION, "filters": {"sources": ["Valley Gazete"]}}
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["field"] == "sources" and error["hint"] == "did you mean Valley Gazette?"
    assert error["message"] == "The archive holds no articles from an outlet named 'Valley Gazete'"


def test_the_docs_are_served_from_this_server(api: str) -> None:
    page = httpx.get(f"{api}/docs")
    assert page.status_code == 200 and "cdn." not in page.text
    assert "/static-offline-docs/swagger-ui-bundle.js" in page.text
    script = httpx.get(f"{api}/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert httpx.get(f"{api}/redoc").status_code == 200


def test_the_server_answers_while_the_models_load(tmp_path: Path) -> None:
    from qa.embedding import FakeEmbedder

    release = threading.Event()

    class SlowToLoad(Assistant):
        @property  # type: ignore[misc]
        def embedder(self) -> FakeEmbedder:  # type: ignore[override]
            release.wait(60)
            return FakeEmbedder()

    assistant = SlowToLoad(Assistant.open(tmp_path / "index", embedder="fake").settings)
    for url in serve_in_thread(assistant):
        assert httpx.get(f"{url}/api/status").json() == {
            "ready": False,
            "status": "loading the model",
        }
        assert httpx.get(f"{url}/").status_code == 200  # the page, saying it is loading
        assert httpx.get(f"{url}/docs").status_code == 200
        release.set()
        deadline = time.monotonic() + 60
        while not httpx.get(f"{url}/api/status").json()["ready"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert httpx.get(f"{url}/api/stats").json()["articles"] == 0


def test_the_python_client_mirrors_the_assistant(api: str) -> None:
    with Client(api) as client:
        answer = client.ask(QUESTION)
        assert "41,000 tonnes" in answer.text and answer.citations[0].passage.url
        assert client.search("apple harvest", k=2)[0].title
        assert client.stats()["articles"] >= 3
        article = client.article("https://valley-gazette.example/apple-harvest")
        assert article.source == "Valley Gazette" and "41,000 tonnes" in article.body
        with pytest.raises(NotFoundError):
            client.article("https://nowhere.example/x?y=1")
        with pytest.raises(NewsdeskError, match="Not an ISO-8601 date"):
            from qa.types import SearchFilters

            client.search("apples", filters=SearchFilters(since="yesterday-ish"))


def test_auth_protects_the_api_and_the_chat(
    archive_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai import AuthenticationError, OpenAI

    locked = Assistant(
        archive_assistant.settings.model_copy(update={"auth": SecretStr("ann:s3cret")}),
        embedder=archive_assistant.embedder,
        store=archive_assistant.store,
    )
    for url in serve_in_thread(locked):
        assert httpx.get(f"{url}/api/stats").status_code == 401
        assert httpx.get(f"{url}/").status_code == 401  # the web chat too
        assert httpx.get(f"{url}/api/stats", auth=("ann", "wrong")).status_code == 401
        assert httpx.get(f"{url}/api/stats", auth=("ann", "s3cret")).status_code == 200
        assert httpx.get(f"{url}/", auth=("ann", "s3cret")).status_code == 200
        with Client(url, auth=("ann", "s3cret")) as client:
            assert client.stats()["articles"] >= 3
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=f"{url}/v1", api_key="nope").models.list()
        models = OpenAI(base_url=f"{url}/v1", api_key="ann:s3cret").models.list()
        assert [m.id for m in models] == ["newsdesk"]


def test_auth_settings_and_headers() -> None:
    users = load_users("ann:pw1,bob:pw2", None)
    assert users == {"ann": "pw1", "bob": "pw2"}
    assert authorized("Basic YW5uOnB3MQ==", users)  # ann:pw1
    assert authorized("Bearer bob:pw2", users)
    assert not authorized("Bearer bob:pw1", users) and not authorized(None, users)
    with pytest.raises(ConfigError, match="user:password"):
        load_users("just-a-password", None)


def test_serving_beyond_loopback_needs_auth() -> None:
    check_bind("127.0.0.1", {}, False)
    check_bind("0.0.0.0", {"ann": "pw"}, False)
    check_bind("0.0.0.0", {}, True)
    with pytest.raises(ConfigError, match="without authentication"):
        check_bind("0.0.0.0", {}, False)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["newsdesk serve", "python app.py"])
def test_the_server_refuses_to_start_open_to_the_network(tmp_path: Path, command: str) -> None:
    # `python app.py` runs `newsdesk serve`: the same checks, the bind before the index.
    if command == "newsdesk serve":
        args = ["-m", "qa.cli", "--index", str(tmp_path), "serve", "--host", "0.0.0.0"]
    else:
        args = [str(ROOT / "app.py"), "--host", "0.0.0.0"]
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "NEWSDESK_INDEX": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "Refusing to serve on 0.0.0.0 without authentication" in proc.stderr
    assert "NEWSDESK_AUTH" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "question",
    [
        "?!?!...,,;;",
        "Wer hat den Hafen gebaut?",
        "港口什么时候关闭？",
        "apples\x00\x01\x1b[31m tonnes\u202e",
        "x" * 19_999,
        "\U0001f34e" * 500,
    ],
)
def test_hostile_questions_get_an_answer_or_a_clear_refusal(api: str, question: str) -> None:
    response = httpx.post(f"{api}/api/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200
    body = response.json()
    assert body["refused"] or body["citations"]
    rows = httpx.get(f"{api}/api/search", params={"q": question[:4000]}, timeout=120)
    assert rows.status_code == 200 and isinstance(rows.json(), list)


def test_undecodable_and_oversized_questions_are_clear_errors(api: str) -> None:
    # A lone surrogate is valid JSON but not text: it must not become a server error.
    raw = b'{"question": "apples \\ud800 tonnes"}'
    response = httpx.post(
        f"{api}/api/ask", content=raw, headers={"content-type": "application/json"}, timeout=60
    )
    assert response.status_code == 422 and "valid string" in response.json()["error"]["message"]
    huge = httpx.post(f"{api}/api/ask", json={"question": "x" * 100_000}, timeout=60)
    assert huge.status_code == 422
    assert "at most 20000 characters" in huge.json()["error"]["message"]

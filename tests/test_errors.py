"""Every error class carries its CLI exit code and HTTP status; each surface renders it with one
function (qa.errors.error_text for a terminal, qa.serve.errors for the server), message and hint."""

from __future__ import annotations

import ast
import html
from pathlib import Path

import pytest

from conftest import ROOT
from qa.answers.llm import LLMError
from qa.errors import (
    ConfigError,
    EmptyIndexError,
    FilterError,
    IngestError,
    InvalidRequestError,
    ModelError,
    NewsdeskError,
    NotFoundError,
    StoreError,
    TooLargeError,
)

# class: (exit code of the CLI, HTTP status of the APIs). The statuses are those the API has
# always answered with (README "HTTP API"); every error exits the CLI with 1.
TABLE: dict[type[NewsdeskError], tuple[int, int]] = {
    NewsdeskError: (1, 400),
    ConfigError: (1, 400),
    FilterError: (1, 400),
    ModelError: (1, 400),
    IngestError: (1, 400),
    LLMError: (1, 400),
    NotFoundError: (1, 404),
    EmptyIndexError: (1, 409),
    TooLargeError: (1, 413),
    InvalidRequestError: (1, 422),
    StoreError: (1, 503),
}


def _error(cls: type[NewsdeskError]) -> NewsdeskError:
    if cls is IngestError:
        return IngestError("a.json", "it broke", hint="fix it")
    return cls("it broke", "fix it")


def _declared_error_classes() -> set[str]:
    """Names of the classes deriving from NewsdeskError anywhere in the code (read, not
    imported, so that a module nobody imported here still counts)."""
    bases: dict[str, set[str]] = {}
    files = [
        ROOT / "app.py",
        *(p for d in ("qa", "ingest", "eval") for p in (ROOT / d).rglob("*.py")),
    ]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                bases[node.name] = names
    found = {"NewsdeskError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def test_the_table_lists_every_error_class() -> None:
    assert {cls.__name__ for cls in TABLE} == _declared_error_classes()


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_each_class_carries_its_exit_code_and_status(cls: type[NewsdeskError]) -> None:
    assert (cls.exit_code, cls.http_status) == TABLE[cls]
    error = _error(cls)
    assert (error.exit_code, error.http_status) == TABLE[cls]


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_the_cli_exits_with_the_code_of_the_class(
    cls: type[NewsdeskError], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.cli

    error = _error(cls)

    class Failing:
        def stats(self) -> None:
            raise error

    monkeypatch.setattr(qa.cli, "_assistant", lambda *a, **k: Failing())
    with pytest.raises(SystemExit) as exited:
        qa.cli.main(["stats"])
    assert exited.value.code == TABLE[cls][0]
    err = capsys.readouterr().err
    assert err.splitlines() == [f"error: {error.message}", "hint: fix it"]
    assert "Traceback" not in err


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_the_http_api_answers_with_the_status_of_the_class(
    cls: type[NewsdeskError], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from qa.assistant import Assistant
    from qa.serve.http_api import build_api

    error = _error(cls)
    assistant = Assistant.open(tmp_path / "ix", embedder="fake")

    def fail() -> None:
        raise error

    monkeypatch.setattr(assistant, "stats", fail)
    response = TestClient(build_api(assistant)).get("/api/stats")
    assert response.status_code == TABLE[cls][1]
    assert response.json() == {"error": {"message": error.message, "hint": "fix it"}}


def test_a_filter_error_names_its_option_or_field_on_every_surface(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    import qa.cli
    from qa.assistant import Assistant
    from qa.serve.errors import error_markdown
    from qa.serve.http_api import build_api

    error = FilterError("No such outlet", "did you mean X?", "sources")

    class Failing:
        def stats(self) -> None:
            raise error

    monkeypatch.setattr(qa.cli, "_assistant", lambda *a, **k: Failing())
    with pytest.raises(SystemExit):
        qa.cli.main(["stats"])
    assert capsys.readouterr().err.splitlines() == [
        "error: --source: No such outlet",
        "hint: did you mean X?",
    ]
    assistant = Assistant.open(tmp_path / "ix", embedder="fake")
    monkeypatch.setattr(assistant, "stats", Failing().stats)
    body = TestClient(build_api(assistant)).get("/api/stats").json()
    assert body == {
        "error": {"message": "No such outlet", "hint": "did you mean X?", "field": "sources"}
    }
    assert error_markdown(error) == "⚠️ **Outlets:** No such outlet\n\n_did you mean X?_"


def test_only_the_renderers_read_an_error_s_hint() -> None:
    """Message and hint are put together in one function per surface (qa.errors.error_text, the
    three of qa.serve.errors), never inline: the hint is read nowhere else."""
    renderers = {ROOT / "qa" / "errors.py", ROOT / "qa" / "serve" / "errors.py"}
    files = [
        ROOT / "app.py",
        *(p for d in ("qa", "ingest", "eval") for p in (ROOT / d).rglob("*.py")),
    ]
    inline = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in files
        if path not in renderers
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "hint"
    ]
    assert inline == []


def test_python_m_onnx_export_renders_errors_as_the_cli_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from qa import onnx_export

    def fail(*_args: object) -> None:
        raise ModelError("Could not export the embedding model", "check the model folder")

    monkeypatch.setattr(onnx_export, "ensure_exported", fail)
    monkeypatch.setattr(sys, "argv", ["qa.onnx_export", "/nowhere"])
    with pytest.raises(SystemExit) as exited:
        onnx_export.main()
    assert exited.value.code == ModelError.exit_code
    assert capsys.readouterr().err.splitlines() == [
        "error: Could not export the embedding model",
        "hint: check the model folder",
    ]


def test_models_that_fail_to_load_are_reported_with_their_hint(tmp_path: Path) -> None:
    from qa.assistant import Assistant
    from qa.serve.startup import Warmup

    # An LLM answerer without its model file: loading the answerer fails.
    assistant = Assistant.open(tmp_path / "ix", embedder="fake", answerer="llama-cpp")
    warmup = Warmup(assistant).start()
    assert warmup.wait(60)
    status = warmup.status()
    assert status["ready"] is True
    assert status["status"] == "failed: The llama-cpp answerer needs a GGUF model file"
    assert status["error"]["message"] == "The llama-cpp answerer needs a GGUF model file"
    assert "NEWSDESK_LLM_MODEL_PATH" in status["error"]["hint"]


@pytest.mark.parametrize(
    "failure",
    [ConfigError("Cannot read the auth file /x", "check NEWSDESK_AUTH_FILE"), OSError("disk <x>")],
    ids=["newsdesk-error", "unexpected"],
)
def test_a_server_that_failed_to_start_says_why_in_json_and_html(failure: Exception) -> None:
    import asyncio

    import httpx

    from qa.serve.startup import StartingApp

    def build() -> None:
        raise failure

    async def requests() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=StartingApp(build))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = await client.get("/api/stats")  # waits for the build, which fails
            page = await client.get("/")
            return api, page

    api, page = asyncio.run(requests())
    message, hint = (
        (failure.message, failure.hint)
        if isinstance(failure, NewsdeskError)
        else ("disk <x>", "the server's log has the details")
    )
    assert api.status_code == page.status_code == 500
    assert api.json() == {"error": {"message": message, "hint": hint}}
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>newsdesk failed to start</h1>" in page.text
    assert f"<p>{html.escape(message)}.</p><p class='meta'>{html.escape(hint)}</p>" in page.text

"""Every error class carries its CLI exit code and HTTP status; each surface renders it once."""

from __future__ import annotations

import ast
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
    from qa.serve import chat
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
    assert chat.error_markdown(error) == "⚠️ **Outlets:** No such outlet\n\n_did you mean X?_"

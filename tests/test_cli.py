"""The CLI through its entry point: JSON contracts, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import ARCHIVE, SAMPLE_QUESTIONS, UNANSWERABLE
from qa.cli import app, main

SEARCH_KEYS = {
    "rank",
    "score",
    "text",
    "article_id",
    "title",
    "source",
    "author",
    "published_at",
    "url",
    "start",
    "end",
}
CITATION_KEYS = {
    "n",
    "text",
    "article_id",
    "title",
    "source",
    "author",
    "published_at",
    "url",
    "start",
    "end",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_search_json_contract(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--index", str(sample_index), "search", "New START treaty", "--k", "2", "--json"
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["rank"] for r in rows] == [1, 2]
    for row in rows:
        assert set(row) == SEARCH_KEYS
        assert isinstance(row["score"], float) and isinstance(row["start"], int)
        assert row["published_at"] is None or row["published_at"][:4].isdigit()
    assert rows[0]["score"] >= rows[1]["score"]


@pytest.mark.slow
def test_ask_json_contract(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question = next(iter(SAMPLE_QUESTIONS))
    code, out, _ = run(capsys, "--index", str(sample_index), "ask", question, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"answer", "refused", "citations"}
    assert data["refused"] is False and "Yuri Ushakov" in data["answer"]
    for c in data["citations"]:
        assert set(c) >= CITATION_KEYS
        assert f"[{c['n']}]" in data["answer"]
        assert c["title"].startswith("Report: Jake Sullivan")


@pytest.mark.slow
def test_ask_refusal_json(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--index", str(sample_index), "ask", UNANSWERABLE, "--json")
    data = json.loads(out)
    assert code == 0 and data["refused"] is True and data["citations"] == []


def test_ingest_and_stats_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    monkeypatch.setenv("NEWSDESK_INDEX", str(tmp_path / "ix"))
    code, out, _ = run(capsys, "ingest", str(ARCHIVE), "--json", "--quiet")
    assert code == 0
    report: dict[str, Any] = json.loads(out)
    assert report["added"] == 4 and report["failed"] == 0
    code, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    assert set(stats) == {"articles", "chunks", "sources", "earliest", "latest"}
    assert stats["articles"] == 4


def test_ingest_failure_exits_nonzero_with_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, out, err = run(
        capsys, "--index", str(tmp_path / "ix"), "ingest", str(ARCHIVE / "wire.jsonl"), str(bad)
    )
    assert code == 1
    assert "added 1" in out and "failed 1" in out
    assert f"failed: {bad}" in err and "malformed JSON" in err


def test_errors_are_one_line_with_hint_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    (tmp_path / "empty").mkdir()
    run(capsys, "--index", str(tmp_path / "empty"), "ingest", str(tmp_path / "none"), "-q")
    code, _out, err = run(capsys, "--index", str(tmp_path / "empty"), "ask", "Anything?")
    assert code == 1
    assert err.splitlines()[0].startswith("error: The index at")
    assert err.splitlines()[1].startswith("hint: run `newsdesk ingest")
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["ask", "Anything?"], ["search", "x"], ["stats"], ["serve"]])
def test_a_mistyped_index_is_refused_not_created(
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    typo = tmp_path / "idnex"
    code, _out, err = run(capsys, "--index", str(typo), *command)
    assert code == 1
    assert err.splitlines()[0] == f"error: No index at {typo}"
    assert "`newsdesk ingest PATH` creates an index" in err.splitlines()[1]
    assert not typo.exists()  # nothing was created


def test_debug_shows_the_exception(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.errors import ConfigError

    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    with pytest.raises(ConfigError, match="No index at"):
        main(["--debug", "--index", str(tmp_path / "empty"), "ask", "Anything?"])


def test_invalid_setting_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "word2vec")
    code, _, err = run(capsys, "stats")
    assert code == 1 and "error: Invalid settings: embedder" in err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    import typer.main

    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    assert {"ingest", "search", "ask", "stats", "serve"} <= names
    for name in names:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and "Usage:" in out
        assert group.commands[name].help  # type: ignore[attr-defined]


def test_search_filters_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    monkeypatch.setenv("NEWSDESK_INDEX", str(tmp_path / "ix"))
    run(capsys, "ingest", str(ARCHIVE), "--quiet")
    code, out, _ = run(
        capsys, "search", "city council library bridge", "--source", "Kingsport Courier", "--json"
    )
    rows = json.loads(out)
    assert code == 0 and rows and {r["source"] for r in rows} == {"Kingsport Courier"}
    code, out, _ = run(
        capsys, "search", "apples", "--since", "2023-11-01", "--until", "2023-11-30", "--json"
    )
    assert {r["published_at"][:7] for r in json.loads(out)} == {"2023-11"}
    code, _, err = run(capsys, "search", "apples", "--since", "last tuesday")
    assert code == 1 and err.startswith("error: --since: Not an ISO-8601 date")
    # Outlet names in any case or punctuation; an unknown one is an error naming the closest.
    code, out, _ = run(
        capsys, "search", "city council library", "--source", "kingsport-courier", "--json"
    )
    assert code == 0 and {r["source"] for r in json.loads(out)} == {"Kingsport Courier"}
    code, _, err = run(
        capsys, "ask", "What did the council build?", "--source", "Kingsport Couirer"
    )
    assert code == 1
    assert err.splitlines() == [
        "error: --source: The archive holds no articles from an outlet named 'Kingsport Couirer'",
        "hint: did you mean Kingsport Courier?",
    ]

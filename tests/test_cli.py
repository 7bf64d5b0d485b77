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
    import click
    import typer.main

    group = typer.main.get_command(app)
    ctx = click.Context(group)  # type: ignore[arg-type]
    names = group.list_commands(ctx)  # type: ignore[attr-defined]
    assert {"ingest", "search", "ask", "stats", "serve", "eval"} <= set(names)
    for name in names:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and "Usage:" in out
        assert group.get_command(ctx, name).help  # type: ignore[attr-defined]
    code, out, _ = run(capsys, "eval", "retrieval", "--help")
    assert code == 0 and "--corpus" in out


# Every command that opens an index, with the arguments it needs.
OPENS_AN_INDEX = [
    ["ingest", str(ARCHIVE)],
    ["reindex"],
    ["search", "x"],
    ["ask", "Anything?"],
    ["stats"],
    ["articles"],
    ["article", "some-id"],
    ["serve"],
]


@pytest.mark.parametrize("command", OPENS_AN_INDEX, ids=lambda c: c[0])
@pytest.mark.parametrize("where", ["before", "after"])
def test_index_options_go_before_or_after_the_command(
    command: list[str],
    where: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qa.assistant import Assistant
    from qa.errors import ConfigError

    opened: list[dict[str, Any]] = []

    def record(**settings: Any) -> None:
        opened.append(settings)
        raise ConfigError("recorded")

    monkeypatch.setattr(Assistant, "open", record)
    options = ["--index", str(tmp_path), "--chroma-url", "http://db:8000", "--collection", "c"]
    args = [*options, *command] if where == "before" else [*command, *options]
    code, _, err = run(capsys, *args)
    assert code == 1 and err == "error: recorded\n"
    assert opened == [{"index_dir": tmp_path, "chroma_url": "http://db:8000", "collection": "c"}]


@pytest.mark.parametrize("command", OPENS_AN_INDEX, ids=lambda c: c[0])
def test_every_command_that_opens_an_index_shows_the_index_options(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, command[0], "--help")
    assert code == 0
    for option in ("--index", "--chroma-url", "--collection"):
        assert option in out
    assert "$NEWSDESK_INDEX" in out  # the help's default, not eaten as markup


def test_an_index_given_after_the_command_is_the_one_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    index = str(tmp_path / "ix")
    code, out, _ = run(capsys, "ingest", str(ARCHIVE), "--quiet", "--json", "--index", index)
    assert code == 0 and json.loads(out)["added"] == 4
    code, after, _ = run(capsys, "stats", "--json", "--index", index)
    assert code == 0 and json.loads(after)["articles"] == 4
    code, before, _ = run(capsys, "--index", index, "stats", "--json")
    assert code == 0 and before == after
    # Given in both places, the one after the command wins.
    code, both, _ = run(
        capsys, "--index", str(tmp_path / "other"), "stats", "--json", "--index", index
    )
    assert code == 0 and both == after
    question = "What did the council build?"
    code, asked_after, _ = run(capsys, "ask", question, "--json", "--index", index)
    code, asked_before, _ = run(capsys, "--index", index, "ask", question, "--json")
    assert code == 0 and asked_after == asked_before


def test_eval_names_the_extra_to_install_when_it_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    queries = tmp_path / "queries.json"
    queries.write_text("[]")
    code, _, err = run(
        capsys,
        "eval",
        "retrieval",
        "--corpus",
        str(ARCHIVE),
        "--queries",
        str(queries),
        "--out",
        str(tmp_path / "out"),
    )
    lines = err.splitlines()
    assert code == 1
    assert (
        lines[0] == "error: The evaluation draws its chart with matplotlib, which is not installed"
    )
    assert lines[1].startswith("hint: install newsdesk's eval extra: `pip install -e '.[eval]'`")
    assert not (tmp_path / "out").exists()  # refused before any work


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


def test_serve_is_handed_the_server_group_with_the_options_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.serve.server
    from qa.config import ServerSettings, Settings

    handed: list[ServerSettings] = []
    monkeypatch.setattr(qa.serve.server, "serve", lambda _assistant, server: handed.append(server))
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    assert run(capsys, "--index", str(tmp_path), "serve")[0] == 0
    assert handed[-1] == Settings(index_dir=tmp_path).server  # the settings' host and port
    args = ["serve", "--host", "127.0.0.2", "--port", "8123", "--insecure-no-auth"]
    assert run(capsys, "--index", str(tmp_path), *args)[0] == 0
    given = Settings(index_dir=tmp_path, host="127.0.0.2", port=8123, insecure_no_auth=True)
    assert handed[-1] == given.server

"""Progress output and command-line field mapping for ingest."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ingest.pipeline import IngestProgress
from qa.cli import main
from qa.progress import ProgressPrinter


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(stream=out)
    state = IngestProgress(total=200, articles=50, written=50, passages=400)
    state.started -= 10  # ten seconds in
    printer(state)
    printer.close()
    line = out.getvalue().strip()
    assert line.startswith("ingest: 50/200 articles (25%), 400 passages, ")
    assert "passages/s" in line and line.endswith("ETA 30s")


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    ProgressPrinter(stream=out, quiet=True)(IngestProgress(total=1, articles=1))
    assert out.getvalue() == ""


def test_bar_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    printer = ProgressPrinter(stream=out)
    printer(IngestProgress(total=10, articles=4, written=4, passages=30))
    printer.close()
    assert "4/10" in out.getvalue() and "passages=30" in out.getvalue()


def test_field_mapping_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    src = tmp_path / "export.jsonl"
    src.write_text(
        json.dumps(
            {"hed": "Dam repairs", "copy": "Engineers fixed the dam.", "desk": "River Times"}
        )
        + "\n"
    )
    main(
        [
            "--index",
            str(tmp_path / "ix"),
            "ingest",
            str(src),
            "--json",
            "--quiet",
            "--field",
            "title=hed",
            "--field",
            "body=copy",
            "--field",
            "source=desk",
        ]
    )
    assert json.loads(capsys.readouterr().out)["added"] == 1
    main(["--index", str(tmp_path / "ix"), "search", "dam", "--json"])
    [row] = json.loads(capsys.readouterr().out)
    assert (row["title"], row["source"], row["text"]) == (
        "Dam repairs",
        "River Times",
        "Engineers fixed the dam.",
    )


def test_bad_field_mapping_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--index", str(tmp_path / "ix"), "ingest", str(tmp_path), "--field", "colour=red"])
    assert info.value.code == 2
    assert "--field" in capsys.readouterr().err

"""What is stored of an article and how to see it: its file, its authors, where its date came
from and its paragraph breaks (rebuilt exactly from its passages); `newsdesk articles`,
`newsdesk article ID` and `ingest --json` failures; progress from the first articles on."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from conftest import ARCHIVE
from ingest.pipeline import IngestProgress, _batches
from qa import Assistant
from qa.cli import main
from qa.progress import ProgressPrinter
from qa.types import Article

PARAGRAPHS = [
    f"Paragraph {i} of the harbour report. "
    + " ".join(
        f"Sentence {j} tells how the council, the engineers and the residents of the "
        f"eastern quarter saw the tram plans in week {i}."
        for j in range(6)
    )
    for i in range(12)
]


def _write_story(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tram.md"
    path.write_text(
        "---\ntitle: Tram line to grow\nsource: Harbour Gazette\n"
        "author: By Jane Doe and Ravi Patel, Harbour Gazette\ndate: 2024-03-05T09:00:00Z\n---\n"
        + "\n\n".join(PARAGRAPHS)
        + "\n",
        encoding="utf-8",
    )
    return path


def test_stored_article_keeps_paragraphs_file_authors_and_date_source(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    path = _write_story(tmp_path / "in")
    fake_assistant.ingest([path])
    [listed] = fake_assistant.articles()
    stored = fake_assistant.article(listed.id)
    passages = fake_assistant.store.article_passages(listed.id)
    assert len(passages) > 3, "the story spans several passages"
    assert stored.body == "\n\n".join(PARAGRAPHS)  # paragraph breaks between passages kept
    for p in passages:
        assert stored.body[p.start : p.end] == p.text  # offsets index the body exactly
    assert stored.path == str(path)
    assert stored.authors == ["Jane Doe", "Ravi Patel"]
    assert stored.author == "Jane Doe and Ravi Patel"
    assert stored.extra["date_source"] == "field"
    assert fake_assistant.index.article_passages(listed.id) == passages
    assert fake_assistant.index.article_passages("no-such-article") == []
    # What an answer reads names in full from: each article's opening passage.
    assert fake_assistant.index.openings([listed.id, "no-such-article"]) == {
        listed.id: passages[0].text
    }
    assert listed.body == "" and listed.path == str(path) and listed.title == "Tram line to grow"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_articles_and_article_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    monkeypatch.setenv("NEWSDESK_INDEX", str(tmp_path / "ix"))
    story = _write_story(tmp_path / "in")
    _cli(capsys, "ingest", str(ARCHIVE), str(story), "--quiet")
    code, out, _ = _cli(capsys, "articles", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) >= 4
    keys = {"article_id", "title", "source", "author", "authors", "published_at", "url", "path"}
    assert all(keys <= set(row) and "body" not in row for row in rows)
    assert all(row["path"] for row in rows)
    dated = [row["published_at"] for row in rows if row["published_at"]]
    assert dated == sorted(dated, reverse=True)  # newest first

    code, out, _ = _cli(capsys, "articles", "--source", "harbour gazette", "--json")
    [row] = json.loads(out)
    assert row["title"] == "Tram line to grow" and row["path"] == str(story)
    code, _, err = _cli(capsys, "articles", "--source", "Harbor Gazete")
    assert code == 1 and "Harbour Gazette" in err  # the closest outlet suggested
    code, out, _ = _cli(capsys, "articles", "--since", "2024-03-01", "--until", "2024-03-31")
    assert "Tram line to grow" in out and "1 article" in out

    code, out, _ = _cli(capsys, "article", row["article_id"], "--json")
    shown = json.loads(out)
    assert shown["body"] == "\n\n".join(PARAGRAPHS)
    assert shown["authors"] == ["Jane Doe", "Ravi Patel"] and shown["date_source"] == "field"
    code, out, _ = _cli(capsys, "article", row["article_id"])
    assert f"file: {story}" in out and PARAGRAPHS[3] in out
    code, _, err = _cli(capsys, "article", "no-such-id")
    assert code == 1 and "No article with id" in err


def test_ingest_json_lists_each_failure_with_path_record_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    monkeypatch.setenv("NEWSDESK_INDEX", str(tmp_path / "ix"))
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.jsonl").write_text(
        json.dumps({"title": "Dam", "body": "Engineers fixed the dam."})
        + "\n"
        + json.dumps({"title": "No text"})
        + "\n"
    )
    (src / "empty.txt").write_text("")
    code, out, _ = _cli(capsys, "ingest", str(src), "--json", "--quiet")
    report = json.loads(out)
    assert code == 1 and report["added"] == 1 and report["failed"] == 2
    failures = {Path(f["path"]).name: f for f in report["failures"]}
    assert (
        failures["ok.jsonl"]["record"] == 2 and "no article text" in failures["ok.jsonl"]["reason"]
    )
    assert failures["empty.txt"] == {
        "path": str(src / "empty.txt"),
        "record": None,
        "reason": "empty file",
    }


def test_first_batches_are_small_so_progress_starts_at_once() -> None:
    sizes = [len(b) for b in _batches(iter(range(100)), 32)]
    assert sizes == [1, 2, 4, 8, 16, 32, 32, 5]


def test_progress_reaches_the_callback_from_the_first_article(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    fake_assistant.ingest([ARCHIVE], progress=lambda s: seen.append((s.read, s.articles)))
    assert seen[0] == (1, 0)  # told of the first record before anything is embedded
    assert any(a == 1 for _, a in seen)  # the first batch is one article
    assert seen[-1][1] >= 4


def test_plain_progress_lines_keep_coming_while_a_batch_runs() -> None:
    """Off a terminal: a line at the first call, then one every `every` seconds from the
    ticker, although the pipeline calls nothing in between (a long batch)."""
    out = io.StringIO()
    printer = ProgressPrinter(stream=out, every=0.05)
    state = IngestProgress(total=10, read=1)
    printer(state)
    assert out.getvalue().count("\n") == 1
    deadline = time.monotonic() + 5
    while out.getvalue().count("\n") < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    printer.close()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 4 and all(line.startswith("ingest: 0/10 articles") for line in lines)
    after = len(lines)
    time.sleep(0.2)
    assert len(out.getvalue().splitlines()) == after  # closed: silent


def test_bar_rate_is_the_whole_runs_average() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    printer = ProgressPrinter(stream=out)
    printer(IngestProgress(total=10, articles=4, written=4, passages=30))
    assert printer._bar.smoothing == 0
    printer.close()
    assert "4/10" in out.getvalue()


def test_article_listing_has_no_body() -> None:
    row = Article(id="x", title="T", body="B", path="/a.txt").to_dict(body=False)
    assert "body" not in row and row["path"] == "/a.txt"

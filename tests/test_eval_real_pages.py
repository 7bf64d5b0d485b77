"""The real-pages evaluation: shingle F1, expected-text notes, and a run over hand-made pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.real_pages import expected_text, is_note, main, precision_recall, run

STORY = (
    "The city council voted on Tuesday to extend the harbour tram line by four stops, ending a "
    "debate that had run for the better part of three years and split the two main parties. "
    "Engineers expect work to start in the spring, with the first trams running on the new "
    "stretch by the autumn of next year if the steel for the rails arrives on time."
)


def test_precision_recall_of_word_shingles() -> None:
    assert precision_recall("a b c d e", "a b c d e") == (1.0, 1.0)
    p, r = precision_recall("a b c d e f", "a b c d x")  # 3 shingles expected, 2 found
    assert (p, r) == (0.5, 1 / 3)
    assert precision_recall("a b c d e", "") == (0.0, 0.0)
    assert precision_recall("", "") == (1.0, 1.0)


def test_notes_are_not_expected_texts() -> None:
    assert is_note("")
    assert is_note("MISSED ENTIRE ARTICLE BECAUSE IT'S LOADED DYNAMICALLY BY JAVASCRIPT")
    assert is_note('ONLY "More coming soon!" AT END OF ARTICLE WAS EXTRACTED')
    assert not is_note("Is there nothing Andrew Flintoff can't do? Here he commentates.")


def test_expected_text_by_name(tmp_path: Path) -> None:
    (tmp_path / "cnn.txt").write_text("text")
    assert expected_text(tmp_path, Path("cnn_article.html")) == "text"
    assert expected_text(tmp_path, Path("bbc.html")) is None


def _pages(tmp_path: Path) -> tuple[Path, Path, Path]:
    pages, texts = tmp_path / "html", tmp_path / "text"
    pages.mkdir()
    texts.mkdir()
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in STORY.split(". ") if s.strip())
    (pages / "good.html").write_text(
        "<html><head><title>Tram line to grow | Gazette</title>"
        "<meta property='og:site_name' content='Gazette'>"
        "<meta name='author' content='By Jane Doe, Gazette staff'>"
        "<meta property='article:published_time' content='2024-03-05T09:00:00Z'></head>"
        f"<body><article><h1>Tram line to grow</h1>{paragraphs}</article></body></html>"
    )
    (texts / "good.txt").write_text(STORY)
    (pages / "gone.html").write_text(
        "<html><head><title>404 Page Not Found</title></head><body><h1>Not found</h1></body>"
    )
    (texts / "gone.txt").write_text("")
    expected = tmp_path / "expected.json"
    expected.write_text(
        json.dumps(
            [
                {
                    "page": "good.html",
                    "title": ["Tram line to grow"],
                    "outlet": ["Gazette"],
                    "authors": ["Jane Doe"],
                    "date": ["2024-03-05"],
                }
            ]
        )
    )
    return pages, texts, expected


def test_run_scores_bodies_and_metadata(tmp_path: Path) -> None:
    pages, texts, expected = _pages(tmp_path)
    data = run(pages, texts, expected, tmp_path / "ix", embedder="fake")
    s = data["summary"]
    assert (s["pages"], s["stored"], s["refused"], s["scored"], s["lost"]) == (2, 1, 1, 1, [])
    assert s["body_f1"] > 0.95
    assert (s["with_title"], s["with_outlet"], s["with_author"], s["with_date"]) == (1, 1, 1, 1)
    assert s["placeholder_dates"] == 0
    assert s["hand_checked"]["authors"] == "1/1" and s["hand_checked"]["outlet"] == "1/1"
    assert "error page" in s["refusals"]["gone.html"]


@pytest.mark.parametrize("as_json", [False, True])
def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool) -> None:
    pages, texts, expected = _pages(tmp_path)
    args = ["--pages", str(pages), "--texts", str(texts), "--expected", str(expected)]
    args += ["--embedder", "fake", "--out", str(tmp_path / "out")]
    assert main(args + (["--json"] if as_json else [])) == 0
    out = capsys.readouterr().out
    if as_json:
        assert json.loads(out)["stored"] == 1
    else:
        assert "body (4-word shingles, 1 pages" in out and "bylines 1/1" in out
    assert (tmp_path / "out" / "real_pages.json").is_file()

"""Readers: fields extracted from each supported layout, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

from conftest import ARCHIVE, SAMPLE_DIR
from ingest.readers import iter_files, read_path
from qa.errors import IngestError
from qa.types import Article


def _read(path: Path) -> list[Article | IngestError]:
    return list(read_path(path))


def test_sample_text_layout() -> None:
    [article] = _read(SAMPLE_DIR / "sullivan-russia-talks.txt")
    assert isinstance(article, Article)
    assert article.title == "Report: Jake Sullivan Has Held Undisclosed Talks With Putin Aides"
    assert article.author == "Dave DeCamp"
    # The standfirst is part of the text; the author line and bio are not.
    assert article.body.startswith("The talks were said to be aimed at reducing the risk")
    assert article.body.endswith("suspended due to Covid-19.")
    assert "Author:" not in article.body and "follow him on Twitter" not in article.body
    assert article.url is None and article.id.startswith("sha256:")


def test_text_with_meta_lines() -> None:
    [article] = _read(ARCHIVE / "harbour-bridge.txt")
    assert isinstance(article, Article)
    assert article.title == "Harbour bridge to close for six weeks of repairs"
    assert article.author == "Tom Reyes"
    assert "Helen Marsh" in article.body and "covers transport" not in article.body


def test_json_list_of_articles() -> None:
    first, second = _read(ARCHIVE / "exports.json")
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.id == first.url == "https://valley-gazette.example/apple-harvest"
    assert first.source == "Valley Gazette"
    assert first.author == "Priya Natarajan"
    assert first.published_at == "2023-10-02T09:30:00+00:00"
    assert second.author is None
    assert "\n\n" in first.body


def test_jsonl_with_other_field_names_and_rfc822_date() -> None:
    [article] = _read(ARCHIVE / "wire.jsonl")
    assert isinstance(article, Article)
    assert article.title == "Storm knocks out power to 30,000 homes"
    assert article.source == "Coastal Wire"
    assert article.author == "Lee Chan"
    assert article.url == "https://coastal-wire.example/storm-power"
    assert article.published_at == "2023-11-07T06:15:00+00:00"
    assert article.extra["published_raw"] == "Tue, 07 Nov 2023 06:15:00 GMT"


def test_bad_inputs_are_reported_with_file_and_reason(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "broken.json").write_text('[{"title": "a", "body": "b"},\n {"title": ')
    (tmp_path / "nobody.json").write_text('[{"title": "no text here"}]')
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "mixed.jsonl").write_text(
        '{"title": "ok", "body": "fine text"}\nnot json\n{"title": "x", "body": ""}\n'
    )
    errors = {
        p.name: [r for r in _read(p) if isinstance(r, IngestError)] for p in tmp_path.iterdir()
    }
    assert "empty file" in str(errors["empty.txt"][0])
    assert "malformed JSON at line 2" in str(errors["broken.json"][0])
    assert "broken.json" in str(errors["broken.json"][0])
    assert "(record 1)" in str(errors["nobody.json"][0]) and "no article text" in str(
        errors["nobody.json"][0]
    )
    assert "unsupported file type '.png'" in str(errors["photo.png"][0])
    mixed = [str(e) for e in errors["mixed.jsonl"]]
    assert len(mixed) == 2
    assert "(record 2)" in mixed[0] and "malformed JSON" in mixed[0]
    assert "(record 3)" in mixed[1]
    ok = [r for r in _read(tmp_path / "mixed.jsonl") if isinstance(r, Article)]
    assert [a.title for a in ok] == ["ok"]


def test_iter_files_walks_folders_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    found = list(iter_files([tmp_path, tmp_path / "missing"]))
    assert found[0] == tmp_path / "a" / "one.txt"
    assert isinstance(found[1], IngestError) and "no such file" in str(found[1])
    assert len(found) == 2


def test_latin1_text_and_gzipped_json_are_read(tmp_path: Path) -> None:
    import gzip

    latin = tmp_path / "cafe.txt"
    latin.write_bytes("Café opens in Zürich\n\nThe café in São Paulo closed.\n".encode("latin-1"))
    [article] = _read(latin)
    assert isinstance(article, Article)
    assert article.title == "Café opens in Zürich"
    assert article.body == "The café in São Paulo closed."
    packed = tmp_path / "exports.json.gz"
    packed.write_bytes(gzip.compress((ARCHIVE / "exports.json").read_bytes()))
    assert [a.title for a in _read(packed)] == [a.title for a in _read(ARCHIVE / "exports.json")]  # type: ignore[union-attr]


def test_front_matter_sets_metadata(tmp_path: Path) -> None:
    md = tmp_path / "note.md"
    md.write_text(
        "---\ntitle: Dam repairs finish early\noutlet: River Times\nauthor: Jo Park\n"
        "date: 2023-09-30 14:00\nurl: https://river.example/dam/\n---\n"
        "# Ignored heading? No: front matter has the title, so this line is body.\n\n"
        "Engineers finished the dam repairs two weeks early.\n"
    )
    [article] = _read(md)
    assert isinstance(article, Article)
    assert article.title == "Dam repairs finish early"
    assert (article.source, article.author) == ("River Times", "Jo Park")
    assert article.published_at == "2023-09-30T14:00:00+00:00"
    assert article.url == "https://river.example/dam"
    assert article.body.endswith("two weeks early.")


def test_random_bytes_and_bad_front_matter_are_errors(tmp_path: Path) -> None:
    noise = tmp_path / "noise.txt"
    noise.write_bytes(bytes(range(256)) * 4)
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nBody text here.\n")
    [err1] = _read(noise)
    [err2] = _read(bad)
    assert isinstance(err1, IngestError) and "binary data" in str(err1) and "noise.txt" in str(err1)
    assert isinstance(err2, IngestError) and "front matter" in str(err2)

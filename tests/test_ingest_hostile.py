"""Hostile input for every reader: arbitrary bytes, truncations, deep nesting, gigantic lines,
wrong extensions, compression bombs and malformed dates become per-file errors, never a crash,
a hang or a blown memory; a folder of junk ends with a clean summary and the index intact."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ARCHIVE, ROOT, TEST_DATA
from ingest.readers import SUPPORTED, read_path
from ingest.source import MAX_RATIO
from qa import Assistant
from qa.errors import IngestError
from qa.types import Article

SAMPLES = sorted(
    [p for p in (TEST_DATA / "formats").iterdir() if p.is_file()]
    + [p for p in ARCHIVE.iterdir() if p.is_file()]
)


def _read_all(path: Path) -> list[Article | IngestError]:
    results = list(read_path(path))
    assert results, f"{path.name}: a file always gives an article or an error"
    for r in results:
        assert isinstance(r, Article | IngestError)
        if isinstance(r, IngestError):
            assert str(path) in r.message  # the error names the file
    return results


FUZZ = settings(
    max_examples=25,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("suffix", [*SUPPORTED, ".json.gz", ".warc.gz"])
@FUZZ
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_a_reader(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    _read_all(path)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_files_are_read_or_reported(
    tmp_path_factory: pytest.TempPathFactory, sample: Path, cut: float
) -> None:
    data = sample.read_bytes()
    path = tmp_path_factory.mktemp("cut") / sample.name
    path.write_bytes(data[: int(len(data) * cut)])
    _read_all(path)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
@FUZZ
@given(junk=st.text(max_size=300), at=st.floats(min_value=0.0, max_value=1.0))
def test_text_spliced_into_files_is_read_or_reported(
    tmp_path_factory: pytest.TempPathFactory, sample: Path, junk: str, at: float
) -> None:
    text = sample.read_text(encoding="utf-8")
    i = int(len(text) * at)
    path = tmp_path_factory.mktemp("splice") / sample.name
    path.write_text(text[:i] + junk + text[i:], encoding="utf-8", errors="surrogatepass")
    _read_all(path)


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl", "deep.rss", "deep.html"])
def test_deep_nesting_is_a_per_file_error(tmp_path: Path, name: str) -> None:
    depth = 100_000
    body = {
        "deep.json": "[" * depth + "]" * depth,
        "deep.jsonl": '{"a":' * depth + "1" + "}" * depth + "\n",
        "deep.rss": "<rss><channel>" + "<item>" * depth + "</item>" * depth + "</channel></rss>",
        "deep.html": "<html><body>" + "<div>" * depth + "x" + "</div>" * depth + "</body></html>",
    }[name]
    path = tmp_path / name
    path.write_text(body)
    results = _read_all(path)
    assert all(isinstance(r, IngestError) for r in results)


def test_a_gigantic_single_line_is_read_or_reported(tmp_path: Path) -> None:
    path = tmp_path / "line.txt"
    path.write_text("Headline\n\n" + "word " * 4_000_000)  # one 20 MB paragraph
    results = _read_all(path)
    assert len(results) == 1 and isinstance(results[0], Article)
    jsonl = tmp_path / "line.jsonl"
    jsonl.write_text('{"title": "t", "body": "' + "x" * 20_000_000 + '"\n')  # unterminated
    assert isinstance(_read_all(jsonl)[0], IngestError)


@pytest.mark.parametrize("name", ["bomb.jsonl.gz", "bomb.txt.gz", "bomb.warc.gz"])
def test_a_gzip_bomb_is_stopped_early(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(200):  # 200 MB of one letter in about 200 KB
            fh.write(b"a" * (1 << 20))
    assert path.stat().st_size < 2_000_000
    results = _read_all(path)
    assert len(results) == 1 and isinstance(results[0], IngestError)
    assert f"more than {MAX_RATIO} times its size" in results[0].message


def test_wrong_extensions_and_bad_dates_are_reported_or_tolerated(tmp_path: Path) -> None:
    png = tmp_path / "photo.json"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    assert isinstance(_read_all(png)[0], IngestError)
    dates = tmp_path / "dates.jsonl"
    dates.write_text(
        "\n".join(
            f'{{"title": "t{i}", "body": "A council vote passed.", "published_at": {d}}}'
            for i, d in enumerate(
                ['"32/13/2023"', '"yesterday-ish"', "1e309", '"9999-99-99T99:99"', "[]", "null"]
            )
        )
    )
    results = _read_all(dates)
    assert len(results) == 6
    for r in results:
        assert isinstance(r, IngestError) or r.published_at is None or r.published_at[:4].isdigit()


JUNK = {
    ".txt": b"\x00\x01\x02binary",
    ".md": b"",
    ".json": b"[" * 50_000,
    ".jsonl": b'{"title": 1}\n{not json\n',
    ".ndjson": b"\xff\xfe\x00",
    ".csv": b"a,b\n1",
    ".tsv": b"\t\t\t",
    ".html": b"<html><body><nav>menu</nav></body></html>",
    ".htm": b"<<<>>>",
    ".xhtml": b"\x89PNG",
    ".xml": b"<?xml version='1.0'?><nope/>",
    ".rss": b"<rss><channel><item></item></channel></rss>",
    ".atom": b"<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>",
    ".warc": b"WARC/1.0\r\nbroken",
    ".arc": b"not an arc",
    ".text": b"\xef\xbb\xbf",
    ".markdown": b"---\ntitle: [unclosed\n---\n",
    ".gz": b"\x1f\x8b\x08 truncated",
    ".json.gz": gzip.compress(b'{"title": "x"'),
    ".zip": b"PK\x03\x04",
    ".exe": b"MZ",
    ".pdf": b"%PDF-1.4",
    ".docx": b"PK",
    ".png": b"\x89PNG",
    ".jpg": b"\xff\xd8\xff",
    "": b"no extension",
    ".JSON": b"{}",
    ".Txt": b"\x00",
    ".csv.gz": b"\x1f\x8b",
    ".rss.gz": gzip.compress(b"<rss>"),
    ".html.gz": gzip.compress(b"\x00\x00"),
    ".jsonl.gz": gzip.compress(b"\n\n\n"),
    ".xml.gz": b"",
    ".mp4": b"\x00\x00\x00\x18ftyp",
    ".sqlite": b"SQLite format 3\x00",
    ".tar": b"ustar",
    ".7z": b"7z\xbc\xaf",
}


@pytest.mark.slow
def test_a_folder_of_junk_ends_cleanly_and_the_index_still_answers(
    sample_index: Path, tmp_path: Path
) -> None:
    import shutil

    assert len(JUNK) == 37
    junk = tmp_path / "junk"
    junk.mkdir()
    for i, (suffix, data) in enumerate(JUNK.items()):
        (junk / f"junk{i}{suffix}").write_bytes(data)
    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    newsdesk = Path(sys.executable).parent / "newsdesk"
    done = subprocess.run(
        [str(newsdesk), "--index", str(index), "ingest", str(junk), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    named = {line.split(str(junk) + "/", 1)[1].split(":")[0].split(" ")[0] for line in failed}
    assert named == {p.name for p in junk.iterdir()}  # every junk file named with its problem
    # (the JSONL file has two bad records, so 38 failures for 37 files)
    assert f"added 0, updated 0, unchanged 0, duplicate 0, failed {len(failed)}" in done.stdout
    answer = Assistant.open(index).ask("Who did Sullivan reportedly speak with?")
    assert "Yuri Ushakov" in answer.text and not answer.refused

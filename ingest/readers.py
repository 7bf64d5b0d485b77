"""Readers: files and folders in, Articles (or per-file/per-record errors) out, streamed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ingest.normalise import article_id, clean_body, clean_line, normalise_date
from qa.errors import IngestError
from qa.types import Article

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES

# Field names that news exports use, in order of preference.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content", "article", "maintext", "full_text"),
    "title": ("title", "headline", "name"),
    "published_at": ("published_at", "date", "pubDate", "published", "publish_date", "datetime"),
    "source": ("source", "outlet", "publisher", "site", "site_name", "source_name"),
    "author": ("author", "byline", "creator", "authors"),
    "url": ("url", "link", "canonical_url", "href"),
}

_META_LINE = re.compile(r"^(Author|By|Byline|Source|Outlet|Published|Date|URL|Link):\s*(.+)$", re.I)
_META_KEYS = {
    "author": "author",
    "by": "author",
    "byline": "author",
    "source": "source",
    "outlet": "source",
    "published": "published_at",
    "date": "published_at",
    "url": "url",
    "link": "url",
}

ReadResult = Article | IngestError


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | IngestError]:
    """Every file under the given paths (folders recursively, sorted); missing paths as errors."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not child.name.startswith("."):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield IngestError(str(path), "no such file or folder")


def read_path(path: Path) -> Iterator[ReadResult]:
    """Articles read from one file, or IngestErrors naming the file (and record) and the reason."""
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            yield from _read_text(path)
        elif suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(path)
        elif suffix in JSON_SUFFIXES:
            yield from _read_json(path)
        else:
            yield IngestError(
                str(path),
                f"unsupported file type '{suffix or path.name}'",
                hint="supported: " + ", ".join(sorted(SUPPORTED)),
            )
    except UnicodeDecodeError as exc:
        yield IngestError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        yield IngestError(str(path), f"cannot read file: {exc.strerror or exc}")


def _read_text(path: Path) -> Iterator[ReadResult]:
    """The plain-text layout: headline line, standfirst, body paragraphs, `Author: NAME`, bio."""
    raw = path.read_text(encoding="utf-8-sig")
    lines = clean_body(raw).split("\n")
    if not any(lines):
        yield IngestError(str(path), "empty file")
        return
    title = lines[0].strip()
    meta: dict[str, str] = {}
    body_lines: list[str] = []
    after_author = False
    for line in lines[1:]:
        match = _META_LINE.match(line.strip())
        if match and len(line) < 200:
            key = _META_KEYS[match.group(1).lower()]
            meta.setdefault(key, match.group(2).strip())
            after_author = after_author or key == "author"
            continue
        if not after_author:
            body_lines.append(line)
    body = clean_body("\n".join(body_lines))
    if not body:
        yield IngestError(str(path), "no article text after the headline")
        return
    yield _article(
        {"title": title, "body": body, **meta},
        path,
        fallback_title=path.stem,
    )


def _read_json(path: Path) -> Iterator[ReadResult]:
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        yield IngestError(str(path), "empty file")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield IngestError(
            str(path), f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        )
        return
    records = _records_of(data)
    if records is None:
        yield IngestError(str(path), "JSON holds neither an article nor a list of articles")
        return
    for n, record in enumerate(records, start=1):
        yield _record(record, path, n)


def _read_jsonl(path: Path) -> Iterator[ReadResult]:
    seen_any = False
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            seen_any = True
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield IngestError(
                    str(path), f"malformed JSON at column {exc.colno}: {exc.msg}", record=lineno
                )
                continue
            yield _record(record, path, lineno)
    if not seen_any:
        yield IngestError(str(path), "empty file")


def _records_of(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "results", "documents"):
            if isinstance(data.get(key), list):
                return list(data[key])
        return [data]
    return None


def _pick(record: Mapping[str, Any], field: str) -> Any:
    lowered = {str(k).lower(): v for k, v in record.items()}
    for alias in FIELD_ALIASES[field]:
        value = lowered.get(alias.lower())
        if value not in (None, "", []):
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, dict):
                value = value.get("name") or value.get("title")
            return value
    return None


def _record(record: Any, path: Path, n: int) -> ReadResult:
    if not isinstance(record, dict):
        return IngestError(str(path), "record is not a JSON object", record=n)
    fields = {f: _pick(record, f) for f in FIELD_ALIASES}
    if not fields["body"] or not str(fields["body"]).strip():
        return IngestError(str(path), "record has no article text (body)", record=n)
    return _article(fields, path, fallback_title=f"{path.stem} #{n}")


def _article(fields: Mapping[str, Any], path: Path, fallback_title: str) -> Article:
    body = clean_body(str(fields["body"]))
    title = clean_line(fields.get("title")) or fallback_title
    source = clean_line(fields.get("source"))
    url = clean_line(fields.get("url"))
    raw_date = clean_line(fields.get("published_at"))
    extra = {"published_raw": raw_date} if raw_date else {}
    return Article(
        id=article_id(url, source, title, body),
        title=title,
        body=body,
        source=source,
        author=clean_line(fields.get("author")),
        published_at=normalise_date(raw_date),
        url=url,
        path=str(path),
        extra=extra,
    )

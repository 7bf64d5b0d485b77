"""JSON (a list of articles, or an object holding one) and JSONL / NDJSON article exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ingest.fields import record_to_article
from ingest.source import ReadResult, Source, decode

# Files larger than this are parsed incrementally (ijson) instead of loaded whole.
STREAM_OVER_BYTES = 8 * 1024 * 1024
_LIST_KEYS = ("articles", "items", "data", "results", "documents", "entries")


def read_json(source: Source) -> Iterator[ReadResult]:
    """Articles from a JSON file; a malformed file is reported with its line and column."""
    size = source.path.stat().st_size
    if size == 0:
        yield source.error("empty file")
        return
    if size > STREAM_OVER_BYTES and not source.compressed:
        yield from _stream_json(source)
        return
    text = source.read_text()
    if not text.strip():
        yield source.error("empty file")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield source.error(
            f"malformed JSON at line {exc.lineno}, column {exc.colno} (char {exc.pos}): {exc.msg}"
        )
        return
    records = _records_of(data)
    if records is None:
        yield source.error("JSON holds neither an article nor a list of articles")
        return
    for n, record in enumerate(records, start=1):
        yield record_to_article(record, source, n)


def _records_of(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return list(data[key])
        return [data]
    return None


def count_records(source: Source) -> int:
    """How many records a JSON file holds (streamed for large files); 0 when malformed."""
    if source.path.stat().st_size <= STREAM_OVER_BYTES or source.compressed:
        try:
            records = _records_of(json.loads(source.read_text()))
        except json.JSONDecodeError:
            return 0
        return len(records or [])
    import ijson

    with source.open() as fh:
        try:
            return sum(1 for _ in ijson.items(fh, "item"))
        except ijson.JSONError:
            return 0


def _stream_json(source: Source) -> Iterator[ReadResult]:
    """A top-level JSON list read one record at a time, so memory stays flat."""
    import ijson

    n = 0
    with source.open() as fh:
        first = fh.read(1024).lstrip()
        fh.seek(0)
        if not first.startswith(b"["):
            # An object holding a list: stream the first list under a known key.
            for key in _LIST_KEYS:
                fh.seek(0)
                try:
                    for record in ijson.items(fh, f"{key}.item", use_float=True):
                        n += 1
                        yield record_to_article(record, source, n)
                except ijson.JSONError as exc:
                    yield source.error(f"malformed JSON near byte {fh.tell()}: {exc}")
                    return
                if n:
                    return
            yield source.error("JSON holds no list of articles")
            return
        try:
            for record in ijson.items(fh, "item", use_float=True):
                n += 1
                yield record_to_article(record, source, n)
        except ijson.JSONError as exc:
            yield source.error(f"malformed JSON after record {n}, near byte {fh.tell()}: {exc}")


def read_jsonl(source: Source) -> Iterator[ReadResult]:
    """One article per line; a bad line is reported with its line number and the rest read."""
    seen_any = False
    with source.open() as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = decode(raw).strip()
            if not line:
                continue
            seen_any = True
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield source.error(f"malformed JSON at column {exc.colno}: {exc.msg}", lineno)
                continue
            yield record_to_article(record, source, lineno)
    if not seen_any:
        yield source.error("empty file")

"""Readers: files and folders in, Articles (or per-file / per-record errors) out, streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ingest.formats.jsonfile import read_json, read_jsonl
from ingest.formats.text import read_text
from ingest.source import ReadResult, Source, looks_binary
from qa.config import DEFAULT_NER_MODEL
from qa.errors import IngestError

Reader = Callable[[Source], Iterator[ReadResult]]


def _lazy(module: str, name: str) -> Reader:
    """A reader whose module (and its libraries) load only when a file of its format turns up."""

    def read(source: Source) -> Iterator[ReadResult]:
        import importlib

        reader: Reader = getattr(importlib.import_module(module), name)
        return reader(source)

    return read


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": _lazy("ingest.formats.tabular", "read_csv"),
    ".tsv": _lazy("ingest.formats.tabular", "read_csv"),
    ".html": _lazy("ingest.formats.html", "read_html"),
    ".htm": _lazy("ingest.formats.html", "read_html"),
    ".xhtml": _lazy("ingest.formats.html", "read_html"),
    ".xml": _lazy("ingest.formats.feed", "read_feed"),
    ".rss": _lazy("ingest.formats.feed", "read_feed"),
    ".atom": _lazy("ingest.formats.feed", "read_feed"),
    ".warc": _lazy("ingest.formats.warc", "read_warc"),
    ".arc": _lazy("ingest.formats.warc", "read_warc"),
}
SUPPORTED = sorted(READERS)
# Formats whose content must be text; a file of random bytes under such a name is an error.
_TEXT_FORMATS = {s for s in READERS if s not in (".warc", ".arc")}


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | IngestError]:
    """Every file under the given paths (folders recursively, sorted); missing paths as errors."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield IngestError(str(path), "no such file or folder")


def read_path(
    path: Path, field_map: Mapping[str, str] | None = None, ner_model: str | None = None
) -> Iterator[ReadResult]:
    """Articles read from one file, or IngestErrors naming the file (and record) and the reason.

    `ner_model` is the spaCy pipeline that checks long bylines (default: qa.config's)."""
    source = Source(path, dict(field_map or {}), ner_model or DEFAULT_NER_MODEL)
    reader = READERS.get(source.suffix)
    if reader is None:
        yield source.error(
            f"unsupported file type '{source.suffix or source.name}'",
            hint="supported: " + ", ".join(SUPPORTED) + " (and .gz of each)",
        )
        return
    try:
        with source.open() as fh:
            head = fh.read(4096)
        if not head:
            yield source.error("empty file")
            return
        if source.suffix in _TEXT_FORMATS and looks_binary(head):
            yield source.error("binary data, not a text file")
            return
        yield from reader(source)
    except IngestError as exc:  # a bomb, a file too large to read whole, ...
        yield exc
    except (OSError, EOFError) as exc:  # unreadable, truncated .gz, ...
        yield source.error(f"cannot read file: {exc}")
    except RecursionError:
        yield source.error("nested too deeply to parse")
    except MemoryError:
        yield source.error("too large to parse in memory")
    except Exception as exc:  # a parser's own failure: report it for this file, go on
        yield source.error(f"cannot parse: {type(exc).__name__}: {exc}")


def estimate_records(path: Path) -> int:
    """A quick count of the articles a file holds, for progress and ETA (1 when unknown)."""
    source = Source(path)
    try:
        if source.suffix in (".jsonl", ".ndjson", ".csv", ".tsv"):
            with source.open() as fh:
                lines = sum(1 for line in fh if line.strip())
            return max(1, lines - (1 if source.suffix in (".csv", ".tsv") else 0))
        if source.suffix == ".json":
            from ingest.formats.jsonfile import count_records

            return max(1, count_records(source))
    except (OSError, ValueError, EOFError, IngestError, RecursionError):
        pass  # read_path reports the problem
    return 1

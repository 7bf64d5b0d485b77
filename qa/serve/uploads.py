"""Files uploaded through the web chat or the HTTP API, checked, stored and ingested.

An upload is accepted only with a supported extension (the ingest formats, and `.gz` of each)
and within the size limit. It is stored under the upload folder with a name made from a hash of
its content: nothing the client sent becomes part of a path, and the same file uploaded twice is
stored (and ingested) once. Ingest then runs with its usual per-file error handling; errors name
the file as the client called it.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from qa.errors import IngestError
from qa.types import IngestReport

if TYPE_CHECKING:
    from ingest.pipeline import IngestProgress
    from qa.assistant import Assistant

_COPY_BLOCK = 1 << 20


def allowed_suffixes() -> list[str]:
    """The extensions an upload may have: every ingest format, plain or gzipped."""
    from ingest.readers import SUPPORTED

    return [*SUPPORTED, *(s + ".gz" for s in SUPPORTED)]


def display_name(name: str) -> str:
    """The client's file name, safe to show: its last path part, printable, at most 120 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "upload")[:120]


def upload_suffix(name: str) -> str | None:
    """The accepted extension of a file name (e.g. ``.jsonl.gz``), or None."""
    lower = display_name(name).lower()
    return next(
        (s for s in sorted(allowed_suffixes(), key=len, reverse=True) if lower.endswith(s)), None
    )


def _size(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


@dataclass
class StoredUploads:
    """Uploads written to the upload folder: (client name, stored path) and the refusals."""

    stored: list[tuple[str, Path]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def store_upload(data: IO[bytes], name: str, folder: Path, max_bytes: int) -> Path:
    """Copy one upload into `folder` under a generated, content-derived name; its path.

    Raises IngestError (naming the client's file) for a type that cannot be ingested or a file
    over `max_bytes`; nothing is left behind then.
    """
    shown = display_name(name)
    suffix = upload_suffix(name)
    if suffix is None:
        raise IngestError(
            shown,
            "not an accepted upload type",
            hint="accepted: "
            + ", ".join(allowed_suffixes()[: len(allowed_suffixes()) // 2])
            + " (and .gz of each)",
        )
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".partial-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while block := data.read(_COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise IngestError(
                        shown,
                        f"larger than the upload limit of {_size(max_bytes)}",
                        hint="ingest large archives from the command line: newsdesk ingest PATH",
                    )
                digest.update(block)
                out.write(block)
        if size == 0:
            raise IngestError(shown, "empty file")
        final = folder / f"{digest.hexdigest()[:32]}{suffix}"
        os.replace(partial, final)
        return final
    finally:
        partial.unlink(missing_ok=True)


def store_uploads(
    files: Iterable[tuple[str, IO[bytes]]], folder: Path, max_bytes: int
) -> StoredUploads:
    """Store every acceptable upload; the others are listed, with why, in `rejected`."""
    result = StoredUploads()
    for name, data in files:
        try:
            result.stored.append((display_name(name), store_upload(data, name, folder, max_bytes)))
        except IngestError as exc:
            result.rejected.append(str(exc))  # "message (hint)": a line of the ingest report
    return result


def ingest_uploads(
    assistant: Assistant,
    files: Iterable[tuple[str, IO[bytes]]],
    progress: Callable[[IngestProgress], None] | None = None,
) -> IngestReport:
    """Store the uploads and ingest the accepted ones. Every refused upload and every failed
    file or record is in the report's failures, named as the client named it."""
    settings = assistant.settings
    uploads = store_uploads(files, settings.upload_path, settings.max_upload_mb * 1_000_000)
    if not uploads.stored:
        return IngestReport(failures=uploads.rejected)
    report = assistant.ingest([path for _, path in uploads.stored], progress=progress)
    failures = list(report.failures)
    for shown, path in uploads.stored:
        failures = [f.replace(str(path), shown) for f in failures]
    return replace(report, failures=uploads.rejected + failures)

"""A file to read: transparent .gz, encoding detection, and the user's field-name mapping."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from qa.errors import IngestError
from qa.types import Article

ReadResult = Article | IngestError


@dataclass(frozen=True)
class Source:
    """One input file. `name` is the file name without a trailing .gz (it decides the format)."""

    path: Path
    field_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def compressed(self) -> bool:
        return self.path.suffix.lower() == ".gz"

    @property
    def name(self) -> str:
        return self.path.stem if self.compressed else self.path.name

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def open(self) -> IO[bytes]:
        """The file's bytes, decompressed when it is .gz (streamed, never read whole)."""
        if self.compressed:
            return gzip.GzipFile(self.path, "rb")  # type: ignore[return-value]
        return self.path.open("rb")

    def read_text(self) -> str:
        """The whole file as text, decoded with `decode`."""
        with self.open() as fh:
            return decode(fh.read())

    def error(self, reason: str, record: int | None = None, hint: str = "") -> IngestError:
        return IngestError(str(self.path), reason, record=record, hint=hint)


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the detected encoding, else Windows-1252.

    Latin-1 and Windows-1252 archives are common; they are decoded, not dropped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("cp1252", errors="replace")


def looks_binary(data: bytes) -> bool:
    """Whether a sample of a file looks like binary data rather than text."""
    if not data:
        return False
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.05

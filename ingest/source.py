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
    """Bytes to text in the encoding `detect_encoding` finds (Latin-1 archives are decoded,
    not dropped)."""
    return data.decode(detect_encoding(data[:200_000]), errors="replace")


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file, judged on its first bytes: UTF-8 (BOM or not), UTF-16 with a BOM,
    else charset_normalizer's guess, preferring Windows-1252 (a superset of Latin-1) whenever it
    decodes the sample as cleanly as the top guess; Windows-1252 when nothing fits.
    """
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8-sig"  # the sample cut a multi-byte character in two
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample))
    if not matches:
        return "cp1252"
    least_chaos = min(m.chaos for m in matches)
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= least_chaos:
            return "cp1252"
    return matches[0].encoding


def looks_binary(data: bytes) -> bool:
    """Whether a sample of a file looks like binary data rather than text."""
    if not data:
        return False
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.05

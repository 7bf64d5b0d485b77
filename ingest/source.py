"""A file to read: transparent .gz, encoding detection, and the user's field-name mapping."""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from qa.config import DEFAULT_NER_MODEL
from qa.errors import IngestError
from qa.types import Article

ReadResult = Article | IngestError

# A gzip file that decompresses to more than this many times its size, past the first
# CHECK_AFTER bytes, is treated as a compression bomb (text and HTML compress 3-15 times).
MAX_RATIO = 100
CHECK_AFTER = 16 * 2**20
# Formats read whole (text, HTML, feeds, small JSON) are refused beyond this size.
MAX_WHOLE_FILE = 256 * 2**20


class _Capped(io.RawIOBase):
    """A decompressing stream that stops with an IngestError at a compression bomb."""

    def __init__(self, inner: gzip.GzipFile, compressed: int, name: str) -> None:
        self._inner = inner
        self._limit = max(CHECK_AFTER, MAX_RATIO * compressed)
        self._name = name
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read1(len(buffer))
        self._total += len(data)
        if self._total > self._limit:
            raise IngestError(
                self._name,
                f"decompresses to over {self._limit // 2**20:,} MB, more than {MAX_RATIO} times "
                "its size (a compression bomb?)",
                hint="decompress it yourself if it is a genuine archive",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


@dataclass(frozen=True)
class Source:
    """One input file. `name` is the file name without a trailing .gz (it decides the format);
    `field_map` maps field names to the export's own."""

    path: Path
    field_map: Mapping[str, str] = field(default_factory=dict)
    ner_model: str | None = DEFAULT_NER_MODEL  # the spaCy pipeline that checks long bylines

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
        """The file's bytes, decompressed when it is .gz (streamed, never read whole; a
        compression bomb raises IngestError)."""
        if self.compressed:
            capped = _Capped(
                gzip.GzipFile(self.path, "rb"), self.path.stat().st_size, str(self.path)
            )
            return io.BufferedReader(capped)
        return self.path.open("rb")

    def read_bytes(self) -> bytes:
        """The whole file (decompressed), for formats that are parsed whole; IngestError beyond
        MAX_WHOLE_FILE."""
        with self.open() as fh:
            data = fh.read(MAX_WHOLE_FILE + 1)
        if len(data) > MAX_WHOLE_FILE:
            raise self.error(
                f"too large to read whole ({MAX_WHOLE_FILE // 2**20} MB at most for "
                f"{self.suffix} files)",
                hint="split it, or export the archive as JSONL, which is read record by record",
            )
        return data

    def read_text(self) -> str:
        """The whole file as text, decoded with `decode`."""
        return decode(self.read_bytes())

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

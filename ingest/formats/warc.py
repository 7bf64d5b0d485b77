"""Web archives (WARC and ARC, plain or gzipped): one article per archived HTML page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ingest.formats.html import decode_html, html_to_article
from ingest.source import ReadResult, Source

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def read_warc(source: Source) -> Iterator[ReadResult]:
    """One article per `response` record holding an HTML page with status 200 (record n is the
    n-th record of the file); other records are skipped. A truncated or corrupt archive is
    reported after the pages read before the damage."""
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with source.open() as fh:
        stream = _Guarded(fh)
        archive = ArchiveIterator(stream, arc2warc=True)
        records = iter(archive)
        while True:
            record = None
            try:
                record = next(records, None)
                if record is None:
                    break
                n += 1
                page = _html_page(record)
                complete = _drained(record)
            except Exception as exc:  # warcio fails in many ways on damaged input
                at = n if record is not None else n + 1
                yield source.error(f"corrupt web archive at record {at}: {str(exc)[:200]}")
                return
            if not complete:
                break
            if page is not None:
                url, html = page
                yield html_to_article(html, source, url=url, record=n)
    if record is not None:  # stopped at a record shorter than it says
        yield source.error(f"truncated web archive: the file ends inside record {n}")
    elif stream.truncated or stream.position > archive.offset:  # cut inside a record's headers
        yield source.error(f"truncated web archive: the file ends inside record {n + 1}")
    elif n == 0:
        yield source.error("no WARC records found")


class _Guarded:
    """A byte stream that takes the end of a truncated gzip for the end of data (warcio would
    take the EOFError for a clean end) and remembers that, and how many bytes it delivered."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.truncated = False
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        try:
            # read1: the data before the break is returned, not lost with the exception.
            data = self.fh.read() if size is None or size < 0 else self.fh.read1(size)  # type: ignore[attr-defined]
        except EOFError:
            self.truncated = True
            data = b""
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position


def _drained(record: Any) -> bool:
    """Read the rest of a record; whether it held all the bytes its Content-Length declares.

    warcio takes a missing or cut-off Content-Length for 0 and a short record for a whole one.
    """
    raw = record.raw_stream
    while raw.read(65536):
        pass
    declared = str(record.rec_headers.get_header("Content-Length") or "").strip()
    return declared.isdigit() and getattr(raw, "limit", None) == 0


def _html_page(record: Any) -> tuple[str | None, str] | None:
    """(target URI, page text) of a 200 HTML response record; None for any other record."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    if record.http_headers.get_statuscode() != "200":
        return None
    content_type = record.http_headers.get_header("Content-Type") or ""
    if content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        return None
    payload: bytes = record.content_stream().read()
    charset = _CHARSET.search(content_type)
    url = record.rec_headers.get_header("WARC-Target-URI")
    return url, decode_html(payload, charset.group(1) if charset else None)

"""CSV and TSV article exports with a header row, streamed one row at a time."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from ingest.fields import record_to_article
from ingest.source import ReadResult, Source, detect_encoding

SAMPLE_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
# Long article bodies overflow the csv module's default 128 KB field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read_csv(source: Source) -> Iterator[ReadResult]:
    """One article per data row (record 1 is the first row after the header).

    A row without article text, or a malformed row, is reported with its record number.
    """
    with source.open() as fh:
        head = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(head)
    delimiter = (
        "\t" if source.suffix == ".tsv" else sniff_delimiter(head.decode(encoding, "replace"))
    )
    n = 0
    with source.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        reader = csv.DictReader(text, delimiter=delimiter)
        try:
            if reader.fieldnames:
                reader.fieldnames = [str(name).strip() for name in reader.fieldnames]
            for n, row in enumerate(reader, start=1):
                yield record_to_article(row, source, n)
        except csv.Error as exc:
            yield source.error(f"malformed CSV near line {reader.line_num}: {exc}", record=n + 1)
            return
    if n == 0:
        yield source.error("CSV has no data rows (a header row and one article per row expected)")


def sniff_delimiter(sample: str) -> str:
    """The delimiter csv.Sniffer finds in the sample (comma, semicolon, tab or pipe); else ','."""
    try:
        return csv.Sniffer().sniff(sample[:16_384], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","

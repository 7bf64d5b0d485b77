"""Field clean-up shared by every reader: whitespace, dates, article ids and content hashes."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_line(value: object) -> str | None:
    """Collapse whitespace in a one-line field; None for empty values."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def clean_body(text: str) -> str:
    """Normalise line endings and runs of spaces, keep paragraph breaks, strip the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def normalise_date(value: object) -> str | None:
    """Parse a date string into ISO-8601 UTC ('2023-11-27T08:45:59+00:00'); None when unparseable.

    Naive datetimes are taken as UTC.
    """
    text = clean_line(value)
    if not text:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        parsed = _fuzzy_date(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def content_hash(*parts: str | None) -> str:
    """A stable hash of an article's fields: changes whenever any of them changes."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def article_id(url: str | None, source: str | None, title: str, body: str) -> str:
    """The article's stable id: its URL when it has one, else a hash of outlet, title and body."""
    if url:
        return url
    return "sha256:" + content_hash(source, title, body)


def _fuzzy_date(text: str) -> datetime | None:
    """Dates written out ('November 27, 2023 8:45 AM EST', '27/11/2023'), via dateutil."""
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(text, fuzzy=False, dayfirst=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if not 1800 < parsed.year < 2200:
        return None
    return parsed


_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_[a-z]+|ocid|cmpid|icid|smid|ref|src)$", re.I)


def canonical_url(url: str | None) -> str | None:
    """A URL in one spelling: lower-case scheme and host, no fragment, no tracking parameters,
    no trailing slash. Values that are not http(s) URLs are returned as they are."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url.strip()
    host = parts.netloc.lower()
    if host.endswith(":80") or host.endswith(":443"):
        host = host.rsplit(":", 1)[0]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def clean_source(value: object) -> str | None:
    """An outlet name with whitespace collapsed and stray punctuation trimmed."""
    text = clean_line(value)
    if not text:
        return None
    text = text.strip(" -|·:;,")
    return text or None

"""Field clean-up shared by every reader: whitespace, dates, article ids and content hashes."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
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
    try:
        return parsed.astimezone(UTC).isoformat()
    except OverflowError:  # a placeholder at the edge of the calendar ("0001-01-01T00:00+01:00")
        return None


# A date more than this far ahead of the clock is a placeholder or a mistake, not a publication.
FUTURE_SLACK = timedelta(days=1)


def plausible_date(iso: str | None, now: datetime | None = None) -> bool:
    """Whether an ISO-8601 date (as normalise_date gives) can be a publication date: not a
    placeholder such as 0001-01-01 (any year before 1900), the Unix epoch (1970-01-01 in any
    time zone) or a date more than a day after `now` (default: the clock)."""
    if not iso:
        return False
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return False
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year < 1900:
        return False
    if abs(parsed - datetime(1970, 1, 1, tzinfo=UTC)) <= timedelta(days=1):
        return False
    return parsed <= (now or datetime.now(UTC)) + FUTURE_SLACK


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


# Time-zone abbreviations that news pages print ("8:45 AM EST"), in seconds east of UTC.
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 3600, "IST": 19800, "CET": 3600,
    "CEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800, "JST": 32400, "KST": 32400,
    "AEST": 36000, "AEDT": 39600, "EST": -18000, "EDT": -14400, "ET": -18000,
    "CST": -21600, "CDT": -18000, "CT": -21600, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "PT": -28800, "AKST": -32400, "HST": -36000,
}  # fmt: skip


def _fuzzy_date(text: str) -> datetime | None:
    """Dates written out ('November 27, 2023 8:45 AM EST', '27/11/2023'), via dateutil."""
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(text, fuzzy=False, dayfirst=False, tzinfos=_ZONES)
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

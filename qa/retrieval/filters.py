"""Search filters: outlet names matched to the archive's, dates checked, and the filters turned
into a Chroma `where` clause and a mask over the keyword index.

Outlet names in filters (CLI, HTTP API, web chat) are matched here and nowhere else: case,
spacing and punctuation do not matter ("techcrunch", "Tech-Crunch"), nor a leading "The" or a
domain ending; a name before a section ("CNBC" for "Cnbc | World Business News Leader", "The
Independent" for each of its sections) stands for every outlet it begins. A name that matches no
outlet is an error suggesting the closest ones, never an empty result.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from qa.errors import FilterError
from qa.index.snapshot import Snapshot
from qa.types import SearchFilters

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SECTION = re.compile(r"\s+[|\u2013\u2014:-]\s+|\s*\|\s*")
_DOMAIN = re.compile(r"\.(?:com|net|org|co\.uk|com\.au|co|io|news)$", re.I)


def outlet_key(name: str) -> str:
    """`name` compared as filters compare outlets: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", name.casefold())


def _aliases(outlet: str) -> set[str]:
    """The keys a filter may use for `outlet`: its whole name, and the name before a section
    (" | ", " - ", ": "), each with and without a leading "The" and a domain ending."""
    out = set()
    for variant in {outlet, _SECTION.split(outlet.strip())[0]}:
        variant = _DOMAIN.sub("", variant.strip())
        out.add(outlet_key(variant))
        if variant.lower().startswith("the "):
            out.add(outlet_key(variant[4:]))
    return {a for a in out if a}


def resolve_outlets(requested: Iterable[str], outlets: Sequence[str]) -> tuple[str, ...]:
    """The archive's outlets (`outlets`, as stored) that the requested names stand for.

    Raises FilterError (field "sources") naming each requested outlet the archive lacks, with
    the closest names it holds.
    """
    by_key: dict[str, list[str]] = {}
    by_alias: dict[str, list[str]] = {}
    for outlet in outlets:
        by_key.setdefault(outlet_key(outlet), []).append(outlet)
        for alias in _aliases(outlet):
            by_alias.setdefault(alias, []).append(outlet)
    found: list[str] = []
    unknown: list[str] = []
    for name in requested:
        key = outlet_key(name)
        match = by_key.get(key) or by_alias.get(key) or by_alias.get(outlet_key(_strip_the(name)))
        if match:
            found += match
        elif key or name.strip():
            unknown.append(name.strip())
    if unknown:
        raise _unknown_outlets(unknown, outlets, by_alias)
    return tuple(dict.fromkeys(found))


def _strip_the(name: str) -> str:
    name = _DOMAIN.sub("", name.strip())
    return name[4:] if name.lower().startswith("the ") else name


def _unknown_outlets(
    unknown: list[str], outlets: Sequence[str], by_alias: dict[str, list[str]]
) -> FilterError:
    names = ", ".join(repr(u) for u in unknown)
    what = "an outlet" if len(unknown) == 1 else "outlets"
    if not outlets:
        return FilterError(
            f"The archive has no outlets to filter by ({names} asked for)",
            "ingest articles first, or leave the outlet filter empty",
            field="sources",
        )
    close: list[str] = []
    for name in unknown:
        for alias in difflib.get_close_matches(outlet_key(name), list(by_alias), n=3, cutoff=0.6):
            close += by_alias[alias]
    close = list(dict.fromkeys(close))[:3]
    if close:
        hint = f"did you mean {_or(close)}?"
    else:
        shown = sorted(outlets, key=str.casefold)
        more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
        hint = f"the archive's outlets: {', '.join(shown[:8])}{more}"
    return FilterError(f"The archive holds no articles from {what} named {names}", hint, "sources")


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def resolve(filters: SearchFilters | None, outlets: Sequence[str]) -> SearchFilters | None:
    """`filters` with their outlet names matched to the archive's `outlets` and their dates
    checked (None when there is nothing to filter). Raises FilterError naming the field."""
    if not filters:
        return None
    date_range(filters)
    if not filters.sources:
        return filters
    return replace(filters, sources=resolve_outlets(filters.sources, outlets))


def check_date(value: str | None, field: str = "") -> None:
    """Raise FilterError (naming `field`) unless `value` is empty or an ISO-8601 date."""
    if value and value.strip():
        _bound(value.strip(), end=False, field=field)


def _bound(value: str, end: bool, field: str = "") -> int:
    """Epoch seconds of an ISO date/datetime; a bare date's end bound is the end of that day."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(
            f"Not an ISO-8601 date: {value!r}",
            "write dates like 2023-10-31 or 2023-10-31T12:00",
            field,
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and len(value) <= 10:
        parsed += timedelta(days=1, seconds=-1)
    return int(parsed.timestamp())


def date_range(filters: SearchFilters) -> tuple[int | None, int | None]:
    since = _bound(filters.since, end=False, field="since") if filters.since else None
    bounds = [
        _bound(v, end=True, field=name)
        for name, v in (("until", filters.until), ("as_of", filters.as_of))
        if v
    ]
    return since, min(bounds) if bounds else None


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The Chroma metadata filter for `filters` (None when there is nothing to filter)."""
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.authors:
        clauses.append({"author": {"$in": list(filters.authors)}})
    since, until = date_range(filters)
    if since is not None:
        clauses.append({"published_ts": {"$gte": since}})
    if until is not None:
        clauses.append({"published_ts": {"$lte": until}})
        clauses.append({"published_ts": {"$gte": 0}})
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def keyword_mask(filters: SearchFilters | None, matrix: Snapshot) -> np.ndarray | None:
    """A boolean mask over the keyword index's passages (None when there is nothing to filter)."""
    if not filters:
        return None
    mask = np.ones(len(matrix), dtype=bool)
    if filters.sources:
        mask &= matrix.source_mask(filters.sources)
    if filters.authors:
        mask &= matrix.author_mask(filters.authors)
    since, until = date_range(filters)
    if since is not None:
        mask &= matrix.published_ts >= since
    if until is not None:
        mask &= (matrix.published_ts <= until) & (matrix.published_ts >= 0)
    return mask

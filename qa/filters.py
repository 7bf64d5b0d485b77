"""Search filters turned into a Chroma `where` clause and a mask over the keyword index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from qa.errors import ConfigError
from qa.types import SearchFilters


def _bound(value: str, end: bool) -> int:
    """Epoch seconds of an ISO date/datetime; a bare date's end bound is the end of that day."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"Not an ISO-8601 date: {value!r}", "write dates like 2023-10-31 or 2023-10-31T12:00"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and len(value) <= 10:
        parsed += timedelta(days=1, seconds=-1)
    return int(parsed.timestamp())


def date_range(filters: SearchFilters) -> tuple[int | None, int | None]:
    since = _bound(filters.since, end=False) if filters.since else None
    bounds = [_bound(v, end=True) for v in (filters.until, filters.as_of) if v]
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


def keyword_mask(filters: SearchFilters | None, matrix: Any) -> np.ndarray | None:
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

"""Mapping records with any common field names onto Articles, with clean metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.bylines import join_names, person_names
from ingest.normalise import (
    article_id,
    canonical_url,
    clean_body,
    clean_line,
    clean_source,
    normalise_date,
    plausible_date,
)
from ingest.source import ReadResult, Source
from qa.config import DEFAULT_NER_MODEL
from qa.types import Article

# Field names that news exports use, in order of preference.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content", "article", "maintext", "full_text", "story"),
    "title": ("title", "headline", "name"),
    "published_at": (
        "published_at",
        "date",
        "pubDate",
        "published",
        "publish_date",
        "datetime",
        "pub_date",
    ),
    "source": ("source", "outlet", "publisher", "site", "site_name", "source_name", "sitename"),
    "author": ("author", "byline", "creator", "authors", "by"),
    "url": ("url", "link", "canonical_url", "href", "uri"),
}
FIELDS = tuple(FIELD_ALIASES)


def _flatten(value: Any) -> Any:
    if isinstance(value, list):
        parts = [_flatten(v) for v in value]
        return ", ".join(str(p) for p in parts if p)
    if isinstance(value, dict):
        return value.get("name") or value.get("title") or value.get("value")
    return value


def pick(record: Mapping[str, Any], name: str, field_map: Mapping[str, str]) -> Any:
    """The value of field `name` in `record`: the user's mapping first, then the known aliases."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    aliases = ((field_map[name],) if name in field_map else ()) + FIELD_ALIASES[name]
    for alias in aliases:
        value = _flatten(lowered.get(alias.lower()))
        if value not in (None, ""):
            return value
    return None


def record_to_article(record: Any, source: Source, n: int) -> ReadResult:
    """An Article from one JSON/CSV record, or an error naming the file and record number."""
    if not isinstance(record, dict):
        return source.error("record is not an object with fields", record=n)
    fields = {name: pick(record, name, source.field_map) for name in FIELDS}
    if not fields["body"] or not str(fields["body"]).strip():
        known = ", ".join(FIELD_ALIASES["body"][:4])
        return source.error(
            f"record has no article text (looked for {known}, ...)",
            record=n,
            hint="map your field with --field body=NAME",
        )
    return build_article(fields, source, fallback_title=f"{source.name} #{n}")


def build_article(
    fields: Mapping[str, Any], source: Source | None, fallback_title: str, **extra: str
) -> Article:
    """An Article with cleaned fields: whitespace, the authors' names (ingest.bylines), an
    ISO-8601 UTC date that is not a placeholder, a canonical URL and a stable id.

    `extra` is kept with the article (e.g. date_source: where the date was read; "field" when
    it came from the record's own date field). A placeholder date is dropped and kept as
    `date_rejected`.
    """
    body = clean_body(str(fields["body"]))
    title = clean_line(fields.get("title")) or fallback_title
    outlet = clean_source(fields.get("source"))
    url = canonical_url(clean_line(fields.get("url")))
    raw_date = clean_line(fields.get("published_at"))
    meta = {k: v for k, v in extra.items() if v}
    published = normalise_date(raw_date)
    if raw_date:
        meta["published_raw"] = raw_date
    if published and not plausible_date(published):
        meta["date_rejected"] = raw_date or ""
        published = None
    if published:
        meta.setdefault("date_source", "field")
    else:
        meta.pop("date_source", None)
    authors = person_names(
        fields.get("author"),
        outlets=[outlet],
        ner_model=source.ner_model if source else DEFAULT_NER_MODEL,
    )
    return Article(
        id=article_id(url, outlet, title, body),
        title=title,
        body=body,
        source=outlet,
        author=join_names(authors),
        published_at=published,
        url=url,
        path=str(source.path) if source else None,
        extra=meta,
        authors=authors,
    )

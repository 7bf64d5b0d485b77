"""Web pages: the main article text (no menus, banners or footers) and its metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ingest.fields import build_article
from ingest.normalise import normalise_date
from ingest.source import ReadResult, Source, detect_encoding
from qa.errors import IngestError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Meta tags that carry the publication time, best first (property, name or itemprop).
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "date",
)


def read_html(source: Source) -> Iterator[ReadResult]:
    """One article per page, or an error when the page holds no article text."""
    yield html_to_article(source.read_bytes(), source)


def html_to_article(
    html: str | bytes, source: Source | None, url: str | None = None, record: int | None = None
) -> ReadResult:
    """An Article from a page's main text and metadata, or an error naming the file and record.

    `url` (a WARC record's target URI) wins over the page's canonical link.
    """
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    text = decode_html(html) if isinstance(html, bytes) else html
    tree = load_html(text)
    if tree is None:
        return _error(source, "not an HTML page", url, record)
    doc = bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
    )
    found: dict[str, Any] = {}
    if doc is not None and not isinstance(doc, dict):
        found = doc.as_dict()
    title = found.get("title") or _meta(tree, "og:title")
    paragraphs = _paragraphs(found.get("body"), found.get("text") or "")
    if paragraphs and title and paragraphs[0].strip().lower() == title.strip().lower():
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the text
    if not paragraphs:
        return _error(source, "no article text found in the HTML page", url, record)
    page_url = url or _canonical(tree) or found.get("url")
    outlet = found.get("sitename") or _meta(tree, "og:site_name") or _hostname(page_url)
    fields = {
        "body": "\n\n".join(paragraphs),
        "title": title,
        "author": found.get("author"),
        "source": outlet,
        "url": page_url,
        "published_at": _published(tree) or found.get("date"),
    }
    fallback = source.path.stem if source else (page_url or "untitled page")
    return build_article(fields, source, fallback_title=fallback)


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Page bytes as text: the given (HTTP) charset, else UTF-8, else the page's <meta> charset,
    else the detected encoding."""
    declared = _META_CHARSET.search(data[:4096])
    candidates = [charset, "utf-8", declared.group(1).decode("ascii") if declared else None]
    for encoding in candidates:
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode(detect_encoding(data[:200_000]), errors="replace")


def _error(source: Source | None, reason: str, url: str | None, record: int | None) -> IngestError:
    if source is not None:
        return source.error(reason, record=record)
    return IngestError(url or "<html>", reason, record=record)


def _paragraphs(body: Any, text: str) -> list[str]:
    """Paragraph texts of trafilatura's output tree (lists kept as '- item' lines); its plain
    text, one paragraph a line, when there is no tree."""
    if body is None:
        blocks = text.split("\n")
    else:
        blocks = []
        for block in body:
            if block.tag == "list":
                items = (_inline(item).strip() for item in block if item.tag == "item")
                blocks.append("\n".join(f"- {item}" for item in items if item))
            else:
                blocks.append(_inline(block))
    return [b.strip() for b in blocks if b.strip()]


def _inline(element: Any) -> str:
    """An element's text, with <lb/> line breaks kept as newlines."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _meta(tree: Any, key: str) -> str | None:
    """The content of the first <meta> whose property, name or itemprop is `key`."""
    for element in tree.iter("meta"):
        name = element.get("property") or element.get("name") or element.get("itemprop") or ""
        if name.strip().lower() == key and (element.get("content") or "").strip():
            return str(element.get("content")).strip()
    return None


def _published(tree: Any) -> str | None:
    """The full publication timestamp from meta tags or JSON-LD; else htmldate's best guess."""
    candidates = [_meta(tree, key) for key in _DATE_META[:2]] + _json_ld_dates(tree)
    candidates += [_meta(tree, key) for key in _DATE_META[2:]]
    for value in candidates:
        if value and normalise_date(value):
            return value
    from htmldate import find_date

    # A tree, never a string: htmldate downloads strings that look like URLs.
    return find_date(
        tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S"
    )


def _json_ld_dates(tree: Any) -> list[str]:
    dates: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if isinstance(node.get("datePublished"), str):
                dates.append(node["datePublished"])
            walk(node.get("@graph"))

    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            try:
                walk(json.loads(script.text))
            except ValueError:
                continue
    return dates


def _canonical(tree: Any) -> str | None:
    """The page's absolute canonical link, else its og:url."""
    for link in tree.iter("link"):
        href = (link.get("href") or "").strip()
        if "canonical" in (link.get("rel") or "").lower().split() and href.startswith("http"):
            return href
    og_url = _meta(tree, "og:url")
    return og_url if og_url and og_url.startswith("http") else None


def _hostname(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None

"""RSS 2.0 and Atom feeds: one article per entry, from its full content or else its summary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingest.fields import build_article
from ingest.normalise import clean_body
from ingest.source import ReadResult, Source

# Elements that start a new paragraph when feed HTML is turned into plain text.
_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol blockquote pre table tr figure figcaption "
    "section article header footer aside dl dt dd hr address".split()
)

# "jo@example.com (Jo Bloggs)" (RSS), "Jo Bloggs (jo@example.com)" (feedparser's Atom), "Jo <jo@…>".
_EMAIL_BYLINES = (
    re.compile(r"^\S+@\S+\s*\((?P<name>[^()]+)\)$"),
    re.compile(r"^(?P<name>[^()<>]+?)\s*[(<]\S+@\S+[)>]$"),
)


def read_feed(source: Source) -> Iterator[ReadResult]:
    """One article per entry (record n is the n-th entry); a file that is not a feed, or an
    entry without text, is reported. A feed that parses with warnings is still read."""
    import feedparser

    parsed = feedparser.parse(source.read_bytes())
    if not parsed.entries:
        if not parsed.get("version"):
            problem = parsed.get("bozo_exception")
            yield source.error(
                "not an RSS or Atom feed", hint=f"parser said: {problem}" if problem else ""
            )
        else:
            yield source.error("feed has no entries")
        return
    feed_title = parsed.feed.get("title")
    for n, entry in enumerate(parsed.entries, start=1):
        yield entry_to_article(entry, source, n, feed_title)


def entry_to_article(entry: Any, source: Source, n: int, feed_title: str | None) -> ReadResult:
    """An Article from one feedparser entry; the entry's own <source> names its outlet."""
    body = _entry_text(entry)
    if not body:
        return source.error("feed entry has no text (no content or summary)", record=n)
    origin = entry.get("source") or {}
    fields = {
        "body": body,
        "title": _detail_text(entry.get("title_detail")) or entry.get("title"),
        "author": _author(entry),
        "source": origin.get("title") or feed_title,
        "url": entry.get("link"),
        "published_at": entry.get("published") or entry.get("updated"),
    }
    return build_article(fields, source, fallback_title=f"{source.name} #{n}")


def _author(entry: Any) -> str | None:
    """The entry's byline (author or dc:creator) without an e-mail address.

    feedparser's own name/e-mail split cuts top-level domains longer than four letters.
    """
    raw = " ".join(str(entry.get("author") or "").split())
    for pattern in _EMAIL_BYLINES:
        match = pattern.match(raw)
        if match:
            return match.group("name").strip()
    return raw or (entry.get("author_detail") or {}).get("name")


def _entry_text(entry: Any) -> str:
    """The entry's full content when it has some, else its summary, as plain text."""
    for detail in entry.get("content") or []:
        text = _detail_text(detail)
        if text:
            return text
    return _detail_text(entry.get("summary_detail")) or _detail_text(
        {"value": entry.get("summary")}
    )


def _detail_text(detail: Any) -> str:
    """Plain text of a feedparser text construct: HTML is converted, plain text kept as is."""
    if not detail or not detail.get("value"):
        return ""
    value = str(detail["value"])
    if detail.get("type") == "text/plain":
        return clean_body(value)
    return html_to_text(value)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: entities unescaped, block elements as paragraphs
    separated by a blank line, <br> as a line break, scripts and styles dropped."""
    from lxml import etree
    from lxml import html as lxml_html

    if not html.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_body(html)
    for junk in root.xpath("//script|//style"):
        junk.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return clean_body(root.text_content())

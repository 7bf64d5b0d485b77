"""Web pages: the main article text (no menus, banners or footers) and its metadata.

The text comes from ingest.formats.html_body (with its checks for pages that are not
articles), the byline, date and link from ingest.formats.html_meta, the outlet and title from
ingest.formats.html_site.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

from ingest.fields import build_article
from ingest.formats import html_body, html_meta, html_site
from ingest.normalise import normalise_date, plausible_date
from ingest.source import ReadResult, Source, detect_encoding
from qa.config import DEFAULT_NER_MODEL
from qa.errors import IngestError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Fewer words than this are a menu item or a caption, not an article.
MIN_WORDS = 10
_REFRESH = re.compile(r"""http-equiv\s*=\s*["']?refresh[^>]*url\s*=\s*['"]?([^'">\s]+)""", re.I)


def read_html(source: Source) -> Iterator[ReadResult]:
    """One article per page, or an error saying why the page holds no article."""
    yield html_to_article(source.read_bytes(), source)


def html_to_article(
    html: str | bytes, source: Source | None, url: str | None = None, record: int | None = None
) -> ReadResult:
    """An Article from a page's main text and metadata, or an error naming the file and record
    and the reason (no text, a paywall or consent stub, an error page, a section front).

    `url` (a WARC record's target URI) wins over the page's canonical link.
    """
    with warnings.catch_warnings():
        # htmldate (inside trafilatura too) hands dateutil zone names it cannot place ("EST")
        warnings.filterwarnings("ignore", message="tzname .* identified but not understood")
        return _to_article(html, source, url, record)


def _to_article(
    html: str | bytes, source: Source | None, url: str | None, record: int | None
) -> ReadResult:
    from trafilatura.utils import load_html

    text = decode_html(html) if isinstance(html, bytes) else html
    tree = load_html(text)
    if tree is None:
        return _error(source, _unreadable(text), url, record)
    page = html_meta.read_page_meta(tree)
    page_url = url or page.canonical
    extracted = html_body.extract(tree, page_url, page)
    found = extracted.found
    page_url = page_url or found.get("url")
    outlet = html_site.choose_outlet(page, page_url, text)
    names = [n for n in [outlet, *html_site.outlet_candidates(page, with_title=False)] if n]
    domain = html_site.registered_domain(page_url)
    title = html_site.choose_title(page, found, names, page_url)
    if extracted.refusal:
        return _error(source, extracted.refusal, url, record)
    paragraphs = extracted.paragraphs
    if paragraphs and title and _same(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the text
    words = sum(html_body.word_count(p) for p in paragraphs)
    if words < MIN_WORDS:
        found_words = f" (only {words} words of text)" if words else ""
        return _error(source, f"no article text found in the HTML page{found_words}", url, record)
    ner_model = source.ner_model if source else DEFAULT_NER_MODEL
    authors, author_source = html_meta.choose_authors(
        page, found, names + ([domain] if domain else []), ner_model
    )
    published, date_source = _published(tree, page, found.get("date"), page_url)
    fields = {
        "body": "\n\n".join(paragraphs),
        "title": title,
        "author": authors,
        "source": outlet,
        "url": page_url,
        "published_at": published,
    }
    fallback = source.path.stem if source else (page_url or "untitled page")
    extra = {"date_source": date_source or "", "author_source": author_source or ""}
    if extracted.mode != "precise":
        extra["text_mode"] = extracted.mode
    return build_article(fields, source, fallback_title=fallback, **extra)


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


def _unreadable(text: str) -> str:
    """Why a document could not be read as a page: a redirect names its target."""
    target = _REFRESH.search(text[:20_000])
    if target:
        return f"a redirect to {target.group(1)}, not an article"
    if re.search(r"location\.(?:replace|href)\s*[=(]", text[:20_000]):
        return "a script that redirects to another page, not an article"
    return "not an HTML page"


def _same(line: str, title: str) -> bool:
    return " ".join(line.split()).lower() == " ".join(title.split()).lower()


def _published(
    tree: Any, page: html_meta.PageMeta, guessed: str | None, url: str | None
) -> tuple[str | None, str | None]:
    """The publication time and where it was read: the first date the page states that is not
    a placeholder (ingest.normalise.plausible_date) and agrees with a date in the page's URL
    (".../2014/05/..."; a template's stale date does not); else htmldate's reading of the page
    (`guessed`: trafilatura's, from a wider search)."""
    for where, value in html_meta.date_candidates(page):
        iso = normalise_date(value)
        if plausible_date(iso) and html_meta.agrees_with_url(iso, url):
            return value, where
    from htmldate import find_date

    # A tree, never a string: htmldate downloads strings that look like URLs.
    guess = find_date(
        tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S"
    )
    for found in (guess, guessed):
        iso = normalise_date(found)
        # A guess of January 1 at midnight is a year alone (a copyright line), not a date.
        if found and iso and plausible_date(iso) and iso[5:19] != "01-01T00:00:00":
            return found, "htmldate"
    return None, None

"""What a web page says about its article, read from the page's structure (JSON-LD, <meta>
tags, microdata, rel=author, its byline element) before its text; and the choice of its byline
and publication date among them. (Outlet and title: ingest.formats.html_site.)

Every choice goes through candidates in order and takes the first that survives its checks:
bylines must hold a person's name (ingest.bylines) and a date must not be a placeholder
(ingest.normalise.plausible_date).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ingest.bylines import person_names

# schema.org types of an article's own node (others describe the site, a video, a breadcrumb).
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "scholarlyarticle",
    "techarticle",
    "report",
    "webpage",
}
# <meta> keys that carry the publication time, best first (property, name or itemprop).
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "publish-date",
    "publishdate",
    "publish_date",
    "pub_date",
    "pubdate",
    "publication_date",
    "article_date_original",
    "item-publish-date",
    "sailthru.date",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "datecreated",
    "date",
    "displaydate",
)
# A <meta> key that names the author: "author", "article:author", "sailthru.author",
# "parsely-author", "dc.creator", "article_author", "byl", ... (never twitter:creator, a handle).
_AUTHOR_META = re.compile(r"^(?:.*[:._-])?(?:author|authors|authorname|byline|byl|creator)$")
# Classes of the element that holds a byline, and of author boxes that hold more than one.
_BYLINE_CLASS = re.compile(r"byline|by-line|\bauthors?\b|\bautor|\bauteur|\bwriter\b")
_NOT_BYLINE_CLASS = re.compile(
    r"bio|avatar|image|photo|img|social|follow|email|contact|flyout|comment|link|icon|share"
)
# Parts of a page that are about other stories: their bylines are not this article's.
_ASIDE = re.compile(
    r"(?:^|[\s_-])(?:related|recommend|skybox|sidebar|promo|popular|trending|more|most|widget|"
    r"comments?|footer|teaser|outbrain|taboola|newsletter|rail)",
    re.I,
)


@dataclass
class PageMeta:
    """The structured metadata of one page, gathered once."""

    metas: dict[str, list[str]] = field(default_factory=dict)  # key (lower-case) -> contents
    nodes: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD nodes, flattened
    parsely: dict[str, Any] = field(default_factory=dict)  # the parsely-page JSON, if any
    dom_authors: list[str] = field(default_factory=list)  # itemprop/rel=author, first byline
    byline_text: str | None = None  # the text of the first element classed as a byline
    times: list[str] = field(default_factory=list)  # <time datetime> marked as publication
    title: str | None = None  # the <title> element
    headings: list[str] = field(default_factory=list)  # the <h1> texts
    canonical: str | None = None

    def meta(self, key: str) -> str | None:
        """The first non-empty content of a <meta> key."""
        values = self.metas.get(key)
        return values[0] if values else None

    def unique_meta(self, key: str) -> str | None:
        """The content of a <meta> key that the page gives one value (a key repeated with other
        values lists other stories, as in a "latest" box)."""
        values = set(self.metas.get(key) or [])
        return values.pop() if len(values) == 1 else None

    def article_nodes(self) -> list[dict[str, Any]]:
        """JSON-LD nodes that describe an article (those with a headline count too)."""
        return [n for n in self.nodes if node_types(n) & _ARTICLE_TYPES or "headline" in n]


def read_page_meta(tree: Any) -> PageMeta:
    """The metadata of a parsed page (an lxml tree)."""
    page = PageMeta()
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop") or ""
        content = " ".join((element.get("content") or "").split())
        if key and content:
            page.metas.setdefault(key.strip().lower(), []).append(content)
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            page.nodes.extend(_json_ld(script.text))
    parsely = page.meta("parsely-page")
    if parsely:
        try:
            loaded = json.loads(parsely)
            page.parsely = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            pass
    page.dom_authors = _dom_authors(tree)
    page.byline_text = _byline_text(tree)
    for element in tree.iter("time"):
        value = element.get("datetime") or element.get("content")
        if value and (element.get("itemprop") == "datePublished" or "pubdate" in element.attrib):
            page.times.append(value)
    for element in tree.iter("*"):
        if element.get("itemprop") == "datePublished" and element.tag != "time":
            value = element.get("content") or element.get("datetime")
            if value:
                page.times.append(value)
    page.headings = [" ".join(h.text_content().split()) for h in tree.iter("h1", "h2")]
    title = tree.find(".//title")
    if title is not None:
        page.title = " ".join(title.text_content().split()) or None
    page.canonical = _canonical(tree, page)
    return page


def _json_ld(text: str) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD script (graphs and lists flattened); nothing when malformed."""
    text = text.strip()
    if text.startswith("//<![CDATA["):
        text = text.removeprefix("//<![CDATA[").rsplit("//]]>", 1)[0]
    try:
        data = json.loads(text)
    except ValueError:
        return
    stack = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack[:0] = node
        elif isinstance(node, dict):
            yield node
            if isinstance(node.get("@graph"), list):
                stack[:0] = node["@graph"]


def node_types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def names_of(value: Any, person_only: bool = False) -> list[str]:
    """The names a JSON-LD author/publisher value holds (a string, an object, or a list)."""
    if isinstance(value, list):
        return [n for v in value for n in names_of(v, person_only)]
    if isinstance(value, dict):
        if person_only and node_types(value) - {"person"}:
            return []  # an Organization as the author: not a byline
        name = value.get("name")
        return [html.unescape(str(name))] if isinstance(name, str) and name.strip() else []
    if isinstance(value, str) and value.strip() and not value.startswith(("http:", "https:")):
        return [html.unescape(value)]
    return []


def _dom_authors(tree: Any) -> list[str]:
    """The names of the page's first byline block marked up as authors (itemprop="author",
    rel="author"), outside boxes about other stories."""
    marked = []
    for element in tree.iter("*"):
        itemprop = (element.get("itemprop") or "").split()
        rel = (element.get("rel") or "").lower().split() if element.tag == "a" else []
        if ("author" in itemprop or "author" in rel) and not _in_aside(element):
            marked.append(element)
    if not marked:
        return []
    block = _block_of(marked[0])
    names = []
    for element in marked:
        if element is marked[0] or _is_inside(element, block):
            name_el = next(
                (e for e in element.iter("*") if "name" in (e.get("itemprop") or "").split()),
                element,
            )
            text = name_el.get("content") or name_el.text_content()
            text = " ".join(str(text).split())
            if text:
                names.append(text)
    return names


def _byline_text(tree: Any) -> str | None:
    """The text of the page's first element classed as a byline ("byline", "author", "autor"),
    outside boxes about other stories: "By Harriet Alexander, Andrew Marszal and Josie Ensor"."""
    for element in tree.iter("*"):
        if element.tag in ("meta", "link", "script", "style", "img", "body", "html"):
            continue
        marks = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if not _BYLINE_CLASS.search(marks) or _NOT_BYLINE_CLASS.search(marks):
            continue
        text = " ".join(element.text_content().split())
        if 3 < len(text) <= 200 and not _in_aside(element):
            return text
    return None


def _in_aside(element: Any) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag in ("aside", "nav", "footer"):
            return True
        marks = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}"
        if _ASIDE.search(marks):
            return True
    return False


def _block_of(element: Any) -> Any:
    """The nearest block-level ancestor: the byline line or box an author name sits in."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "header"):
            return ancestor
    return element


def _is_inside(element: Any, block: Any) -> bool:
    return any(a is block for a in element.iterancestors())


def _canonical(tree: Any, page: PageMeta) -> str | None:
    """The page's absolute canonical link, else its og:url."""
    for link in tree.iter("link"):
        href = (link.get("href") or "").strip()
        if "canonical" in (link.get("rel") or "").lower().split() and href.startswith("http"):
            return href
    og_url = page.meta("og:url")
    return og_url if og_url and og_url.startswith("http") else None


# --- byline -----------------------------------------------------------------------------


def choose_authors(
    page: PageMeta, found: dict[str, Any], outlets: list[str], ner_model: str | None
) -> tuple[list[str], str | None]:
    """The article's authors and where they were read, from the first source that names a
    person: JSON-LD author (or creator), <meta> author keys and parsely-page, the page's
    first marked-up byline (itemprop/rel=author), then trafilatura's reading of the text. A
    later source that names the same people and more wins (a <meta> tag naming the first of
    three authors) when it is the page's marked-up byline."""
    chosen: list[str] = []
    where: str | None = None
    for source, raw in author_candidates(page, found):
        from_text = source in ("byline-text", "text")
        names = person_names(raw, outlets, ner_model=ner_model, from_text=from_text)
        if not chosen:
            chosen, where = names, (source if names else None)
        elif (
            source.startswith("byline")
            and len(names) > len(chosen)
            and {n.lower() for n in chosen} <= {n.lower() for n in names}
        ):
            chosen, where = names, source
    return chosen, where


def author_candidates(page: PageMeta, found: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for node in page.article_nodes():
        for key in ("author", "creator"):
            names = names_of(node.get(key), person_only=True)
            if names:
                yield f"json-ld:{key}", names
    for key, values in page.metas.items():
        if _AUTHOR_META.match(key) and not key.startswith("twitter:"):
            yield f"meta:{key}", values[0]
    if page.parsely.get("author"):
        yield "meta:parsely-page", page.parsely["author"]
    if page.dom_authors:
        yield "byline", page.dom_authors
    if page.byline_text:
        yield "byline-text", page.byline_text
    if found.get("author"):
        yield "text", str(found["author"]).split(";")


# --- date -------------------------------------------------------------------------------


def date_candidates(page: PageMeta) -> Iterator[tuple[str, str]]:
    """(source, value) of every publication date the page states, best first."""
    for key in _DATE_META[:3]:
        value = page.unique_meta(key)
        if value:
            yield f"meta:{key}", value
    for node in page.article_nodes():
        for key in ("datePublished", "dateCreated"):
            if isinstance(node.get(key), str):
                yield f"json-ld:{key}", node[key]
    for value in page.times[:1]:
        yield "time", value
    if isinstance(page.parsely.get("pub_date"), str):
        yield "meta:parsely-page", page.parsely["pub_date"]
    for key in _DATE_META[3:]:
        value = page.unique_meta(key)
        if value:
            yield f"meta:{key}", value


_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])(?:[/-](0[1-9]|[12]\d|3[01]))?(?=[/-]|$)"
)


def agrees_with_url(iso: str | None, url: str | None) -> bool:
    """Whether a date lies within two months of the year and month that the page's URL holds
    (".../2014/05/..."): a template's stale date ("2009-09-02" on a 2014 story) does not.
    True when the URL holds no date."""
    found = _URL_DATE.search(urlsplit(url).path) if url and iso else None
    if not found or not iso:
        return True
    from datetime import date

    stated = date.fromisoformat(iso[:10])
    in_url = date(int(found.group(1)), int(found.group(2)), 15)
    return abs((stated - in_url).days) <= 62

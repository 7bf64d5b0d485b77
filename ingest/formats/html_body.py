"""A web page's article text: trafilatura's precise extraction, a recall-mode fallback (tables
kept) when that finds too little for the page, and the checks that refuse what is not an
article (paywall and consent notices, error pages, section fronts, link lists).

The text keeps the page's paragraphs: one paragraph per block, separated by a blank line;
lists as "- item" lines and table rows as lines with cells joined by " | ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.formats.html_meta import PageMeta

# Recall mode is tried when the precise text has fewer characters than this.
CHECK_RECALL_BELOW = 2000
# A precise extraction shorter than this many words, or than this share of what recall mode
# finds, is too little for the page: the recall-mode text is taken instead.
MIN_PRECISE_WORDS = 25
MIN_PRECISE_SHARE = 0.15
# Recall mode's text is not taken when this share of it or more is link text (menus).
MAX_RECALL_LINKS = 0.5
# Below this many words, a text made mostly of notices is a stub, not an article.
STUB_WORDS = 150
# A text of at least this many lines, this share of them of three words or fewer, is a menu.
MENU_LINES = 20
MENU_SHARE = 0.75

# trafilatura's output tags: containers whose children are blocks, and paragraph-like blocks.
_CONTAINERS = {"body", "div", "doc", "main", "section", "article", "quote", "blockquote"}
_PARAGRAPHS = {"p", "head", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "item"}

_PAYWALL = re.compile(
    r"for your personal,? non-?commercial use only|subscribe (?:now |today )?to (?:continue|"
    r"read|keep reading|unlock)|(?:to )?continue reading,? (?:please )?(?:subscribe|log ?in|"
    r"sign in|register)|already an? (?:subscriber|member)|(?:subscribers?|members?)[- ]only|"
    r"this (?:article|story|content) is (?:only )?(?:available|reserved) (?:to|for) "
    r"(?:subscribers|members)|(?:log|sign) ?in to (?:read|continue|view)|purchase a "
    r"subscription|start your (?:free )?trial|unlock (?:this|the full) (?:article|story)|"
    r"you have reached (?:your|the) (?:limit|maximum)|free articles? (?:left|remaining)",
    re.I,
)
_CONSENT = re.compile(
    r"\bcookies?\b|\bconsent\b|privacy (?:policy|settings|preferences|choices)|accept all|"
    r"reject all|manage (?:preferences|options|settings)|we and our partners|personal data|"
    r"\bgdpr\b|legitimate interest|your choices",
    re.I,
)
_NEWSLETTER = re.compile(
    r"sign ?up for (?:our|the) (?:\w+ )?newsletters?|to your inbox|subscribe to (?:our|the) "
    r"(?:\w+ )?newsletters?|your e-?mail address|newsletter sign ?-?up",
    re.I,
)
_ERROR_TITLE = re.compile(
    r"^(?:error\s*)?(?:404|403|410|500|503)\b|page (?:not found|cannot be found|unavailable)|"
    r"^not found|^forbidden|^access denied|^(?:http )?error\b|^service unavailable|"
    r"doesn[’']t exist|no longer available",
    re.I,
)
# A teaser on a section front ends with an ellipsis or a "more" link.
_TEASER_END = re.compile(
    r"(?:…|\.\.\.|»|›|>>|read more|full story|more\s*›?|continue reading|watch video)\s*$",
    re.I,
)


@dataclass
class Extracted:
    """The page's article text as paragraphs, trafilatura's metadata, and how it was found;
    `refusal` says why the page is not an article (then `paragraphs` is what was found)."""

    paragraphs: list[str] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)
    mode: str = "precise"
    refusal: str | None = None
    links: float = 0.0  # share of the text's characters inside links
    notices: int = 0  # paragraphs dropped as subscription notices


def extract(tree: Any, url: str | None, page: PageMeta) -> Extracted:
    """The article text of a parsed page (precise first, recall mode when that finds too
    little), with `refusal` set when the page is a stub, an error page or a list of links."""
    precise = _run(tree, url, precise=True)
    result = Extracted(precise.paragraphs, precise.found, "precise", links=precise.links)
    if len(_text(precise.paragraphs)) < CHECK_RECALL_BELOW:
        recall = _run(tree, url, precise=False)
        if _too_little(precise.paragraphs, recall):
            result = Extracted(recall.paragraphs, precise.found, "recall", links=recall.links)
    if not result.paragraphs:
        body = _json_ld_body(page)
        if body:
            result = Extracted(body, precise.found, "json-ld")
    kept = [p for p in result.paragraphs if not _PAYWALL.search(p) or len(p) > 400]
    result.notices = len(result.paragraphs) - len(kept)
    result.paragraphs = kept
    result.refusal = refusal(result, page)
    return result


def refusal(result: Extracted, page: PageMeta) -> str | None:
    """Why this text is not an article, or None when it is one."""
    text = _text(result.paragraphs)
    words = _words(result.paragraphs)
    title = str(result.found.get("title") or page.meta("og:title") or page.title or "")
    if words < STUB_WORDS:
        if _ERROR_TITLE.search(title) or (text and _ERROR_TITLE.search(text[:80])):
            return f"an error page ({_short(title or text)}), not an article"
        if (result.notices or _paywalled(page)) and words < STUB_WORDS:
            return "a paywall or subscription notice with no article text"
        if text and len(_CONSENT.findall(text)) >= 2:
            return "a cookie or consent notice, not an article"
        if words < 60 and len(_NEWSLETTER.findall(text)) >= 2:
            return "a newsletter sign-up box, not an article"
    if not result.paragraphs:
        return None  # the caller reports "no article text found"
    if result.links >= 0.6 and words < 600:
        return "a list of links, not an article"
    lines = [line for p in result.paragraphs for line in p.split("\n") if line.strip()]
    short = sum(1 for line in lines if word_count(line) <= 3)
    if len(lines) >= MENU_LINES and short >= MENU_SHARE * len(lines):
        return "menus and navigation, not an article"
    # Teasers: paragraphs of a sentence or more that end with "…" or "Read more" (a heading
    # ending in an ellipsis is a style, not a teaser).
    teasers = sum(1 for p in result.paragraphs if _TEASER_END.search(p) and word_count(p) >= 8)
    if len(result.paragraphs) >= 4 and teasers >= max(3, 0.6 * len(result.paragraphs)):
        return "a section front (story teasers), not an article"
    if _front_page(page, title) and not _article_marked(page):
        return "a home page or section front, not an article"
    return None


def _paywalled(page: PageMeta) -> bool:
    """The page says its content is not free (schema.org isAccessibleForFree)."""
    for node in page.nodes:
        value = node.get("isAccessibleForFree")
        if value is False or str(value).lower() == "false":
            return True
    return False


def _front_page(page: PageMeta, title: str) -> bool:
    """A site's home page: its canonical path is "/" or its title is the site's name."""
    from urllib.parse import urlsplit

    if page.canonical and urlsplit(page.canonical).path in ("", "/"):
        return True
    site = page.meta("og:site_name") or page.meta("application-name")
    if site and title:
        head = re.split(r"\s+[|\-–—:]\s+", title)[0]
        return head.strip().lower() == site.strip().lower()
    return False


def _article_marked(page: PageMeta) -> bool:
    """The page marks itself as an article (og:type, JSON-LD, a publication time)."""
    if (page.meta("og:type") or "").lower() == "article":
        return True
    if any(n.get("@type") for n in page.article_nodes()):
        return True
    return bool(page.meta("article:published_time"))


def _too_little(precise: list[str], recall: _Run) -> bool:
    """Whether the precise text is too little for the page, so recall mode's is taken: it is
    empty, or recall mode finds more than twice as much (not mostly links) while the precise
    text is under MIN_PRECISE_WORDS words or MIN_PRECISE_SHARE of recall mode's."""
    if recall.links >= MAX_RECALL_LINKS or not recall.paragraphs:
        return False
    if not precise:
        return True
    mine, theirs = len(_text(precise)), len(_text(recall.paragraphs))
    if theirs <= 2 * mine:
        return False
    return _words(precise) < MIN_PRECISE_WORDS or mine < MIN_PRECISE_SHARE * theirs


@dataclass
class _Run:
    paragraphs: list[str]
    found: dict[str, Any]
    links: float


def _run(tree: Any, url: str | None, precise: bool) -> _Run:
    from trafilatura import bare_extraction

    doc = bare_extraction(
        tree,
        url=url,
        with_metadata=precise,
        favor_precision=precise,
        favor_recall=not precise,
        include_comments=False,
        include_tables=True,
        include_links=True,
    )
    if doc is None or isinstance(doc, dict):
        return _Run([], {}, 0.0)
    found = doc.as_dict()
    body = found.get("body")
    if body is None:
        paragraphs = [p.strip() for p in str(found.get("text") or "").split("\n") if p.strip()]
        return _Run(paragraphs, found, 0.0)
    found_blocks = [(_tidy(text), linked) for text, linked in blocks(body)]
    found_blocks = [(text, linked) for text, linked in found_blocks if text]
    total = sum(len(text) for text, _ in found_blocks) or 1
    share = min(1.0, sum(linked for _, linked in found_blocks) / total)
    paragraphs = [text for text, _ in found_blocks]
    return _Run(paragraphs, found, share)


def blocks(element: Any) -> list[tuple[str, int]]:
    """The paragraphs of trafilatura's output tree, one per block, in order, each with the
    number of its characters inside links; the text and inline elements between blocks form
    paragraphs of their own."""
    out: list[tuple[str, int]] = []
    pending: list[str] = [element.text or ""]
    pending_links = 0

    def flush() -> None:
        nonlocal pending_links
        text = "".join(pending)
        pending.clear()
        if text.strip():
            out.append((text, pending_links))
        pending_links = 0

    for child in element:
        tag = child.tag
        if tag == "list":
            flush()
            items = (_inline(item).strip() for item in child if item.tag == "item")
            out.append(("\n".join(f"- {item}" for item in items if item), _linked(child)))
        elif tag == "table":
            flush()
            rows = []
            for row in child.iter("row"):
                cells = [_inline(c).strip() for c in row if c.tag == "cell"]
                if any(cells):
                    rows.append(" | ".join(c for c in cells if c))
            out.append(("\n".join(rows), _linked(child)))
        elif tag in _CONTAINERS:
            flush()
            out.extend(blocks(child))
        elif tag in _PARAGRAPHS:
            flush()
            out.append((_inline(child), _linked(child)))
        elif tag == "lb":
            pending.append("\n")
        else:
            pending.append(_inline(child))
            pending_links += _linked(child)
        pending.append(child.tail or "")
    flush()
    return out


def _linked(element: Any) -> int:
    """Characters of an element's text inside links (trafilatura's <ref>)."""
    if element.tag == "ref":
        return len(" ".join("".join(element.itertext()).split()))
    return sum(len(" ".join("".join(r.itertext()).split())) for r in element.iter("ref"))


def _inline(element: Any) -> str:
    """An element's text, with <lb/> line breaks (and blocks nested in it) as newlines."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in _PARAGRAPHS or child.tag in _CONTAINERS or child.tag == "list":
            parts.append("\n" + _inline(child) + "\n")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _tidy(block: str) -> str:
    """A block with its lines' spaces collapsed and empty lines dropped."""
    lines = (" ".join(line.split()) for line in block.split("\n"))
    return "\n".join(line for line in lines if line)


def _json_ld_body(page: PageMeta) -> list[str]:
    """The longest JSON-LD articleBody, as paragraphs."""
    bodies = [
        n["articleBody"] for n in page.article_nodes() if isinstance(n.get("articleBody"), str)
    ]
    if not bodies:
        return []
    body = max(bodies, key=len)
    return [p for p in (" ".join(x.split()) for x in re.split(r"\n\s*\n|\n", body)) if p]


def _text(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def _words(paragraphs: list[str]) -> int:
    return sum(word_count(p) for p in paragraphs)


# Scripts written without spaces between words: Thai, kana, CJK ideographs, Hangul.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def word_count(text: str) -> int:
    """Words in a text; in scripts written without spaces, two characters count as a word."""
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return len(text.split())
    spaced = sum(1 for w in text.split() if not _UNSPACED.search(w))
    return spaced + unspaced // 2


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."

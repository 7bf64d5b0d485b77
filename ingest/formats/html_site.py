"""A web page's outlet and title: the publisher's own name (og:site_name, JSON-LD publisher,
the host's registered name as the site writes it; never a social handle or a navigation
string) and the headline without the outlet's suffix (" - IGN", " | Reuters")."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from ingest.formats.html_meta import PageMeta, names_of, node_types

_SEPARATORS = re.compile(r"\s+(?:[|\-–—:»·•/]|::)\s+|\s*[|»·•]\s*")
_HANDLE = re.compile(r"^@?[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+$")


def registered_domain(url: str | None) -> str | None:
    """The host's registered domain ("nj.com", "cricket.com.au"), from the public suffix list
    that the `tld` package ships (no download)."""
    if not url:
        return None
    from tld import get_tld

    found = get_tld(url if "://" in url else f"http://{url}", as_object=True, fail_silently=True)
    if found is None:
        host = urlsplit(url).hostname
        return host.removeprefix("www.") if host else None
    return str(found.fld)  # type: ignore[union-attr]


def _squash(name: str) -> str:
    """A name as letters and digits only, without a leading "the" (for comparing names)."""
    text = re.sub(r"[^0-9a-z]", "", name.lower())
    return text[3:] if text.startswith("the") and len(text) > 6 else text


def matches_host(name: str, domain: str | None) -> bool:
    """Whether a name is the site's name for its domain ("NJ.com" for nj.com, "The Boston
    Herald" for bostonherald.com, "Condé Nast Traveler" for cntraveler.com)."""
    if not domain:
        return False
    label = _squash(domain.split(".")[0])
    squashed = _squash(html.unescape(name))
    if not label or not squashed:
        return False
    if label in squashed or (len(squashed) >= 3 and squashed in label):
        return True
    if len(label) >= 4 and label[0] == squashed[0]:  # an abbreviation: c(onde) n(ast) traveler
        letters = iter(squashed)
        return all(ch in letters for ch in label)
    return False


def usable_outlet(name: str | None) -> str | None:
    """`name` tidied, or None when it is not an outlet's name: a social handle ("@SputnikInt",
    "Grazia_Live"), a navigation string ("Autoracing | F1 | Indy | MotoGP"), a copyright line,
    a URL or an over-long phrase."""
    if not name:
        return None
    name = " ".join(html.unescape(name).split()).strip(" -|·:;,")
    if not name or len(name) > 60 or name.startswith(("http:", "https:", "©", "@")):
        return None
    if name.lower().startswith("copyright") or _HANDLE.match(name):
        return None
    if len(_SEPARATORS.split(name)) >= 3:
        return None  # a navigation string
    return name


def _is_handle(name: str, page: PageMeta) -> bool:
    """The page's own social handle (twitter:site) as words run together: "SputnikInt",
    "TheAVClub" (a one-word name such as "WIRED" or "Mashable" is the outlet's own)."""
    handles = {h.lstrip("@").lower() for h in page.metas.get("twitter:site", [])}
    joined = bool(re.search(r"[a-z][A-Z]|[A-Z]{2}[a-z]", name)) or name.islower()
    return " " not in name and joined and name.lower() in handles


def outlet_candidates(page: PageMeta, with_title: bool = True) -> list[str]:
    """Names the page gives its publisher, best first: og:site_name, JSON-LD publisher.name,
    application-name and other publisher tags, then (`with_title`) the parts of the <title>
    after its first; a name that is the page's social handle goes last."""
    raw: list[str | None] = list(page.metas.get("og:site_name", []))
    for node in page.article_nodes() + page.nodes:
        raw += names_of(node.get("publisher"))
    for node in page.nodes:
        if node_types(node) & {"organization", "newsmediaorganization", "website"}:
            raw += names_of(node.get("name"))
    raw += [page.meta("application-name"), page.meta("publisher"), page.meta("dc.publisher")]
    if with_title:
        raw += title_suffixes(page.title)
    out: list[str] = []
    for name in raw:
        usable = usable_outlet(name)
        if usable and usable not in out:
            out.append(usable)
    return sorted(out, key=lambda n: _is_handle(n, page))


def choose_outlet(page: PageMeta, url: str | None, text: str) -> str | None:
    """The publisher's own name: the first candidate, unless it does not match the page's host
    while a later one does (a section's name in og:site_name, "Opinion Blog" on
    dallasnews.com); without candidates, the host's registered name written as the site
    writes it ("NJ.com", never "Nj")."""
    domain = registered_domain(url)
    candidates = outlet_candidates(page)
    if candidates:
        if domain and not matches_host(candidates[0], domain):
            for name in candidates[1:]:
                if matches_host(name, domain):
                    return name
        return candidates[0]
    if not domain:
        return None
    return site_casing(domain, text)


def site_casing(domain: str, text: str) -> str:
    """The domain as the page writes it most often with capitals ("NJ.com"), else as is."""
    spelled = Counter(
        m.group(0)
        for m in re.finditer(rf"(?<![\w.]){re.escape(domain)}(?![\w])", text, flags=re.I)
        if m.group(0) != m.group(0).lower()
    )
    return spelled.most_common(1)[0][0] if spelled else domain


def title_suffixes(title: str | None) -> list[str]:
    """The parts of a title after its first, last first ("... | Reuters" -> ["Reuters"])."""
    if not title:
        return []
    parts = [p.strip() for p in _SEPARATORS.split(title) if p.strip()]
    return parts[1:][::-1]


# Separators of a title's parts: " | Reuters", " - IGN", ": GQ".
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—»·•]\s+|\s*[|»·•]\s*|:\s+")


def strip_site_suffix(title: str, names: list[str], domain: str | None) -> str:
    """The title without trailing parts that name the outlet (" - IGN", " | Reuters",
    " | NJ.com"); a colon part goes only when it is exactly the outlet's name (": GQ")."""
    known = {_squash(n) for n in names if n} | ({_squash(domain)} if domain else set())
    while True:
        separators = list(_TITLE_SEPARATOR.finditer(title))
        if not separators or len(title[: separators[-1].start()].strip()) < 8:
            return title
        match = separators[-1]
        separator, suffix = match.group(0).strip(), title[match.end() :].strip()
        exact = _squash(suffix) in known
        if not exact and (separator == ":" or not matches_host(suffix, domain)):
            return title
        title = title[: match.start()].strip()


def choose_title(
    page: PageMeta, found: dict[str, Any], outlets: list[str], url: str | None
) -> str | None:
    """The headline: trafilatura's choice (og:title, <h1>, <title>), else JSON-LD headline,
    unescaped and without the site's suffix."""
    raw = found.get("title") or page.meta("og:title")
    if not raw:
        for node in page.article_nodes():
            if isinstance(node.get("headline"), str):
                raw = node["headline"]
                break
    raw = raw or page.title
    if not raw:
        return None
    title = " ".join(html.unescape(html.unescape(str(raw))).split())
    title = strip_site_suffix(title, outlets, registered_domain(url))
    shorter = [page.meta(k) for k in ("twitter:title", "dc.title", "dc:title", "title")]
    for heading in page.headings + [h for h in shorter if h]:
        # The headline alone, when the title is it plus a section or tagline after a
        # separator ("How To Pack ...: The GQ Eye: GQ on Style", "... » Local » Noticias").
        heading = " ".join(html.unescape(heading).split())
        rest = title[len(heading) :]
        if len(heading) >= 10 and title.startswith(heading) and _TITLE_SEPARATOR.match(rest):
            return heading
    return title or None

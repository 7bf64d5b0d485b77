"""Citation markers and the renderers of answers for people: one format, one place.

An answer cites its sources with markers ``[n]`` in its text, `n` being a Citation's number.
:func:`marker` writes one and :data:`MARKER` finds them; nothing else writes or parses them.

Renderers of an :class:`~qa.types.Answer`:

- :func:`answer_markdown`: the answer and its numbered sources as Markdown. The web chat (markers
  linked to the article view, sources left to the panel), the OpenAI-compatible reply's content
  and the export all use it.
- :func:`reply_markdown`: the answer as the web chat shows it (markers linked, a refusal set
  apart, the question searched); :func:`filters_markdown` and :func:`searched_markdown`: the
  lines saying which filters applied and which question was searched (chat and export).
- :func:`conversation_markdown`: a whole conversation, each question with its answer and
  sources (the chat's Markdown export).
- :func:`sources_html` and :func:`evidence_html`: the chat's sources panel (a card per citation,
  the quoted sentence highlighted) and its evidence view (the search, scores, refusal reasons);
  :func:`also_html`: the outlets that also ran a story (the cards and the article view).

Article text is inert everywhere: HTML is escaped and the punctuation of Markdown links, images,
emphasis and code is backslashed, so markup in an article shows as text and never runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from qa.types import Answer, Citation, Passage

# A citation marker: a number in square brackets (at most three digits: no year or price).
MARKER = re.compile(r"\[(\d{1,3})\]")
# The path of the article view (qa.serve.http_api serves it); links made here are relative to the
# chat.
ARTICLE_PATH = "article"
# What a refused answer is headed with wherever it is shown as text, so that it cannot be read
# as an answer.
REFUSED_LABEL = "**Not answered from the archive.**"


def marker(n: int) -> str:
    """The marker citing source `n` in an answer's text: ``[n]``."""
    return f"[{n}]"


def cited_numbers(text: str) -> list[int]:
    """The citation numbers of the markers in `text`, in order (repeats kept)."""
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """`text` without its citation markers (and without the space left before punctuation)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


def defuse_markers(text: str) -> str:
    """`text` whose bracketed numbers can no longer pass for markers: ``[3]`` becomes ``(3)``
    (passage text quoted to a language model)."""
    return MARKER.sub(r"(\1)", text)


# --- inert text -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]!|~#])")
_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")


def is_web_url(url: str | None) -> bool:
    """Whether `url` is an http(s) address: the only kind newsdesk makes a link of (never
    `javascript:` or `data:` from an article)."""
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def markdown_url(url: str | None) -> str | None:
    """A web URL safe inside a Markdown link's parentheses or angle brackets; None for anything
    but http(s)."""
    if not url or not is_web_url(url):
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%-._~")


def markdown_text(text: str, markers: bool = True) -> str:
    """`text` (from an article, or a person) made inert in Markdown: HTML characters escaped and
    the punctuation of links, images, emphasis, headings and code backslashed, so it renders as
    itself. Citation markers stay markers unless `markers` is False."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _ESCAPED_MARKER.sub(r"[\1]", escaped) if markers else escaped


def article_link(article_id: str, start: int | None = None, end: int | None = None) -> str:
    """The link of the article view, relative to the chat's page, the body's characters
    start..end highlighted. Any id works: it is one percent-encoded path segment."""
    query = f"?{urlencode({'start': start, 'end': end})}#hl" if start is not None else ""
    return f"{ARTICLE_PATH}/{quote(article_id, safe='')}{query}"


def citation_link(c: Citation) -> str:
    """The article view of a citation, its quoted sentence highlighted."""
    return article_link(c.passage.article_id, c.quote_start, c.quote_end)


def _date(p: Passage) -> str:
    return (p.published_at or "")[:10]


# --- Markdown ---------------------------------------------------------------------------------


def source_markdown(c: Citation) -> str:
    """One numbered source: title (linked to the article), outlet, date, byline, URL, the other
    outlets that ran it, and the quoted sentence."""
    p = c.passage
    url = markdown_url(p.url)
    title = markdown_text(p.title or "(untitled)", markers=False)
    lines = [f"**{marker(c.n)}** [{title}]({url})" if url else f"**{marker(c.n)}** {title}"]
    meta = [markdown_text(x, markers=False) for x in (p.source, _date(p), p.author) if x]
    if url:
        meta.append(f"<{url}>")
    if meta:
        lines.append(" · ".join(meta))
    if p.also:
        copies = []
        for a in p.also:
            name = markdown_text(str(a.get("source") or a.get("url") or ""), markers=False)
            link = markdown_url(a.get("url"))
            copies.append(f"[{name}]({link})" if link else name)
        lines.append(f"_Also published by: {', '.join(copies)}_")
    quoted = f"> {markdown_text(' '.join(c.quote.split()), markers=False)}"
    return "  \n".join(lines) + "\n" + quoted


def sources_markdown(citations: Sequence[Citation]) -> str:
    """The numbered sources of an answer, one block each."""
    return "\n\n".join(source_markdown(c) for c in citations)


def answer_markdown(
    answer: Answer, sources: bool = True, link: Callable[[Citation], str] | None = None
) -> str:
    """The answer as Markdown: its text (markers kept, or linked with `link`: a citation's URL,
    e.g. :func:`citation_link`), a refusal marked as one, and (`sources`) the numbered sources."""
    text = markdown_text(answer.text)
    if link is not None:
        by_n = {c.n: c for c in answer.citations}

        def linked(m: re.Match[str]) -> str:
            c = by_n.get(int(m.group(1)))
            return f"[\\[{m.group(1)}\\]]({link(c)})" if c else m.group(0)

        text = MARKER.sub(linked, text)
    if answer.refused:
        text = f"{REFUSED_LABEL} {text}"
    if sources and answer.citations:
        text += "\n\n**Sources**\n\n" + sources_markdown(answer.citations)
    return text


def filters_markdown(described: str) -> str:
    """The line saying which search filters applied (`SearchFilters.describe()`); "" for none."""
    return f"_Filters: {markdown_text(described, markers=False)}_" if described else ""


def searched_markdown(answer: Answer, question: str) -> str:
    """The line saying which question was searched, when a follow-up was made standalone
    (`answer.standalone_question` differs from `question`); "" otherwise."""
    searched = answer.standalone_question
    if not searched or searched.strip() == question.strip():
        return ""
    return f"_Searched for: {markdown_text(searched, markers=False)}_"


def reply_markdown(answer: Answer, question: str) -> str:
    """An answer as the chat shows it: the question searched (when a follow-up was rewritten),
    the text with each [n] linked to its article (the quoted sentence highlighted), and a
    refusal set apart so that it cannot be taken for an answer. The sources are in the panel."""
    text = answer_markdown(answer, sources=False, link=citation_link)
    if answer.refused:
        text = f"<div class='nd-refusal'>\n\n{text}\n\n</div>"
    searched = searched_markdown(answer, question)
    return f"{searched}\n\n{text}" if searched else text


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation: the question, the filters in force, and its Answer (or
    the error that stopped it)."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    filters: str = ""


def conversation_markdown(turns: Sequence[Turn], stamp: str = "") -> str:
    """The conversation as a Markdown document: each question as a heading, the filters and the
    question searched, the answer, and its numbered sources (title, outlet, date, URL, quote)."""
    out = ["# newsdesk conversation", ""]
    if stamp:
        out += [f"_Exported {stamp}._", ""]
    for i, turn in enumerate(turns, start=1):
        out += [f"## {i}. {markdown_text(' '.join(turn.question.split()), markers=False)}", ""]
        if turn.filters:
            out += [filters_markdown(turn.filters), ""]
        answer = turn.answer
        if answer is None:
            out += [f"_Error: {markdown_text(turn.error or 'no answer', markers=False)}_", ""]
            continue
        if searched := searched_markdown(answer, turn.question):
            out += [searched, ""]
        out += [answer_markdown(answer, sources=False), ""]
        if answer.citations:
            out += ["### Sources", "", sources_markdown(answer.citations), ""]
    return "\n".join(out).rstrip() + "\n"


# --- HTML -------------------------------------------------------------------------------------


def _escape(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _title_html(p: Passage) -> str:
    title = _escape(p.title or "(untitled)")
    if is_web_url(p.url):
        return f"<a href='{_escape(p.url)}' target='_blank' rel='noopener noreferrer'>{title}</a>"
    return title


def _meta_html(p: Passage) -> str:
    return " · ".join(_escape(x) for x in (p.source, _date(p), p.author) if x)


def also_html(also: list[dict[str, str | None]]) -> str:
    """The other outlets that ran a story (its wire copies: ``{"source", "url"}`` each), linked
    to their copies, as one line (class ``nd-meta nd-also``); "" when there are none. The
    sources panel's cards and the article view both show it."""
    if not also:
        return ""
    names = []
    for a in also:
        name = _escape(str(a.get("source") or a.get("url") or ""))
        url = a.get("url") or ""
        if is_web_url(url):
            name = f"<a href='{_escape(url)}' target='_blank' rel='noopener noreferrer'>{name}</a>"
        names.append(name)
    return f"<div class='nd-meta nd-also'>Also published by: {', '.join(names)}</div>"


def highlight_html(text: str, start: int, end: int, mark_id: str = "") -> str:
    """`text` escaped, characters start..end inside <mark> (nothing marked when out of range)."""
    if not 0 <= start < end <= len(text):
        return _escape(text)
    attr = f" id='{mark_id}'" if mark_id else ""
    return (
        _escape(text[:start])
        + f"<mark{attr}>{_escape(text[start:end])}</mark>"
        + _escape(text[end:])
    )


def _passage_html(c: Citation) -> str:
    p = c.passage
    at = c.quote_start - p.start
    if at >= 0 and p.text[at : at + len(c.quote)] == c.quote:
        return highlight_html(p.text, at, at + len(c.quote))
    at = p.text.find(c.quote) if c.quote else -1
    return highlight_html(p.text, at, at + len(c.quote)) if at >= 0 else _escape(p.text)


def source_card_html(c: Citation) -> str:
    """A card for one citation: number, title (linked to the original), outlet, date, byline,
    wire copies, the passage with the quoted sentence highlighted, and a link to the whole
    article with that sentence highlighted."""
    p = c.passage
    return (
        f"<div class='nd-source' id='source-{c.n}'>"
        f"<div class='nd-title'><b>{marker(c.n)}</b> {_title_html(p)}</div>"
        f"<div class='nd-meta'>{_meta_html(p)}</div>{also_html(p.also)}"
        f"<p>{_passage_html(c)}</p>"
        f"<a class='nd-open' href='{_escape(citation_link(c))}' target='_blank'>"
        "Read the whole article</a></div>"
    )


def closest_html(passages: Sequence[Passage]) -> str:
    """The articles closest to a refused question, each linked to its article view."""
    if not passages:
        return ""
    items = "".join(
        f"<li><a href='{_escape(article_link(p.article_id))}' target='_blank'>"
        f"{_escape(p.title or '(untitled)')}</a> <span class='nd-meta'>{_meta_html(p)}</span></li>"
        for p in passages
    )
    return f"<p><b>Closest coverage in the archive</b></p><ul class='nd-closest'>{items}</ul>"


def sources_html(answer: Answer | None, evidence: bool = True) -> str:
    """The sources panel: a card per citation, or for a refusal a note saying nothing was cited
    (with the closest coverage when the answer names it); below, the evidence view."""
    if answer is None:
        return "<p class='nd-empty'>Sources of the latest answer appear here.</p>"
    if answer.refused:
        body = (
            "<div class='nd-refused-panel'><p><b>Not in the archive.</b> Nothing is cited: "
            "newsdesk found no passage that answers this question.</p>"
            f"{closest_html(answer.closest)}</div>"
        )
    elif not answer.citations:
        body = "<p class='nd-empty'>No sources cited.</p>"
    else:
        n = len(answer.citations)
        head = f"<p class='nd-count'>{n} source{'s' if n != 1 else ''} cited</p>"
        body = head + "\n".join(source_card_html(c) for c in answer.citations)
    return body + (evidence_html(answer) if evidence else "")


def evidence_html(answer: Answer) -> str:
    """The evidence view (collapsed): the question searched, why it was refused, what the checks
    changed, and every retrieved passage with its score, best first."""
    items = []
    if answer.standalone_question:
        items.append(f"<p><b>Searched for:</b> {_escape(answer.standalone_question)}</p>")
    if answer.refused and answer.reason:
        items.append(f"<p><b>Refused because:</b> {_escape(answer.reason)}</p>")
    for note in answer.notes:
        items.append(f"<p><b>Check:</b> {_escape(note)}</p>")
    rows = []
    for p in answer.passages:
        meta = " · ".join(_escape(x) for x in (p.source, _date(p)) if x)
        snippet = p.text[:240] + ("…" if len(p.text) > 240 else "")
        rows.append(
            f"<li><b>{p.score:.3f}</b> {_escape(p.title)} <span class='nd-meta'>{meta}</span>"
            f"<div class='nd-meta'>{_escape(snippet)}</div></li>"
        )
    if rows:
        n = len(rows)
        items.append(
            f"<p><b>Retrieved passages</b> ({n} passage{'s' if n != 1 else ''}; score, best "
            f"first):</p><ol>{''.join(rows)}</ol>"
        )
    body = "".join(items) or "<p class='nd-empty'>No evidence.</p>"
    return f"<details class='nd-evidence'><summary>Evidence</summary>{body}</details>"

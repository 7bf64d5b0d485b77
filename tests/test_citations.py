"""qa.answers.citations: the marker format, and the Markdown and HTML renderers of answers."""

from __future__ import annotations

import re

from qa.answers.citations import (
    MARKER,
    REFUSED_LABEL,
    Turn,
    answer_markdown,
    article_link,
    citation_link,
    cited_numbers,
    conversation_markdown,
    defuse_markers,
    filters_markdown,
    markdown_text,
    marker,
    reply_markdown,
    searched_markdown,
    sources_html,
    strip_markers,
)
from qa.types import Answer, Citation, Passage

URL = "https://news.test/2023/10/05/harbour?ref=rss&x=1"
BODY = "The council met on Monday. It approved the harbour budget of 12 million euros. More later."


def _passage(text: str = BODY, title: str = "Harbour budget approved", **kw: object) -> Passage:
    fields: dict[str, object] = {
        "id": "p1",
        "text": text,
        "article_id": URL,
        "title": title,
        "source": "Valley Gazette",
        "author": "Ann Reporter",
        "published_at": "2023-10-05T09:00:00+00:00",
        "url": URL,
        "start": 100,
        "end": 100 + len(text),
    }
    fields.update(kw)
    return Passage(**fields)  # type: ignore[arg-type]


def _answer(text: str = "It approved 12 million euros [1].", **kw: object) -> Answer:
    p = _passage()
    at = BODY.index("It approved")
    quote = "It approved the harbour budget of 12 million euros."
    citation = Citation(1, p, quote, p.start + at, p.start + at + len(quote))
    return Answer("What did the council approve?", text, [citation], False, passages=[p], **kw)  # type: ignore[arg-type]


def test_the_marker_is_written_and_found_in_one_place() -> None:
    assert marker(3) == "[3]"
    assert cited_numbers("A [1] and B [2][1], not [2023] nor [a].") == [1, 2, 1]
    assert strip_markers("It rained [1] . Then [2]it stopped [3].") == "It rained. Then it stopped."
    assert defuse_markers("see [4] and [2024]") == "see (4) and [2024]"
    assert MARKER.fullmatch(marker(12))


def test_markdown_text_is_inert_but_keeps_markers() -> None:
    hostile = "See ![x](https://t.example/p.png) and [me](javascript:alert(1)) <img src=x> # h [2]"
    text = markdown_text(hostile)
    assert "<img" not in text and "&lt;img src=x&gt;" in text
    assert "\\!\\[x\\](https" in text and "\\[me\\](javascript" in text
    assert "\\# h" in text and text.endswith("[2]")
    assert markdown_text("[2]", markers=False) == "\\[2\\]"


def test_article_links_take_any_id() -> None:
    link = article_link(URL, 5, 9)
    assert link.startswith("article/https%3A%2F%2Fnews.test%2F2023%2F10%2F05%2Fharbour%3Fref%3Drss")
    assert "/" not in link.split("?")[0].removeprefix("article/")  # one path segment
    assert link.endswith("?start=5&end=9#hl")
    assert article_link("abc") == "article/abc"


def test_answer_markdown_for_chat_export_and_api() -> None:
    answer = _answer()
    full = answer_markdown(answer)
    head, sources = full.split("\n\n**Sources**\n\n")
    assert head == "It approved 12 million euros [1]."
    assert sources.startswith(f"**[1]** [Harbour budget approved]({URL})  \n")
    assert f"Valley Gazette · 2023-10-05 · Ann Reporter · <{URL}>" in sources
    assert sources.endswith("> It approved the harbour budget of 12 million euros.")
    chat = answer_markdown(answer, sources=False, link=citation_link)
    assert chat == f"It approved 12 million euros [\\[1\\]]({citation_link(answer.citations[0])})."
    refused = Answer("q", "No article in the archive says so.", [], True, reason="score 0.1")
    assert answer_markdown(refused) == f"{REFUSED_LABEL} No article in the archive says so."


def test_the_chat_reply_links_markers_sets_refusals_apart_and_says_what_was_searched() -> None:
    answer = _answer()
    link = citation_link(answer.citations[0])
    assert reply_markdown(answer, "What did the council approve?") == (
        f"It approved 12 million euros [\\[1\\]]({link})."
    )
    follow_up = _answer(standalone_question="What was the cost, about the council?")
    searched = "_Searched for: What was the cost, about the council?_"
    assert searched_markdown(follow_up, "and the cost?") == searched
    assert searched_markdown(follow_up, " What was the cost, about the council? ") == ""
    assert reply_markdown(follow_up, "and the cost?").startswith(f"{searched}\n\nIt approved")
    refused = Answer("q", "No article says so [1].", [], True)
    assert reply_markdown(refused, "q") == (
        f"<div class='nd-refusal'>\n\n{REFUSED_LABEL} No article says so [1].\n\n</div>"
    )
    # The filters line is the chat's and the export's alike; an outlet's markup stays text.
    assert filters_markdown("") == ""
    assert filters_markdown("outlets: *Star* [1]") == "_Filters: outlets: \\*Star\\* \\[1\\]_"


def test_the_conversation_exports_as_clean_markdown() -> None:
    turns = [
        Turn("What did the council approve?", _answer(), filters="outlets: Valley Gazette"),
        Turn(
            "and the cost?",
            _answer(standalone_question="What was the cost, about the council?"),
        ),
        Turn("What did they eat?", Answer("What did they eat?", "Nothing says.", [], True)),
        Turn("Anything?", None, error="The index at x holds no articles yet"),
    ]
    text = conversation_markdown(turns, stamp="2026-12-03 10:00 UTC")
    assert text.startswith("# newsdesk conversation\n\n_Exported 2026-12-03 10:00 UTC._\n")
    assert "{'text'" not in text and "\\n" not in text  # no Python reprs, no literal escapes
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert [s.splitlines()[0] for s in sections] == [
        "1. What did the council approve?",
        "2. and the cost?",
        "3. What did they eat?",
        "4. Anything?",
    ]
    assert "_Filters: outlets: Valley Gazette_" in sections[0]
    assert "### Sources" in sections[0] and f"<{URL}>" in sections[0]
    assert "> It approved the harbour budget of 12 million euros." in sections[0]
    assert "_Searched for: What was the cost, about the council?_" in sections[1]
    assert REFUSED_LABEL in sections[2] and "### Sources" not in sections[2]
    assert "_Error: The index at x holds no articles yet_" in sections[3]


def test_the_sources_panel_escapes_and_highlights() -> None:
    assert "Sources of the latest answer" in sources_html(None)
    text = "Officials said <script>alert(1)</script> was found."
    p = _passage(text, title="<b>Title</b>", start=0, end=len(text))
    panel = sources_html(
        Answer("q", "x [1]", [Citation(1, p, text, 0, len(text))], False, passages=[p])
    )
    assert "Retrieved passages</b> (1 passage;" in panel
    assert "<script>" not in panel and "&lt;script&gt;" in panel
    assert "&lt;b&gt;Title&lt;/b&gt;" in panel and "<mark>" in panel
    assert "1 source cited" in panel
    card = sources_html(_answer(), evidence=False)
    assert "<mark>It approved the harbour budget of 12 million euros.</mark>" in card
    assert "href='article/https%3A%2F%2Fnews.test" in card and "#hl'" in card


def test_a_refusal_panel_says_nothing_was_cited_and_keeps_reasons_in_evidence() -> None:
    near = _passage()
    refused = Answer(
        "What did they eat?",
        "No article in the archive says what they ate.",
        [],
        True,
        passages=[near],
        reason="No retrieved sentence states it (best evidence score 0.21, below 0.30).",
        closest=[near],
    )
    panel = sources_html(refused)
    before, evidence = panel.split("<details class='nd-evidence'>")
    assert "Not in the archive." in before and "0.21" not in before
    assert "Closest coverage in the archive" in before and "Harbour budget approved" in before
    assert "<b>Refused because:</b> No retrieved sentence states it (best evidence score 0.21" in (
        evidence
    )
    assert refused.to_dict()["closest"][0]["url"] == URL

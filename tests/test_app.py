"""The web chat's handlers: a turn, refusals, filters, the export, the archive tab, examples.
(The page in a real browser, on a launched server: tests/test_web_browser.py.)"""

from __future__ import annotations

import itertools
from pathlib import Path

from app import create_app
from conftest import ARCHIVE
from qa import Assistant
from qa.serve.chat import answer_turn


def test_turn_answers_with_numbered_sources(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    box, history, panel, turns = answer_turn(
        fake_assistant, "How many tonnes of apples did orchard growers pick?", []
    )
    assert box == ""
    assert history[0] == {
        "role": "user",
        "content": "How many tonnes of apples did orchard growers pick?",
    }
    reply = history[1]["content"]
    assert history[1]["role"] == "assistant"
    assert "41,000 tonnes" in reply
    # Each [n] links to the article view, the quoted sentence highlighted; the sources are in
    # the panel (once), not repeated in the conversation.
    link = "article/https%3A%2F%2Fvalley-gazette.example%2Fapple-harvest?start="
    assert f"[\\[1\\]]({link}" in reply and "#hl)" in reply
    assert "**Sources**" not in reply
    assert "<mark>" in panel and "Valley Gazette · 2023-10-02 · Priya Natarajan" in panel
    assert "href='https://valley-gazette.example/apple-harvest'" in panel
    assert [t.question for t in turns] == ["How many tonnes of apples did orchard growers pick?"]
    assert turns[0].answer is not None and turns[0].answer.citations


def test_turn_shows_errors_readably(tmp_path: Path) -> None:
    empty = Assistant.open(tmp_path, embedder="fake")
    _, history, _, turns = answer_turn(empty, "Anything?", [])
    assert history[-1]["content"].startswith("⚠️ The index at")
    assert "newsdesk ingest" in history[-1]["content"]
    assert turns[0].answer is None and turns[0].error is not None


def test_blank_message_changes_nothing(fake_assistant: Assistant) -> None:
    assert answer_turn(fake_assistant, "  ", [])[1] == []


def test_create_app_builds_blocks(fake_assistant: Assistant) -> None:
    import gradio as gr

    demo = create_app(fake_assistant)
    assert isinstance(demo, gr.Blocks)


def test_a_refusal_is_set_apart_and_its_reasons_kept_for_the_evidence(
    fake_assistant: Assistant,
) -> None:
    fake_assistant.ingest([ARCHIVE])
    _, history, panel, _ = answer_turn(
        fake_assistant, "What did a Bloomberg article say about Kingsport?", []
    )
    reply = history[-1]["content"]
    assert reply.startswith("<div class='nd-refusal'>\n\n**Not answered from the archive.**")
    assert "Not in the archive." in panel and "nd-source" not in panel
    assert "<b>Refused because:</b> The archive holds no articles from Bloomberg." in panel


def test_sources_say_where_else_a_wire_story_ran(fake_assistant: Assistant, tmp_path: Path) -> None:
    import json

    body = "The regional council approved a new ferry timetable with twelve daily sailings to the islands from April, officials said on Thursday after a long debate."
    src = tmp_path / "wire.json"
    src.write_text(
        json.dumps(
            [
                {
                    "title": "Ferry timetable approved",
                    "source": "Alpha Daily",
                    "url": "https://a.example/ferry",
                    "body": body,
                },
                {
                    "title": "Ferry timetable approved",
                    "source": "Beta Post",
                    "url": "https://b.example/ferry",
                    "body": body,
                },
            ]
        )
    )
    fake_assistant.ingest([src])
    _, history, panel, _ = answer_turn(
        fake_assistant, "How many daily sailings will the new ferry timetable have?", []
    )
    reply = history[-1]["content"]
    assert "[\\[1\\]](article/" in reply and "twelve daily sailings" in reply
    also = (
        "<div class='nd-meta nd-also'>Also published by: <a href='https://b.example/ferry' "
        "target='_blank' rel='noopener noreferrer'>Beta Post</a></div>"
    )
    assert also in panel
    # The article view says it in the same words and links (qa.answers.citations.also_html).
    from qa.serve.http_api import article_page

    article = fake_assistant.article("https://a.example/ferry")
    assert article.source == "Alpha Daily" and also in article_page(article)


def test_turn_applies_outlet_and_date_filters(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    question = "What did Kingsport city council vote to build?"
    # An outlet typed in lower case is matched; the filters in force are said above the answer,
    # with the outlet as the archive spells it.
    _, history, _, _ = answer_turn(fake_assistant, question, [], ["valley gazette"])
    assert history[-1]["content"].startswith("_Filters: outlets: Valley Gazette_")
    assert "Kingsport Courier" not in history[-1]["content"]
    _, history, _, _ = answer_turn(fake_assistant, question, [], None, "2023-11-01", "2023-11-30")
    reply = history[-1]["content"]
    assert reply.startswith("_Filters: published 2023-11-01 to 2023-11-30_")
    assert "library" in reply
    _, _, panel, _ = answer_turn(fake_assistant, question, [], None, "2023-11-01", "2023-11-30")
    assert "Kingsport Courier" in panel
    # "As of" a date before the Courier's story: the archive as it stood then has no answer.
    _, history, _, _ = answer_turn(fake_assistant, question, [], None, "", "", "2023-10-05")
    reply = history[-1]["content"]
    assert reply.startswith("_Filters: as of 2023-10-05_")
    assert "Kingsport Courier" not in reply
    # A bad date is named by its field; an unknown outlet by the closest the archive holds.
    _, history, _, _ = answer_turn(fake_assistant, question, [], None, "not a date")
    assert history[-1]["content"].startswith(
        "⚠️ **Published since:** Not an ISO-8601 date: 'not a date'"
    )
    _, history, _, _ = answer_turn(fake_assistant, question, [], ["Valley Gazete"])
    reply = history[-1]["content"]
    assert reply.startswith("⚠️ **Outlets:** The archive holds no articles from an outlet named")
    assert "did you mean Valley Gazette?" in reply


def test_a_date_field_is_flagged_when_left_with_a_bad_date() -> None:
    from app import check_field

    bad = check_field("since", "last tuesday")
    assert bad["elem_classes"] == ["nd-bad"]
    # As the chat shows errors (qa.serve.errors), without naming the field it stands under.
    assert bad["info"] == (
        "⚠️ Not an ISO-8601 date: 'last tuesday'\n\n"
        "_write dates like 2023-10-31 or 2023-10-31T12:00_"
    )
    good = check_field("as_of", "2023-10-05")
    assert good["elem_classes"] == [] and good["info"].startswith("Read the archive")


def test_a_follow_up_in_the_chat_is_made_standalone(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    _, history, _, turns = answer_turn(
        fake_assistant, "What did Kingsport city council vote to build?", []
    )
    _, history, _, turns = answer_turn(
        fake_assistant, "and how much will it cost?", history, turns=turns
    )
    reply = history[-1]["content"]
    assert reply.startswith("_Searched for: How much will it cost, about Kingsport?_")
    assert len(turns) == 2


def test_the_evidence_view_shows_the_search_and_scores(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    _, history, panel, _ = answer_turn(
        fake_assistant, "What did Kingsport city council vote to build?", []
    )
    _, history, panel, _ = answer_turn(fake_assistant, "and how much will it cost?", history)
    assert "<summary>Evidence</summary>" in panel
    assert "<b>Searched for:</b> How much will it cost, about Kingsport?" in panel
    assert "Retrieved passages</b> (" in panel and "<ol><li><b>" in panel


def test_the_conversation_exports_as_markdown_with_its_sources(fake_assistant: Assistant) -> None:
    from qa.serve.chat import export_markdown

    assert export_markdown([]) is None
    fake_assistant.ingest([ARCHIVE])
    first = "How many tonnes of apples did orchard growers pick?"
    _, history, _, turns = answer_turn(fake_assistant, first, [])
    second = "What did Kingsport city council vote to build?"
    _, history, _, turns = answer_turn(fake_assistant, second, history, turns=turns)
    path = export_markdown(turns)
    assert path is not None and Path(path).name.startswith("newsdesk-conversation-")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("# newsdesk conversation\n")
    assert f"## 1. {first}\n" in text and f"## 2. {second}\n" in text
    assert "41,000 tonnes" in text and text.count("### Sources") == 2
    assert "<https://valley-gazette.example/apple-harvest>" in text
    assert "{'text'" not in text and "\\n" not in text


def test_the_archive_tab_counts_lists_and_charts(fake_assistant: Assistant) -> None:
    from qa.browse import ArchiveList
    from qa.serve.archive import archive_summary, article_table, outlet_table

    fake_assistant.ingest([ARCHIVE])
    stats = fake_assistant.stats()
    months = fake_assistant.coverage()
    assert sum(m["articles"] for m in months) <= stats["articles"]
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    assert {"2023-10", "2023-11"} <= {m["month"] for m in months}
    listing = ArchiveList(fake_assistant)
    text, chart = archive_summary(fake_assistant, listing)
    assert f"**{stats['articles']} articles**" in text and "published 20" in text
    # The bridge story has no date: counted and said, not silently left out of the chart.
    assert "**1 article without a date** (is not in the chart)" in text
    assert list(chart.columns) == ["month", "articles"] and chart["articles"].sum() == 3
    found, table = article_table(listing)
    assert found.startswith("4 articles in the archive")
    assert list(table["Outlet"]) == [
        "Kingsport Courier",
        "Coastal Wire",
        "Valley Gazette",
        "",
    ]  # newest first, undated last
    assert table["Published"].iloc[-1] == "undated"
    assert table["Title"].iloc[0] == (
        "[Council approves new library in Eastfield]"
        "(article/https%3A%2F%2Fcourier.example%2Feastfield-library)"
    )
    found, table = article_table(listing, "VALLEY apple")
    assert found.startswith("1 article matching") and list(table["Outlet"]) == ["Valley Gazette"]
    outlets = outlet_table(listing)
    assert set(outlets["Outlet"]) == {
        "Kingsport Courier",
        "Coastal Wire",
        "Valley Gazette",
        "(no outlet)",
    }
    assert outlets["Articles"].sum() == 4


def test_the_chat_streams_an_llm_answer_then_shows_the_checked_one(tmp_path: Path) -> None:
    from qa.serve.chat import answer_turn_stream
    from tests.scripted_llm import ScriptedLLM

    llm = ScriptedLLM()
    try:
        assistant = Assistant.open(
            tmp_path / "index",
            embedder="fake",
            answerer="openai",
            llm_base_url=llm.url,
            llm_model="scripted",
        )
        assistant.ingest([ARCHIVE])
        llm.replies = [{"content": "Growers picked 41,000 tonnes of apples this season [1]."}]
        question = "How many tonnes of apples did orchard growers pick?"
        states = [h[-1]["content"] for _, h, _, _ in answer_turn_stream(assistant, question, [])]
    finally:
        llm.close()
    assert states[0] == "_Searching the archive…_"
    partial = [s for s in states[1:-1] if s.endswith(" ▌")]
    assert len(partial) >= 2  # the words arrive as the model writes them
    assert all(len(a) < len(b) for a, b in itertools.pairwise(partial))
    assert states[-1].startswith("Growers picked 41,000 tonnes of apples this season")
    assert "[\\[1\\]](article/" in states[-1] and not states[-1].endswith(" ▌")


def test_example_questions_ask_about_events_the_archive_answers(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    import json

    from qa.serve.examples import example_questions

    assert example_questions(fake_assistant) == []  # an empty archive offers none
    stories = [
        (
            "Jake Sullivan held talks with Putin aides",
            "Jake Sullivan held talks with Yuri Ushakov, a foreign policy advisor to Vladimir Putin, officials said on Sunday.",
        ),
        (
            "Why the Apple Watch is being banned",
            "The Apple Watch is being banned from import after a patent ruling by the trade commission on Tuesday.",
        ),
        (
            "Council approves new library",
            "The council approved a new library for the east of the town at its meeting on Monday evening.",
        ),
    ]
    src = tmp_path / "stories.json"
    src.write_text(
        json.dumps(
            [
                {
                    "title": t,
                    "body": b,
                    "source": "Daily Planet",
                    "url": f"https://planet.example/{i}",
                    "published_at": f"2023-10-0{i + 1}",
                }
                for i, (t, b) in enumerate(stories)
            ]
        )
    )
    fake_assistant.ingest([src])
    questions = example_questions(fake_assistant)
    # About what happened to whom a headline names; never "What did <outlet> report in “...”?"
    assert {"What happened with the Apple Watch?", "What did Jake Sullivan do?"} <= set(questions)
    assert len(questions) <= 3
    for question in questions:
        assert "“" not in question and "Daily Planet" not in question
        assert not fake_assistant.ask(question).refused
    fake_assistant.settings.example_questions = ["Who won?"]
    assert example_questions(fake_assistant) == ["Who won?"]

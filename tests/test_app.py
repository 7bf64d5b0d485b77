"""The web chat: the turn handler, the Blocks, a launched server over HTTP, and a real browser."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import answer_turn, create_app, format_sources_html
from conftest import ARCHIVE, ROOT, UNANSWERABLE, free_port, wait_for_http
from qa import Assistant


def test_turn_answers_with_numbered_sources(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    box, history, panel = answer_turn(
        fake_assistant, "How many tonnes of apples did orchard growers pick?", []
    )
    assert box == ""
    assert history[0] == {
        "role": "user",
        "content": "How many tonnes of apples did orchard growers pick?",
    }
    reply = history[1]["content"]
    assert history[1]["role"] == "assistant"
    assert "41,000 tonnes" in reply and "[1]" in reply
    # Sources: title linked to the URL, outlet, date, and the cited passage.
    assert (
        "**[1]** [Orchard growers report record apple harvest](https://valley-gazette.example/apple-harvest)"
        in reply
    )
    assert "Valley Gazette · 2023-10-02" in reply
    assert "<mark>" in panel and "Valley Gazette" in panel


def test_turn_shows_errors_readably(tmp_path: Path) -> None:
    empty = Assistant.open(tmp_path, embedder="fake")
    _, history, _ = answer_turn(empty, "Anything?", [])
    assert history[-1]["content"].startswith("⚠️ The index at")
    assert "newsdesk ingest" in history[-1]["content"]


def test_blank_message_changes_nothing(fake_assistant: Assistant) -> None:
    assert answer_turn(fake_assistant, "  ", [])[1] == []


def test_sources_panel_escapes_html() -> None:
    from qa.types import Answer, Citation, Passage

    assert "Sources of the latest answer" in format_sources_html(None)
    text = "Officials said <script>alert(1)</script> was found."
    p = Passage(
        "p", text, "a", "<b>Title</b>", "Outlet", None, None, "https://x.example/a", 0, len(text)
    )
    panel = format_sources_html(
        Answer("q", "x [1]", [Citation(1, p, text, 0, len(text))], False, passages=[p])
    )
    assert "Retrieved passages" in panel  # the evidence view lists the passage too, escaped
    assert "<script>" not in panel and "&lt;script&gt;" in panel
    assert "&lt;b&gt;Title&lt;/b&gt;" in panel and "<mark>" in panel
    # The chat bubble's Markdown too: no live HTML, no links or images made from article text.
    from app import format_sources_markdown

    q = "See ![x](https://t.example/p.png) and [me](javascript:alert(1)) <img src=x>."
    bubble = format_sources_markdown(
        Answer("q", "x [1]", [Citation(1, p, q, 0, len(q))], False, passages=[p])
    )
    assert "<img" not in bubble and "&lt;img src=x&gt;" in bubble
    assert "\\!\\[x\\](https" in bubble and "\\[me\\](javascript" in bubble  # inert
    assert "[&lt;b&gt;Title&lt;/b&gt;](https://x.example/a)" in bubble


def test_create_app_builds_blocks(fake_assistant: Assistant) -> None:
    import gradio as gr

    demo = create_app(fake_assistant)
    assert isinstance(demo, gr.Blocks)


@pytest.fixture(scope="module")
def server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python app.py` serving a copy of the real sample index on a free local port (a copy:
    the browser test uploads to it)."""
    index = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(sample_index, index)
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--index", str(index), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, timeout=180)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_launched_server_answers_over_http(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    _box, history, panel = client.predict(
        "Who did Sullivan reportedly speak with?", [], [], "", "", "", api_name="/ask"
    )
    text = str(history[-1]["content"])
    assert "Yuri Ushakov" in text and "Nikolai Patrushev" in text and "[1]" in text
    assert "Report: Jake Sullivan Has Held Undisclosed Talks With Putin Aides" in text
    assert "<mark>" in panel
    _, history, _ = client.predict(UNANSWERABLE, [], [], "", "", "", api_name="/ask")
    assert "does not answer" in str(history[-1]["content"])


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = (
    "---\ntitle: Council <script>window.pwned = 1</script> minutes\nsource: Hostile Herald\n"
    "published_at: 2023-10-09\n---\n"
    "The council approved the <b>harbour</b> budget of 12 million euros on Monday. "
    "<script>window.pwned = 1; alert('x')</script> <img src=x onerror=\"window.pwned=2\"> "
    "[Click](javascript:window.pwned=3) Councillors said the ferry terminal would be rebuilt.\n"
)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (make test installs it)"
)
def test_browser_asks_filters_uploads_and_opens_the_article(server: str, tmp_path: Path) -> None:
    """The whole web chat in a real browser: example questions, a cited answer with its source
    card, the article view with the quote highlighted, an upload with hostile markup, and an
    outlet filter; nothing from an article runs. Screenshots go to test-artifacts/."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    hostile = tmp_path / "hostile-minutes.md"
    hostile.write_text(HOSTILE)
    with sync_playwright() as pw:
        # Playwright gives every launch a fresh, empty profile of its own.
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server)
            # The empty chat offers a question about the archive's newest article.
            page.locator("#chat").get_by_text("What happened in “Report: Jake Sullivan").wait_for(
                timeout=60_000
            )
            page.screenshot(path=str(ARTIFACTS / "1-empty-chat.png"), full_page=True)

            page.locator("#question textarea").fill("Who did Sullivan reportedly speak with?")
            page.locator("#ask").click()
            card = page.locator("#sources .nd-source").first
            card.wait_for(timeout=60_000)
            chat = page.locator("#chat").inner_text()
            assert "Yuri Ushakov" in chat and "Nikolai Patrushev" in chat and "[1]" in chat
            assert "Report: Jake Sullivan Has Held Undisclosed Talks With Putin Aides" in chat
            assert "Dave DeCamp" in card.inner_text()
            quote = card.locator("mark").inner_text()
            assert "Yuri Ushakov" in quote
            page.screenshot(path=str(ARTIFACTS / "2-answer-and-source.png"), full_page=True)

            # A click on the card opens the whole article, the cited span highlighted.
            with context.expect_page() as opened:
                card.locator(".nd-open").click()
            article = opened.value
            article.wait_for_load_state()
            assert article.locator("mark#hl").inner_text() == quote
            assert (
                "The talks were said to be aimed" in article.locator("#article-body").inner_text()
            )
            article.screenshot(path=str(ARTIFACTS / "3-article-view.png"), full_page=True)
            article.close()

            # Upload an article full of markup in the archive tab.
            page.get_by_role("tab", name="Archive").click()
            page.locator("#upload input[type=file]").set_input_files(str(hostile))
            page.locator("#upload").get_by_text("hostile-minutes.md").first.wait_for()
            page.locator("#ingest").click()
            report = page.locator("#ingest-report")
            report.get_by_text("1 added").wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "4-upload.png"), full_page=True)

            # Filter to the new outlet: the filter shows in the conversation, the answer cites
            # only that outlet, and the article's markup shows as text.
            page.get_by_role("tab", name="Chat").click()
            page.locator("#outlets input").click()
            page.get_by_role("option", name="Hostile Herald").click()
            page.keyboard.press("Escape")
            page.locator("#question textarea").fill(
                "What budget did the council approve for the harbour?"
            )
            page.locator("#ask").click()
            card = page.locator("#sources .nd-source").first
            card.get_by_text("12 million euros").wait_for(timeout=60_000)
            chat = page.locator("#chat").inner_text()
            assert "Filters: outlets: Hostile Herald" in chat
            assert "Hostile Herald, 2023-10-09" in chat
            sources = card.inner_text()
            assert "<script>window.pwned = 1</script>" in sources  # shown as text
            assert "<b>harbour</b>" in sources
            assert "Sullivan" not in page.locator("#sources").inner_text()
            assert page.evaluate("window.pwned") is None and dialogs == []
            assert page.locator("#chat img[src='x'], #sources img[src='x']").count() == 0
            page.screenshot(path=str(ARTIFACTS / "5-outlet-filter.png"), full_page=True)
        finally:
            browser.close()


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
    _, history, _ = answer_turn(
        fake_assistant, "How many daily sailings will the new ferry timetable have?", []
    )
    reply = history[-1]["content"]
    assert "[1]" in reply and "twelve daily sailings" in reply
    assert "_Also published by: [Beta Post](https://b.example/ferry)_" in reply


def test_turn_applies_outlet_and_date_filters(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    question = "What did Kingsport city council vote to build?"
    _, history, _ = answer_turn(fake_assistant, question, [], ["Valley Gazette"])
    # The filters in force are said in the conversation, above the answer.
    assert history[-1]["content"].startswith("_Filters: outlets: Valley Gazette_")
    assert "Kingsport Courier" not in history[-1]["content"]
    _, history, _ = answer_turn(fake_assistant, question, [], None, "2023-11-01", "2023-11-30")
    reply = history[-1]["content"]
    assert reply.startswith("_Filters: published 2023-11-01 to 2023-11-30_")
    assert "library" in reply and "Kingsport Courier" in reply
    # "As of" a date before the Courier's story: the archive as it stood then has no answer.
    _, history, _ = answer_turn(fake_assistant, question, [], None, "", "", "2023-10-05")
    reply = history[-1]["content"]
    assert reply.startswith("_Filters: as of 2023-10-05_")
    assert "Kingsport Courier" not in reply
    _, history, _ = answer_turn(fake_assistant, question, [], None, "not a date")
    assert "\n\n⚠️ Not an ISO-8601 date: 'not a date'" in history[-1]["content"]


def test_a_follow_up_in_the_chat_is_made_standalone(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    _, history, _ = answer_turn(
        fake_assistant, "What did Kingsport city council vote to build?", []
    )
    _, history, _ = answer_turn(fake_assistant, "and how much will it cost?", history)
    reply = history[-1]["content"]
    assert reply.startswith("_Searched for: How much will it cost, about Kingsport?_")


def test_the_evidence_view_shows_the_search_refusals_and_scores(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    _, history, panel = answer_turn(
        fake_assistant, "What did Kingsport city council vote to build?", []
    )
    _, history, panel = answer_turn(fake_assistant, "and how much will it cost?", history)
    assert "<summary>Evidence</summary>" in panel
    assert "<b>Searched for:</b> How much will it cost, about Kingsport?" in panel
    assert "Retrieved passages" in panel and "<ol><li><b>" in panel
    _, _, refused = answer_turn(
        fake_assistant, "What did a Bloomberg article say about Kingsport?", []
    )
    assert "No sources cited." in refused
    assert "<b>Refused because:</b> The archive holds no articles from Bloomberg." in refused


def test_an_answer_exports_as_markdown_with_its_sources(fake_assistant: Assistant) -> None:
    from app import export_markdown

    assert export_markdown([]) is None
    fake_assistant.ingest([ARCHIVE])
    question = "How many tonnes of apples did orchard growers pick?"
    _, history, _ = answer_turn(fake_assistant, question, [])
    path = export_markdown(history)
    assert path is not None and path.endswith(".md")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith(f"# {question}\n")
    assert "41,000 tonnes" in text and "**Sources**" in text
    assert "(https://valley-gazette.example/apple-harvest)" in text


def test_the_archive_tab_counts_articles_per_month(fake_assistant: Assistant) -> None:
    from app import archive_summary

    fake_assistant.ingest([ARCHIVE])
    stats = fake_assistant.stats()
    months = fake_assistant.coverage()
    assert sum(m["articles"] for m in months) <= stats["articles"]
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    assert {"2023-10", "2023-11"} <= {m["month"] for m in months}
    text, table = archive_summary(fake_assistant)
    assert f"**{stats['articles']:,}** articles" in text and "published 20" in text
    assert list(table.columns) == ["month", "articles"] and len(table) == len(months)


def test_the_chat_streams_an_llm_answer_then_shows_the_checked_one(tmp_path: Path) -> None:
    from app import answer_turn_stream
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
        states = [h[-1]["content"] for _, h, _ in answer_turn_stream(assistant, question, [])]
    finally:
        llm.close()
    assert states[0] == "_Searching the archive…_"
    partial = [s for s in states[1:-1] if s.endswith(" ▌")]
    assert len(partial) >= 2  # the words arrive as the model writes them
    assert all(len(a) < len(b) for a, b in itertools.pairwise(partial))
    assert states[-1].startswith("Growers picked 41,000 tonnes of apples this season")
    assert "[1]" in states[-1].split("**Sources**")[0]
    assert "**Sources**" in states[-1] and not states[-1].endswith(" ▌")


def test_example_questions_come_from_the_newest_articles(fake_assistant: Assistant) -> None:
    from app import example_questions

    assert example_questions(fake_assistant) == []  # an empty archive offers none
    fake_assistant.ingest([ARCHIVE])
    questions = example_questions(fake_assistant)
    assert len(questions) == 3
    assert questions[0] == (
        "What did Kingsport Courier report in “Council approves new library in Eastfield”?"
    )
    fake_assistant.settings.example_questions = ["Who won?"]
    assert example_questions(fake_assistant) == ["Who won?"]

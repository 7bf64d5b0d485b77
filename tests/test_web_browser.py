"""The web chat used for real: `newsdesk serve` on an index (the real model) of the sample
plus real MultiHop-RAG articles whose ids are URLs, driven in Debian's headless Chromium.

Every link, export and panel is exercised as a reporter would: ask, open a source's article,
filter by an outlet typed in lower case, see a refusal, export and read the file, clear, browse
the archive, read /docs with the network blocked, use a phone-sized screen, upload an article
full of markup. Screenshots go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest

from conftest import ROOT, SAMPLE_DIR, UNANSWERABLE, free_port, multihop_articles
from qa import Assistant

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Questions about the MultiHop-RAG articles the archive holds (conftest.multihop_articles).
MUSK = "What did Elon Musk show off at a 2019 event?"
CYBERTRUCK = "Why is the Cybertruck deadly for pedestrians?"
HOSTILE = (
    "---\ntitle: Council <script>window.pwned = 1</script> minutes\nsource: Hostile Herald\n"
    "published_at: 2023-10-09\n---\n"
    "The council approved the <b>harbour</b> budget of 12 million euros on Monday. "
    "<script>window.pwned = 1; alert('x')</script> <img src=x onerror=\"window.pwned=2\"> "
    "[Click](javascript:window.pwned=3) Councillors said the ferry terminal would be rebuilt.\n"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """An index (real model) of the sample and 24 MultiHop-RAG articles, and those articles."""
    folder = tmp_path_factory.mktemp("real-archive")
    articles = multihop_articles()
    corpus = folder / "multihop.json"
    corpus.write_text(json.dumps(articles), encoding="utf-8")
    report = Assistant.open(folder / "index").ingest([SAMPLE_DIR, corpus])
    assert report.added == len(articles) + 1 and report.failed == 0
    return folder / "index", articles


@pytest.fixture(scope="module")
def server(archive: tuple[Path, list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """`newsdesk serve` on a copy of the archive (the upload test adds to it): its URL, the first
    page it answered with, and how long that took."""
    index = archive[0].parent / "served"
    shutil.copytree(archive[0], index)
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "--index", str(index), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        first = _first_answer(url, proc, timeout=120)
        first_at = time.monotonic() - began
        deadline = time.monotonic() + 300
        while not httpx.get(f"{url}api/status", timeout=5).json().get("ready"):
            assert time.monotonic() < deadline, "the server did not load its models"
            time.sleep(0.5)
        yield {"url": url, "first_page": first, "first_seconds": first_at}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _first_answer(url: str, proc: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            response = httpx.get(url, timeout=5)
            if response.is_success:
                return response.text
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        # Playwright gives every launch a fresh, empty profile of its own.
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _ask(page: Any, question: str) -> None:
    """Ask, and wait until a new reply is there and finished (searching and streaming done)."""
    before = page.locator("#chat [data-testid='bot']").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(
        """n => {
            const bots = document.querySelectorAll("#chat [data-testid='bot']");
            if (bots.length <= n) return false;
            const text = bots[bots.length - 1].innerText;
            return !/Searching the archive|Loading the model|▌/.test(text)
                && !document.querySelector("#sources").innerText.includes("Searching");
        }""",
        arg=before,
        timeout=120_000,
    )


def _shot(page: Any, name: str, full: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def test_the_server_answers_at_once_saying_the_model_is_loading(server: dict[str, Any]) -> None:
    # Before the page is built and the models are loaded, / already answers, and says so.
    assert "Loading the model" in server["first_page"]
    assert httpx.get(server["url"]).text.count("gradio") > 0  # then the chat itself


def test_launched_server_answers_over_http(server: dict[str, Any]) -> None:
    from gradio_client import Client

    client = Client(server["url"], verbose=False)
    result = client.predict(
        "Who did Sullivan reportedly speak with?", [], [], "", "", "", api_name="/ask"
    )
    history, panel = result[1], result[2]
    text = _text(history[-1]["content"])
    assert "Yuri Ushakov" in text and "Nikolai Patrushev" in text and "[\\[1\\]](article/" in text
    assert "Report: Jake Sullivan Has Held Undisclosed Talks With Putin Aides" in panel
    assert "Antiwar.com" in panel and "<mark>" in panel
    result = client.predict(UNANSWERABLE, [], [], "", "", "", api_name="/ask")
    assert "nd-refusal" in _text(result[1][-1]["content"])


def _text(content: Any) -> str:
    """A chat message's text (Gradio hands it back as a string or a list of parts)."""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def test_a_reporter_asks_reads_filters_exports_and_clears(
    server: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=WIDE, accept_downloads=True)
    page = context.new_page()
    page.goto(server["url"])
    # The empty chat offers questions about events, not "What did <outlet> report in “...”?".
    examples = page.locator("#chat button.example")
    examples.first.wait_for(timeout=120_000)
    offered = examples.all_inner_texts()
    assert offered and all(q.startswith("What") and "“" not in q for q in offered)
    _shot(page, "1-empty-chat.png")

    # A real answer from an article whose id is a URL.
    _ask(page, MUSK)
    card = page.locator("#sources .nd-source").first
    assert "TechCrunch · 2023-11-30 · Harri Weber" in card.locator(".nd-meta").inner_text()
    quote = card.locator("mark").inner_text()
    assert "2019 event" in quote
    bubble = page.locator("#chat [data-testid='bot']").last
    marker = bubble.get_by_role("link", name="[1]")
    assert unquote(marker.get_attribute("href") or "").startswith(
        "article/https://techcrunch.com/2023/11/30/"
    )
    # Each cited source appears once (beside the chat, not again under the answer).
    cards = page.locator("#sources .nd-source").count()
    assert page.locator("#sources").inner_text().count("Read the whole article") == cards
    _shot(page, "2-answer-and-source.png")

    # "Read the whole article": the page of that URL id, the cited sentence highlighted.
    with context.expect_page() as opened:
        card.locator(".nd-open").click()
    article = opened.value
    article.wait_for_load_state()
    assert article.locator("mark#hl").inner_text() == quote
    assert "TechCrunch · 2023-11-30 · By Harri Weber" in article.locator("#byline").inner_text()
    original = article.locator("a.original")
    assert (original.get_attribute("href") or "").startswith("https://techcrunch.com/2023/11/30/")
    assert article.locator("#article-body p").count() > 5  # its paragraphs
    assert article.locator("#back").get_attribute("href") == "/"
    _shot(article, "3-article-view.png", full=False)
    article.close()

    # Filter by an outlet typed in lower case: matched, said, and only its articles cited.
    page.locator("#outlets input").fill("the verge")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _ask(page, CYBERTRUCK)
    bubble = page.locator("#chat [data-testid='bot']").last
    assert bubble.inner_text().startswith("Filters: outlets: The Verge")
    metas = page.locator("#sources .nd-source .nd-meta").all_inner_texts()
    assert metas and all(m.startswith("The Verge · ") for m in metas)
    _shot(page, "4-outlet-filter-lower-case.png")

    # An outlet the archive lacks is an error naming the closest, not an empty answer.
    page.locator("#outlets input").fill("techcrunh")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _ask(page, MUSK)
    said = page.locator("#chat [data-testid='bot']").last.inner_text()
    assert "Outlets: The archive holds no articles from an outlet named 'techcrunh'" in said
    assert "did you mean TechCrunch?" in said
    chips = page.locator("#outlets .token-remove")
    while chips.count():
        chips.first.click()
    page.keyboard.press("Escape")

    # A bad date is flagged at its field as soon as the field is left.
    page.locator("#since textarea").fill("last tuesday")
    page.locator("#question textarea").click()
    flagged = page.locator("#since.nd-bad")
    flagged.wait_for()
    assert "Not an ISO-8601 date: 'last tuesday'" in flagged.inner_text()
    page.locator("#since textarea").fill("")
    page.locator("#question textarea").click()
    flagged.wait_for(state="detached")

    # A refusal cannot be taken for an answer; its scores stay in the evidence view.
    _ask(page, UNANSWERABLE)
    refusal = page.locator("#chat [data-testid='bot']").last.locator(".nd-refusal")
    assert refusal.inner_text().startswith("Not answered from the archive.")
    assert refusal.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    assert "Not in the archive." in page.locator("#sources").inner_text()
    assert page.locator("#sources .nd-source").count() == 0
    page.locator("#sources summary", has_text="Evidence").click()
    assert "Refused because:" in page.locator("#sources .nd-evidence").inner_text()
    _shot(page, "5-refusal.png")

    # Export: one Markdown file of the whole conversation, clean and complete.
    page.locator("#export").click()
    link = page.locator("#exported a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    (ARTIFACTS / "6-export.md").write_text(text, encoding="utf-8")
    _shot(page, "6-export.png")
    assert text.startswith("# newsdesk conversation\n")
    assert "{'text'" not in text and "\\n" not in text
    sections = re.split(r"^## \d+\. ", text, flags=re.M)[1:]
    assert [s.splitlines()[0] for s in sections] == [MUSK, CYBERTRUCK, MUSK, UNANSWERABLE]
    sources = re.findall(r"^\*\*\[(\d+)\]\*\* \[(.+?)\]\((https://[^)]+)\)  $", text, flags=re.M)
    assert sources and sources[0][0] == "1"
    assert sources[0][2].startswith("https://techcrunch.com/2023/11/30/")
    assert "TechCrunch · 2023-11-30 · Harri Weber · <https://techcrunch.com/" in sections[0]
    assert f"> {' '.join(quote.split())}" in sections[0]
    assert "_Filters: outlets: The Verge_" in sections[1]
    assert "did you mean TechCrunch?" in sections[2]
    assert "**Not answered from the archive.**" in sections[3]

    # A new question takes the old file away; clearing empties the chat and every panel.
    _ask(page, MUSK)
    assert not page.locator("#exported").is_visible()
    page.locator("#export").click()
    page.locator("#exported a").first.wait_for(timeout=30_000)
    page.locator("#clear").click()
    page.locator("#chat [data-testid='bot']").first.wait_for(state="detached")
    assert "Sources of the latest answer appear here." in page.locator("#sources").inner_text()
    assert not page.locator("#exported").is_visible()
    _shot(page, "7-cleared.png")
    context.close()


def test_the_archive_tab_lists_articles_and_outlets(server: dict[str, Any], browser: Any) -> None:
    page = browser.new_page(viewport=WIDE)
    page.goto(server["url"])
    page.get_by_role("tab", name="Archive").click()
    summary = page.locator("#archive-summary")
    summary.get_by_text("25 articles").wait_for(timeout=60_000)
    assert "1 article without a date" in summary.inner_text()  # the sample: dated nowhere
    table = page.locator("#articles")
    table.get_by_text("Cybertruck").first.wait_for()
    page.locator("#archive-search input, #archive-search textarea").fill("techcrunch")
    page.locator("#archive-count").get_by_text("matching").wait_for()
    assert re.match(
        r"\d+ articles matching “techcrunch”", page.locator("#archive-count").inner_text()
    )
    rows = table.locator(".virtual-row")
    assert rows.count() > 3
    assert all("TechCrunch" in r for r in rows.all_inner_texts())
    link = table.get_by_role("link").first
    assert (link.get_attribute("href") or "").startswith("article/https%3A%2F%2Ftechcrunch.com")
    outlets = page.locator("#outlet-table").inner_text()
    assert re.search(r"TechCrunch\s+\d+", outlets) and "Antiwar.com" in outlets
    _shot(page, "8-archive.png")
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    assert "TechCrunch" in article.locator("#byline").inner_text()
    page.close()


def test_the_docs_and_the_chat_work_with_the_network_blocked(
    server: dict[str, Any], browser: Any
) -> None:
    context = browser.new_context(viewport=WIDE)
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.goto(f"{server['url']}docs")
    page.locator(".opblock").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() >= 8
    assert "/api/ask" in page.locator(".swagger-ui").inner_text()
    _shot(page, "9-docs-offline.png", full=False)
    page.goto(server["url"])  # the chat page too
    page.locator("#chat").wait_for()
    page.get_by_role("tab", name="Archive").click()
    page.locator("#archive-summary").get_by_text("articles").wait_for()
    assert blocked == []  # neither asked for anything beyond this server
    context.close()


def test_a_phone_shows_the_answer_first(server: dict[str, Any], browser: Any) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(server["url"])
    page.locator("#chat").wait_for()
    page.wait_for_timeout(500)
    assert not page.locator("#since").is_visible()  # the filters fold away on a phone
    chat_top = page.locator("#chat").bounding_box()["y"]
    assert chat_top < page.locator("#filters").bounding_box()["y"]
    _ask(page, "Who did Sullivan reportedly speak with?")
    answer = page.locator("#chat [data-testid='bot']").last
    box = answer.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    assert "Yuri Ushakov" in answer.inner_text()
    sources = page.locator("#sources-col").bounding_box()
    assert sources["y"] > box["y"] + box["height"]  # the sources come under the answer
    _shot(page, "10-phone.png", full=False)
    _shot(page, "10-phone-full.png")
    page.close()


def test_uploaded_markup_stays_text(server: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    """An article full of markup, uploaded in the archive tab, then asked about with its outlet
    as the filter: it shows as text and nothing in it runs."""
    hostile = tmp_path / "hostile-minutes.md"
    hostile.write_text(HOSTILE)
    page = browser.new_page(viewport=WIDE)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server["url"])
    page.locator("#chat").wait_for()
    page.get_by_role("tab", name="Archive").click()
    page.locator("#upload input[type=file]").set_input_files(str(hostile))
    page.locator("#upload").get_by_text("hostile-minutes").first.wait_for()
    page.locator("#ingest").click()
    report = page.locator("#ingest-report")
    report.get_by_text("1 added").wait_for(timeout=120_000)
    assert "passage ·" in report.inner_text() or "passages ·" in report.inner_text()
    _shot(page, "11-upload.png")

    page.get_by_role("tab", name="Chat").click()
    page.locator("#outlets input").click()
    page.get_by_role("option", name="Hostile Herald").click()
    page.keyboard.press("Escape")
    _ask(page, "What budget did the council approve for the harbour?")
    card = page.locator("#sources .nd-source").first
    card.get_by_text("12 million euros").wait_for()
    chat = page.locator("#chat").inner_text()
    assert "Filters: outlets: Hostile Herald" in chat
    assert "Hostile Herald, 2023-10-09" in chat
    sources = card.inner_text()
    assert "<script>window.pwned = 1</script>" in sources  # shown as text
    assert "<b>harbour</b>" in sources
    assert "Sullivan" not in page.locator("#sources").inner_text()
    assert page.evaluate("window.pwned") is None and dialogs == []
    assert page.locator("#chat img[src='x'], #sources img[src='x']").count() == 0
    _shot(page, "12-uploaded-markup.png")
    page.close()


def test_the_page_says_loading_until_the_model_is_ready(browser: Any, tmp_path: Path) -> None:
    """A server whose model takes its time: the page answers, says it is loading, and fills in
    (outlets, archive) once the model is there."""
    import threading

    from conftest import ARCHIVE, serve_in_thread
    from qa.embedding import FakeEmbedder

    Assistant.open(tmp_path / "index", embedder="fake").ingest([ARCHIVE])
    release = threading.Event()

    class SlowToLoad(Assistant):
        @property  # type: ignore[misc]
        def embedder(self) -> FakeEmbedder:  # type: ignore[override]
            release.wait(60)
            return FakeEmbedder()

    assistant = SlowToLoad(Assistant.open(tmp_path / "index", embedder="fake").settings)
    for url in serve_in_thread(assistant):
        page = browser.new_page(viewport=WIDE)
        page.goto(url)
        status = page.locator("#status")
        status.get_by_text("Loading the model").wait_for(timeout=30_000)
        _shot(page, "0-loading.png", full=False)
        release.set()
        status.wait_for(state="hidden", timeout=60_000)
        page.locator("#outlets input").click()
        page.get_by_role("option", name="Valley Gazette").wait_for(timeout=30_000)
        page.close()

"""The web chat: `create_app(assistant)` builds the Gradio Blocks; `python app.py` serves it.

Everything an answer shows is rendered by qa.answers.citations (the chat's Markdown, the export, the
sources panel); this module lays out the page and wires its events.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answers.citations import (
    Turn,
    answer_markdown,
    article_link,
    citation_link,
    conversation_markdown,
    markdown_text,
    sources_html,
)
from qa.errors import FilterError, NewsdeskError
from qa.text import plural

if TYPE_CHECKING:
    import gradio as gr

    from ingest.pipeline import IngestProgress
    from qa.assistant import Assistant
    from qa.serving import Warmup
    from qa.types import Answer, SearchFilters

log = logging.getLogger("newsdesk.app")

TITLE = "newsdesk"
INTRO = (
    "Ask a question about the archive. Every claim carries a numbered citation to the passage "
    "it comes from; when the archive does not answer, newsdesk says so."
)
LOADING = (
    "**Loading the model and the index…** The page works already; questions are answered "
    "as soon as loading ends (a few seconds)."
)
Message = dict[str, str]
# What the filter panel's fields are called on the page, to name them in errors.
FIELD_LABELS = {
    "sources": "Outlets",
    "authors": "Authors",
    "since": "Published since",
    "until": "Published until",
    "as_of": "As of",
}
ARTICLES_SHOWN = 500


def turn_filters(
    sources: list[str] | None = None, since: str = "", until: str = "", as_of: str = ""
) -> SearchFilters | None:
    """The chat's filter panel as SearchFilters (None when nothing is set)."""
    from qa.types import SearchFilters

    return (
        SearchFilters(
            tuple(s for s in (sources or ()) if s and s.strip()),
            (),
            (since or "").strip() or None,
            (until or "").strip() or None,
            (as_of or "").strip() or None,
        )
        or None
    )


def reply_markdown(answer: Answer, question: str) -> str:
    """An answer as the chat shows it: the question searched (when a follow-up was rewritten),
    the text with each [n] linked to its article (the quoted sentence highlighted), and a
    refusal set apart so that it cannot be taken for an answer. The sources are in the panel."""
    text = answer_markdown(answer, sources=False, link=citation_link)
    if answer.refused:
        text = f"<div class='nd-refusal'>\n\n{text}\n\n</div>"
    if answer.standalone_question and answer.standalone_question != question.strip():
        text = f"_Searched for: {markdown_text(answer.standalone_question)}_\n\n{text}"
    return text


def _error_markdown(exc: NewsdeskError) -> str:
    label = FIELD_LABELS.get(getattr(exc, "field", ""), "")
    where = f"**{label}:** " if label else ""
    hint = f"\n\n_{markdown_text(exc.hint)}_" if exc.hint else ""
    return f"⚠️ {where}{markdown_text(exc.message)}{hint}"


def answer_turn_stream(
    assistant: Assistant,
    message: str,
    history: list[Message] | None,
    filters: SearchFilters | None = None,
    turns: list[Turn] | None = None,
) -> Iterator[tuple[str, list[Message], str, list[Turn]]]:
    """One chat turn, streamed: (cleared textbox, history with the reply so far, sources panel,
    the conversation's turns with this one added at the end).

    The reply says which filters applied (outlet names as the archive spells them); an LLM
    answerer's words appear as they are written, and the checked answer replaces them at the
    end. Errors become a readable reply, never a traceback.
    """
    history = list(history or [])
    turns = list(turns or [])
    if not message or not message.strip():
        yield "", history, sources_html(None), turns
        return
    history.append({"role": "user", "content": message})
    searching = "<p class='nd-empty'>Searching the archive…</p>"
    reply = [*history, {"role": "assistant", "content": "_Searching the archive…_"}]
    yield "", reply, searching, turns
    answer: Answer | None = None
    header, error = "", None
    described = filters.describe() if filters else ""
    try:
        filters = assistant.resolve_filters(filters)
        described = filters.describe() if filters else ""
        header = f"_Filters: {markdown_text(described)}_\n\n" if described else ""
        # Follow-ups ("what did he say next?") are made standalone from the conversation.
        written = ""
        for item in assistant.chat_stream(_conversation(turns, history), filters=filters):
            if isinstance(item, str):
                written += item
                reply[-1] = {"role": "assistant", "content": header + markdown_text(written) + " ▌"}
                yield "", reply, searching, turns
            else:
                answer = item
        if answer is None:
            raise RuntimeError("the answerer returned nothing")
        text = reply_markdown(answer, message)
    except NewsdeskError as exc:
        text, error = _error_markdown(exc), str(exc)
    except Exception as exc:  # the web boundary: log it, show a readable message
        log.exception("question failed")
        error = f"Something went wrong while answering: {exc}"
        text = f"⚠️ {markdown_text(error)}"
    reply[-1] = {"role": "assistant", "content": header + text}
    turns.append(Turn(message.strip(), answer, error, described))
    yield "", reply, sources_html(answer), turns


def _conversation(turns: list[Turn], history: list[Message]) -> list[Message]:
    """The conversation as the assistant reads it (to make a follow-up standalone): each
    earlier question with its answer's plain text, then the new question. Without turns (a
    client of the Gradio API sends only the shown history), the shown history as text."""
    if not turns:
        return _plain(history)
    out: list[Message] = []
    for turn in turns:
        reply = turn.answer.text if turn.answer is not None else turn.error or ""
        out += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": reply}]
    return [*out, _plain(history[-1:])[0]]


def _plain(history: list[Message]) -> list[Message]:
    """The shown history as text turns (Gradio may hand a message back as a list of parts)."""
    out = []
    for m in history:
        content: Any = m.get("content", "")
        if isinstance(content, list):
            content = " ".join(
                str(p.get("text", "")) if isinstance(p, dict) else "" for p in content
            )
        out.append({"role": str(m.get("role", "")), "content": str(content)})
    return out


def answer_turn(
    assistant: Assistant,
    message: str,
    history: list[Message] | None,
    sources: list[str] | None = None,
    since: str = "",
    until: str = "",
    as_of: str = "",
    turns: list[Turn] | None = None,
) -> tuple[str, list[Message], str, list[Turn]]:
    """One chat turn, whole: the last state of :func:`answer_turn_stream`.

    `sources`, `since`, `until` and `as_of` restrict the search (outlets; ISO dates).
    """
    from collections import deque

    filters = turn_filters(sources, since, until, as_of)
    return deque(answer_turn_stream(assistant, message, history, filters, turns), maxlen=1)[0]


def export_markdown(turns: list[Turn] | None) -> str | None:
    """The conversation (every question, its answer, and numbered sources with title, outlet,
    date, URL and the quoted sentence) as a Markdown file; its path (None before any answer)."""
    import tempfile
    from datetime import UTC, datetime

    if not turns:
        return None
    now = datetime.now(UTC)
    text = conversation_markdown(turns, stamp=f"from newsdesk, {now:%Y-%m-%d %H:%M} UTC")
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-export-"))
    path = folder / f"newsdesk-conversation-{now:%Y%m%d-%H%M%S}.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


CSS = """
#status {background: #fff8e1; border: 1px solid #f0c36d; border-radius: 6px; padding: 2px 12px;}
.nd-source {border-left: 3px solid #888; padding: 4px 10px; margin-bottom: 12px;}
.nd-meta {color: #666; font-size: 0.9em;}
.nd-empty, .nd-count {color: #777;}
.nd-source p {white-space: pre-wrap;}
.nd-source mark {background: #ffe066;}
.nd-open {font-size: 0.9em;}
.nd-refusal {border-left: 4px solid #b9770e; background: #fdf2e9; padding: 2px 12px;
             border-radius: 4px;}
.nd-refused-panel {border-left: 4px solid #b9770e; background: #fdf2e9; padding: 4px 12px;
                   border-radius: 4px; margin-bottom: 12px;}
.nd-bad textarea, .nd-bad input {border-color: #c0392b !important;}
.nd-bad .info-text {color: #c0392b !important;}
#chat {min-height: 260px;}
@media (max-width: 768px) {
  #filters {order: 3;}
  #sources-col {order: 2;}
}
"""
# On a phone the filter panel folds away (it is last on the page there, see CSS).
JS = """
() => {
  if (!window.matchMedia("(max-width: 768px)").matches) return;
  const fold = (tries) => {
    const label = document.querySelector("#filters-box .label-wrap");
    if (label) { if (label.classList.contains("open")) label.click(); }
    else if (tries > 0) setTimeout(() => fold(tries - 1), 100);
  };
  fold(100);
}
"""


def archive_summary(assistant: Assistant, listing: Any = None) -> tuple[str, Any]:
    """The archive tab's head: counts, the date span and how many articles have no date, as
    Markdown; and articles per month (every month of the span, empty ones as 0) as a table."""
    import pandas as pd

    from qa.browse import ArchiveList

    empty = pd.DataFrame({"month": [], "articles": []})
    try:
        stats = assistant.stats()
        months = assistant.coverage()
        undated = (listing or ArchiveList(assistant)).undated()
    except NewsdeskError as exc:
        return f"⚠️ {markdown_text(exc.message)}", empty
    span = (
        f"published {(stats['earliest'] or '')[:10]} to {(stats['latest'] or '')[:10]}"
        if stats["earliest"]
        else "no publication dates"
    )
    text = (
        f"**{plural(stats['articles'], 'article')}** · **{plural(stats['chunks'], 'passage')}** · "
        f"**{plural(stats['sources'], 'outlet')}** · {span}"
    )
    if undated:
        text += (
            f" · **{plural(undated, 'article')} without a date** "
            f"({'is' if undated == 1 else 'are'} not in the chart)"
        )
    return text, pd.DataFrame(_every_month(months) or {"month": [], "articles": []})


def _every_month(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`months` with the months between them that have no article, as 0."""
    if not months:
        return []
    counts = {m["month"]: m["articles"] for m in months}
    year, month = map(int, months[0]["month"].split("-"))
    last = months[-1]["month"]
    out = []
    while True:
        key = f"{year:04d}-{month:02d}"
        out.append({"month": key, "articles": counts.get(key, 0)})
        if key >= last:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def article_table(listing: Any, text: str = "") -> tuple[str, Any]:
    """The archive's articles matching `text` (title, outlet or byline), newest first, as a
    table whose titles link to the article view; and a line saying how many match."""
    import pandas as pd

    columns = ["Published", "Title", "Outlet"]
    try:
        rows, total = listing.articles(text, ARTICLES_SHOWN)
    except NewsdeskError as exc:
        return f"⚠️ {markdown_text(exc.message)}", pd.DataFrame(columns=columns)
    table = pd.DataFrame(
        [
            [
                (r.published_at or "")[:10] or "undated",
                f"[{markdown_text(r.title or '(untitled)', markers=False)}]"
                f"({article_link(r.article_id)})",
                r.source or "",
            ]
            for r in rows
        ],
        columns=columns,
    )
    what = f"matching “{markdown_text(text.strip())}”" if text.strip() else "in the archive"
    shown = f"; the newest {len(rows):,} are listed" if total > len(rows) else ""
    return f"{plural(total, 'article')} {what}{shown}. Click a column to sort.", table


def outlet_table(listing: Any) -> Any:
    """Every outlet with its number of articles, most first."""
    import pandas as pd

    try:
        counts = listing.outlets()
    except NewsdeskError:
        counts = []
    return pd.DataFrame(
        [[name or "(no outlet)", n] for name, n in counts], columns=["Outlet", "Articles"]
    )


def example_questions(assistant: Assistant, n: int = 3) -> list[str]:
    """The questions offered on the empty chat: the configured ones, else questions about what
    happened in the archive's newest stories (the person or organisation a headline names),
    each one the archive answers (with the extractive answerer); none for an empty archive."""
    if assistant.settings.example_questions:
        return list(assistant.settings.example_questions)
    try:
        newest = assistant.newest(2 * n)
    except NewsdeskError:
        return []
    questions = list(dict.fromkeys(q for q in _event_questions([p.title for p in newest]) if q))
    if assistant.settings.answerer != "extractive":
        return questions[:n]
    kept: list[str] = []
    for question in questions:
        if len(kept) == n:
            break
        try:
            if not assistant.ask(question).refused:
                kept.append(question)
        except NewsdeskError:
            continue
    return kept


class ExampleQuestions:
    """The example questions of the empty chat, worked out in a background thread (they are
    asked of the archive first) and again when the archive changes."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._lock = threading.Lock()
        self._done: tuple[Any, list[str]] | None = None
        self._working: Any = None

    def get(self) -> list[str] | None:
        """The questions for the archive as it is now; None while they are being worked out."""
        try:
            snapshot = self._assistant.keyword.snapshot()
        except NewsdeskError:
            return []
        with self._lock:
            if self._done is not None and self._done[0] is snapshot:
                return self._done[1]
            if self._working is not snapshot:
                self._working = snapshot
                threading.Thread(target=self._work, args=(snapshot,), daemon=True).start()
            return None

    def _work(self, snapshot: Any) -> None:
        try:
            questions = example_questions(self._assistant)
        except Exception:  # examples are a convenience: never let them break the page
            log.exception("working out example questions failed")
            questions = []
        with self._lock:
            self._done = (snapshot, questions)
            self._working = None


# Entity kinds a question can be about.
_NAMED = ("PERSON", "ORG", "GPE", "EVENT", "PRODUCT", "LAW", "NORP", "FAC")


def _event_questions(titles: list[str]) -> list[str | None]:
    """A question about the event of each headline: what the first person it names did, or
    what happened with the first organisation, place, product or event it names (None when it
    names none)."""
    from qa.nlp import entity_reader

    try:
        reader = entity_reader()
    except NewsdeskError:
        return [None] * len(titles)
    out: list[str | None] = []
    for title, entities in zip(titles, reader.read(titles), strict=True):
        named = next((e for e in entities if e.label in _NAMED and len(e.text) > 2), None)
        name = named.text.strip().removesuffix("’s").removesuffix("'s") if named else ""
        name = name.strip(" ‘’'\"")
        if not named or not name:
            out.append(None)
        elif named.label == "PERSON":
            out.append(f"What did {name} do?")
        else:
            the = "the " if title[: named.start].lower().endswith("the ") else ""
            out.append(f"What happened with {the}{name}?")
    return out


def upload_files(assistant: Assistant, paths: list[str] | None, progress: Any = None) -> str:
    """The archive tab's upload: ingest the files the browser sent (qa.uploads checks, renames
    and stores them), reporting progress; a Markdown summary with every per-file error."""
    from qa.uploads import ingest_uploads

    if not paths:
        return "Choose files to add first."

    def tick(state: IngestProgress) -> None:
        if progress is not None:
            done = state.articles / state.total if state.total else None
            articles, passages = (
                plural(state.articles, "article"),
                plural(state.passages, "passage"),
            )
            progress(done, desc=f"{articles} read, {passages}")

    from contextlib import ExitStack

    try:
        with ExitStack() as stack:
            files = [(Path(p).name, stack.enter_context(Path(p).open("rb"))) for p in paths]
            report = ingest_uploads(assistant, files, tick)
    except NewsdeskError as exc:
        return f"⚠️ {markdown_text(exc.message)}" + (
            f"\n\n_{markdown_text(exc.hint)}_" if exc.hint else ""
        )
    lines = [
        f"**{report.added}** added · **{report.updated}** updated · "
        f"**{report.unchanged}** unchanged · **{report.duplicate}** wire "
        f"{'copy' if report.duplicate == 1 else 'copies'} · "
        f"**{plural(report.passages, 'passage')}** · **{report.failed}** failed · "
        f"{report.seconds:.1f} s"
    ]
    lines += [f"- ⚠️ {markdown_text(f)}" for f in report.failures]
    return "\n".join(lines)


def check_field(field: str, value: str | None) -> Any:
    """A date field of the filter panel, flagged when its value is not a date (on leaving it)."""
    import gradio as gr

    from qa.filters import check_date

    try:
        check_date(value, field)
    except FilterError as exc:
        return gr.update(info=f"{exc.message}: {exc.hint}", elem_classes=["nd-bad"])
    return gr.update(info=_DATE_INFO.get(field, ""), elem_classes=[])


_DATE_INFO = {"as_of": "Read the archive as it stood on this date."}


def create_app(assistant: Assistant, warmup: Warmup | None = None) -> gr.Blocks:
    """The chat page (filters; the conversation with streamed, cited answers; the sources panel
    with the evidence view; export and clear) and the archive tab (counts, coverage per month,
    the list of articles and of outlets, uploads).

    Building the page reads nothing from the archive: what depends on it (outlets, example
    questions, the archive tab) is filled in when a page loads, once `warmup` is done.
    """
    import gradio as gr

    from qa.browse import ArchiveList
    from qa.uploads import allowed_suffixes

    listing = ArchiveList(assistant)
    examples_for = ExampleQuestions(assistant)

    def ready() -> bool:
        return warmup is None or warmup.ready

    def wait() -> None:
        if warmup is not None:
            warmup.wait()

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        status = gr.Markdown(LOADING, elem_id="status", visible=not ready())
        timer = gr.Timer(1.0, active=False)
        turns = gr.State([])
        with gr.Tab("Chat"), gr.Row(elem_id="chat-row"):
            with (
                gr.Column(scale=1, min_width=220, elem_id="filters"),
                gr.Accordion("Filters", open=True, elem_id="filters-box"),
            ):
                gr.Markdown("They apply to the next question.")
                outlets = gr.Dropdown(
                    choices=[],
                    multiselect=True,
                    allow_custom_value=True,
                    label="Outlets",
                    info="Pick, or type a name (any case) and press Enter.",
                    elem_id="outlets",
                )
                since = gr.Textbox(
                    label="Published since", placeholder="2023-10-01", elem_id="since"
                )
                until = gr.Textbox(
                    label="Published until", placeholder="2023-12-31", elem_id="until"
                )
                as_of = gr.Textbox(
                    label="As of",
                    placeholder="2023-11-15",
                    info=_DATE_INFO["as_of"],
                    elem_id="as-of",
                )
            with gr.Column(scale=3, min_width=320, elem_id="conversation"):
                chat = gr.Chatbot(
                    show_label=False,
                    height="auto",
                    elem_id="chat",
                    buttons=["copy"],
                    feedback_options=None,
                    placeholder="Ask about the archive; every claim comes with its source.",
                )
                with gr.Row(elem_id="ask-row"):
                    box = gr.Textbox(
                        placeholder="e.g. Who did Sullivan reportedly speak with?",
                        show_label=False,
                        scale=8,
                        elem_id="question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Row(elem_id="tools"):
                    export = gr.Button(
                        "Export the conversation (Markdown)", size="sm", elem_id="export"
                    )
                    clear = gr.Button("Clear the conversation", size="sm", elem_id="clear")
                exported = gr.File(
                    label="Exported conversation", elem_id="exported", visible=False, height=80
                )
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html(None), elem_id="sources")
        with gr.Tab("Archive"):
            summary = gr.Markdown(elem_id="archive-summary")
            per_month = gr.BarPlot(
                x="month",
                y="articles",
                title="Articles per month",
                y_lim=[0, None],
                elem_id="coverage",
            )
            with gr.Row():
                with gr.Column(scale=3, min_width=320):
                    gr.Markdown("### Articles")
                    find = gr.Textbox(
                        label="Search titles, outlets and bylines",
                        placeholder="e.g. techcrunch cybertruck",
                        elem_id="archive-search",
                    )
                    count = gr.Markdown(elem_id="archive-count")
                    articles = gr.Dataframe(
                        headers=["Published", "Title", "Outlet"],
                        datatype=["str", "markdown", "str"],
                        interactive=False,
                        wrap=True,
                        max_height=560,
                        column_widths=["16%", "58%", "26%"],
                        elem_id="articles",
                    )
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown("### Outlets")
                    outlets_by_count = gr.Dataframe(
                        headers=["Outlet", "Articles"],
                        datatype=["str", "number"],
                        column_widths=["72%", "28%"],
                        interactive=False,
                        wrap=True,
                        max_height=560,
                        elem_id="outlet-table",
                    )
            refresh = gr.Button("Refresh", size="sm")
            gr.Markdown(
                "### Add to the archive\n"
                f"Up to {assistant.settings.max_upload_mb} MB per file; the ingest formats "
                "(text, HTML, JSON/JSONL, CSV, RSS/Atom, WARC, and .gz of each)."
            )
            uploads = gr.File(
                file_count="multiple",
                file_types=[*allowed_suffixes(), ".gz"],
                label="Files to ingest",
                elem_id="upload",
            )
            ingest = gr.Button("Ingest the files", elem_id="ingest")
            ingested = gr.Markdown(elem_id="ingest-report")

        no_file = gr.update(value=None, visible=False)

        def respond(
            message: str,
            history: list[Message],
            outlets: list[str] | None = None,
            since: str = "",
            until: str = "",
            as_of: str = "",
            turns: list[Turn] | None = None,
        ) -> Iterator[tuple[Any, ...]]:
            if not ready() and message and message.strip():
                waiting = [
                    *(history or []),
                    {"role": "user", "content": message},
                    {"role": "assistant", "content": "_Loading the model…_"},
                ]
                yield "", waiting, sources_html(None), turns, no_file
            wait()
            filters = turn_filters(outlets, since or "", until or "", as_of or "")
            for state in answer_turn_stream(assistant, message, history, filters, turns):
                yield (*state, no_file)

        turn_inputs = [box, chat, outlets, since, until, as_of, turns]
        turn_outputs = [box, chat, sources, turns, exported]
        gr.on([box.submit, send.click], respond, turn_inputs, turn_outputs, api_name="ask")

        def pick_example(evt: gr.SelectData) -> str:
            return str(evt.value.get("text", "")) if isinstance(evt.value, dict) else ""

        # Gradio finds the event parameter by its annotation, which must be the class itself.
        pick_example.__annotations__["evt"] = gr.SelectData

        chat.example_select(pick_example, None, [box], api_visibility="private").then(
            respond, turn_inputs, turn_outputs, api_visibility="private"
        )

        def export_file(turns: list[Turn] | None) -> Any:
            path = export_markdown(turns)
            return gr.update(value=path, visible=path is not None)

        export.click(export_file, [turns], [exported], api_name="export")

        def reset() -> tuple[Any, ...]:
            return [], sources_html(None), [], no_file, ""

        clear.click(reset, None, [chat, sources, turns, exported, box], api_name="clear")
        chat.clear(reset, None, [chat, sources, turns, exported, box], api_visibility="private")

        for field, component in (("since", since), ("until", until), ("as_of", as_of)):

            def flag(value: str, field: str = field) -> Any:
                return check_field(field, value)

            component.blur(flag, component, component, api_visibility="private")
            component.submit(flag, component, component, api_visibility="private")

        def archive(text: str = "") -> tuple[Any, ...]:
            wait()
            head, months = archive_summary(assistant, listing)
            found, table = article_table(listing, text or "")
            return head, months, found, table, outlet_table(listing)

        archive_outputs = [summary, per_month, count, articles, outlets_by_count]

        def load_page(filled: bool) -> tuple[Any, ...]:
            """Fill the page from the archive once it is loaded (the timer polls till then,
            and till the example questions are ready: they are worked out in the background)."""
            keep = gr.update()
            if not ready():
                return (
                    gr.update(visible=True),
                    gr.Timer(active=True),
                    False,
                    keep,
                    keep,
                    *(keep for _ in archive_outputs),
                )
            fill = (gr.update(choices=_outlets(assistant)), *archive()) if not filled else None
            examples = examples_for.get()
            return (
                gr.update(visible=False),
                gr.Timer(active=examples is None),
                True,
                gr.update(examples=[{"text": q} for q in examples] or None)
                if examples is not None
                else keep,
                *(fill or (keep for _ in range(1 + len(archive_outputs)))),
            )

        filled = gr.State(False)
        page_outputs = [status, timer, filled, chat, outlets, *archive_outputs]
        demo.load(load_page, [filled], page_outputs, api_name=False)
        timer.tick(load_page, [filled], page_outputs, api_visibility="private")
        refresh.click(archive, [find], archive_outputs, api_name="archive")

        def search_archive(text: str) -> tuple[Any, Any]:
            wait()
            return article_table(listing, text or "")

        find.change(search_archive, [find], [count, articles], api_name="archive_search")

        def add_files(
            paths: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[str, Any]:
            wait()
            report = upload_files(assistant, paths, progress)
            return report, gr.update(choices=_outlets(assistant))

        ingest.click(add_files, [uploads], [ingested, outlets], api_name="ingest").then(
            archive, [find], archive_outputs, api_name=False
        )
    return demo


def _outlets(assistant: Assistant) -> list[str]:
    try:
        return assistant.sources()
    except NewsdeskError:
        return []


def build_server(
    assistant: Assistant, host: str = "127.0.0.1", warmup: Warmup | None = None
) -> Any:
    """The ASGI app: the HTTP API (qa.http_api) with the web chat mounted at /. The models and
    the index load in the background from here on; the page says so until they are ready.

    Raises ConfigError when `host` is beyond loopback and no authentication is configured.
    """
    import gradio as gr

    from qa.http_api import build_api, check_bind, load_users
    from qa.serving import Warmup

    settings = assistant.settings
    secret = settings.auth.get_secret_value() if settings.auth else None
    users = load_users(secret, settings.auth_file)
    check_bind(host, users, settings.insecure_no_auth)
    warmup = (warmup or Warmup(assistant)).start()
    api = build_api(assistant, users, warmup)
    return gr.mount_gradio_app(
        api,
        create_app(assistant, warmup).queue(),
        path="/",
        css=CSS,
        js=JS,
        max_file_size=settings.max_upload_mb * 1_000_000,
    )


def _cap_malloc_arenas(arenas: int = 2) -> None:
    """Limit glibc's per-thread malloc arenas (M_ARENA_MAX): a server answering from dozens of
    threads otherwise keeps an arena of freed memory per thread. No-op off glibc."""
    import ctypes
    from contextlib import suppress

    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat and the API until interrupted. HTTP answers within a second (a page saying
    the model is loading); the page is built and the models load in the background
    (qa.serving). Refuses an unsafe bind, and an index folder that holds no index."""
    import uvicorn

    from qa.http_api import authorized, check_bind, load_users
    from qa.serving import StartingApp

    _cap_malloc_arenas()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = assistant.settings
    secret = settings.auth.get_secret_value() if settings.auth else None
    users = load_users(secret, settings.auth_file)
    check_bind(host, users, settings.insecure_no_auth)
    assistant.require_index()
    # Gradio imports first, then the models load: in parallel, both take longer on 2 cores.
    app = StartingApp(
        lambda: build_server(assistant, host),
        allowed=lambda headers: authorized(headers.get("authorization"), users),
    )
    print(f"newsdesk: serving the web chat and API on http://{host}:{port}", flush=True)
    # Open streams (a browser's heartbeat) must not keep a stopped server alive for long.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the newsdesk web chat.")
    parser.add_argument("--index", default=None, help="Index directory [./data/index].")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="Allow serving beyond 127.0.0.1 without authentication.",
    )
    args = parser.parse_args(argv)
    from qa.assistant import Assistant

    try:
        extra = {"insecure_no_auth": True} if args.insecure_no_auth else {}
        assistant = Assistant.open(args.index, **extra)
        serve(assistant, args.host or assistant.settings.host, args.port or assistant.settings.port)
    except NewsdeskError as exc:
        hint = f"\nhint: {exc.hint}" if exc.hint else ""
        raise SystemExit(f"error: {exc.message}{hint}") from None


if __name__ == "__main__":
    main()

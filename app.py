"""The web chat: `create_app(assistant)` builds the Gradio Blocks; `python app.py` serves it."""

from __future__ import annotations

import argparse
import html
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import NewsdeskError
from qa.text import is_web_url, markdown_text, markdown_url

if TYPE_CHECKING:
    import gradio as gr

    from ingest.pipeline import IngestProgress
    from qa.assistant import Assistant
    from qa.types import Answer, SearchFilters

log = logging.getLogger("newsdesk.app")

TITLE = "newsdesk"
INTRO = (
    "Ask a question about the archive. Every claim carries a numbered citation to the passage "
    "it comes from; when the archive does not answer, newsdesk says so."
)
Message = dict[str, str]


def format_sources_markdown(answer: Answer) -> str:
    """Numbered sources for the chat bubble: title (linked), outlet, date, author, cited passage.
    Article text is made inert Markdown (it shows as text, whatever it contains)."""
    lines = []
    for c in answer.citations:
        p = c.passage
        url = markdown_url(p.url)
        title = markdown_text(p.title or "(untitled)")
        title = f"[{title}]({url})" if url else title
        meta = " · ".join(
            markdown_text(x) for x in (p.source, (p.published_at or "")[:10], p.author) if x
        )
        lines.append(f"**[{c.n}]** {title}" + (f" — {meta}" if meta else ""))
        if p.also:
            copies = []
            for a in p.also:
                name = markdown_text(str(a.get("source") or a.get("url") or ""))
                link = markdown_url(a.get("url"))
                copies.append(f"[{name}]({link})" if link else name)
            lines.append(f"_Also published by: {', '.join(copies)}_")
        lines.append(f"> {markdown_text(c.quote)}")
        lines.append("")
    return "\n".join(lines).strip()


def format_evidence_html(answer: Answer) -> str:
    """The evidence view: the question searched, why it was refused or what the checks changed,
    and every retrieved passage with its score (collapsed; all article text escaped)."""
    items = []
    if answer.standalone_question:
        items.append(f"<p><b>Searched for:</b> {html.escape(answer.standalone_question)}</p>")
    if answer.refused and answer.reason:
        items.append(f"<p><b>Refused because:</b> {html.escape(answer.reason)}</p>")
    for note in answer.notes:
        items.append(f"<p><b>Check:</b> {html.escape(note)}</p>")
    rows = []
    for p in answer.passages:
        meta = " · ".join(x for x in (p.source, (p.published_at or "")[:10]) if x)
        rows.append(
            f"<li><b>{p.score:.3f}</b> {html.escape(p.title)} "
            f"<span class='nd-meta'>{html.escape(meta)}</span>"
            f"<div class='nd-meta'>{html.escape(p.text[:240])}…</div></li>"
        )
    if rows:
        items.append(
            f"<p><b>Retrieved passages</b> (score, best first):</p><ol>{''.join(rows)}</ol>"
        )
    body = "".join(items) or "<p class='nd-empty'>No evidence.</p>"
    return f"<details class='nd-evidence'><summary>Evidence</summary>{body}</details>"


def article_link(article_id: str, start: int | None = None, end: int | None = None) -> str:
    """The relative link of the article view (qa.http_api), the span start..end highlighted."""
    from urllib.parse import quote, urlencode

    query = f"?{urlencode({'start': start, 'end': end})}#hl" if start is not None else ""
    return f"article/{quote(article_id, safe='')}{query}"


def _also_html(also: list[dict[str, str | None]]) -> str:
    if not also:
        return ""
    names = []
    for a in also:
        name = html.escape(str(a.get("source") or a.get("url") or ""))
        url = a.get("url") or ""
        if is_web_url(url):
            href = html.escape(url, quote=True)
            name = f"<a href='{href}' target='_blank' rel='noopener'>{name}</a>"
        names.append(name)
    return f"<div class='nd-meta nd-also'>Also published by: {', '.join(names)}</div>"


def format_sources_html(answer: Answer | None) -> str:
    """The side panel: a card per cited passage (title, outlet, byline, date, link, the passage
    with the cited sentence highlighted, a link to the whole article with that span
    highlighted); below, the evidence view. Every piece of article text is escaped."""
    if answer is None:
        return "<p class='nd-empty'>Sources of the latest answer appear here.</p>"
    if not answer.citations:
        return "<p class='nd-empty'>No sources cited.</p>" + format_evidence_html(answer)
    blocks = []
    for c in answer.citations:
        p = c.passage
        at = c.quote_start - p.start
        if at >= 0 and p.text[at : at + len(c.quote)] == c.quote:
            body = (
                html.escape(p.text[:at])
                + f"<mark>{html.escape(c.quote)}</mark>"
                + html.escape(p.text[at + len(c.quote) :])
            )
        else:
            esc_quote = html.escape(c.quote)
            body = html.escape(p.text).replace(esc_quote, f"<mark>{esc_quote}</mark>", 1)
        title = html.escape(p.title or "(untitled)")
        if p.url and is_web_url(p.url):
            title = (
                f"<a href='{html.escape(p.url, quote=True)}' target='_blank' rel='noopener'>"
                f"{title}</a>"
            )
        meta = " · ".join(
            html.escape(x) for x in (p.source, (p.published_at or "")[:10], p.author) if x
        )
        link = html.escape(article_link(p.article_id, c.quote_start, c.quote_end), quote=True)
        blocks.append(
            f"<div class='nd-source' id='source-{c.n}'><div><b>[{c.n}]</b> {title}</div>"
            f"<div class='nd-meta'>{meta}</div>{_also_html(p.also)}<p>{body}</p>"
            f"<a class='nd-open' href='{link}' target='_blank'>Read the whole article</a></div>"
        )
    return "\n".join(blocks) + format_evidence_html(answer)


def turn_filters(
    sources: list[str] | None = None, since: str = "", until: str = "", as_of: str = ""
) -> SearchFilters | None:
    """The chat's filter panel as SearchFilters (None when nothing is set)."""
    from qa.types import SearchFilters

    return (
        SearchFilters(
            tuple(sources or ()),
            (),
            (since or "").strip() or None,
            (until or "").strip() or None,
            (as_of or "").strip() or None,
        )
        or None
    )


def answer_turn_stream(
    assistant: Assistant,
    message: str,
    history: list[Message] | None,
    filters: SearchFilters | None = None,
) -> Iterator[tuple[str, list[Message], str]]:
    """One chat turn, streamed: (cleared textbox, history with the reply so far, sources panel).

    The reply says which filters applied; an LLM answerer's words appear as they are written,
    and the checked answer with its sources replaces them at the end. Errors become a readable
    reply, never a traceback.
    """
    history = list(history or [])
    if not message or not message.strip():
        yield "", history, format_sources_html(None)
        return
    history.append({"role": "user", "content": message})
    header = f"_Filters: {markdown_text(filters.describe())}_\n\n" if filters else ""
    reply = [*history, {"role": "assistant", "content": header + "_Searching the archive…_"}]
    yield "", reply, format_sources_html(None)
    answer: Answer | None = None
    try:
        # Follow-ups ("what did he say next?") are made standalone from the conversation.
        written = ""
        for item in assistant.chat_stream(history, filters=filters):
            if isinstance(item, str):
                written += item
                reply[-1] = {"role": "assistant", "content": header + markdown_text(written) + " ▌"}
                yield "", reply, format_sources_html(None)
            else:
                answer = item
        if answer is None:
            raise RuntimeError("the answerer returned nothing")
        text = markdown_text(answer.text)
        if answer.standalone_question and answer.standalone_question != message.strip():
            text = f"_Searched for: {markdown_text(answer.standalone_question)}_\n\n{text}"
        if answer.citations:
            text += "\n\n**Sources**\n\n" + format_sources_markdown(answer)
    except NewsdeskError as exc:
        text = f"⚠️ {markdown_text(exc.message)}" + (
            f"\n\n_{markdown_text(exc.hint)}_" if exc.hint else ""
        )
    except Exception as exc:  # the web boundary: log it, show a readable message
        log.exception("question failed")
        text = f"⚠️ Something went wrong while answering: {markdown_text(str(exc))}"
    reply[-1] = {"role": "assistant", "content": header + text}
    yield "", reply, format_sources_html(answer)


def answer_turn(
    assistant: Assistant,
    message: str,
    history: list[Message] | None,
    sources: list[str] | None = None,
    since: str = "",
    until: str = "",
    as_of: str = "",
) -> tuple[str, list[Message], str]:
    """One chat turn, whole: the last state of :func:`answer_turn_stream`.

    `sources`, `since`, `until` and `as_of` restrict the search (outlets; ISO dates).
    """
    filters = turn_filters(sources, since, until, as_of)
    from collections import deque

    return deque(answer_turn_stream(assistant, message, history, filters), maxlen=1)[0]


def export_markdown(history: list[Message] | None) -> str | None:
    """The latest question and its answer, sources included, as a Markdown file; its path
    (None when there is no answer yet)."""
    import tempfile
    from datetime import UTC, datetime

    turns = list(history or [])
    answer = next((m for m in reversed(turns) if m.get("role") == "assistant"), None)
    if answer is None:
        return None
    at = turns.index(answer)
    question = next(
        (str(m["content"]) for m in reversed(turns[:at]) if m.get("role") == "user"), ""
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"# {question}\n\n{answer['content']}\n\n_Exported from newsdesk, {stamp}._\n"
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-export-"))
    path = folder / "newsdesk-answer.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


CSS = """
.nd-source {border-left: 3px solid #888; padding: 4px 10px; margin-bottom: 12px;}
.nd-meta {color: #666; font-size: 0.9em;}
.nd-empty {color: #888;}
.nd-source p {white-space: pre-wrap;}
.nd-source mark {background: #ffe066;}
.nd-open {font-size: 0.9em;}
"""


def archive_summary(assistant: Assistant) -> tuple[str, Any]:
    """The archive tab: counts and date span as Markdown, and articles per month as a table."""
    import pandas as pd

    try:
        stats = assistant.stats()
        months = assistant.coverage()
    except NewsdeskError as exc:
        return f"⚠️ {exc.message}", pd.DataFrame({"month": [], "articles": []})
    span = (
        f"{(stats['earliest'] or '')[:10]} to {(stats['latest'] or '')[:10]}"
        if stats["earliest"]
        else "no dates"
    )
    text = (
        f"**{stats['articles']:,}** articles · **{stats['chunks']:,}** passages · "
        f"**{stats['sources']:,}** outlets · published {span}"
    )
    return text, pd.DataFrame(months or {"month": [], "articles": []})


def example_questions(assistant: Assistant) -> list[str]:
    """The questions offered on the empty chat: the configured ones, else one about each of the
    archive's newest articles (none for an empty archive)."""
    if assistant.settings.example_questions:
        return list(assistant.settings.example_questions)
    try:
        newest = assistant.newest(3)
    except NewsdeskError:
        return []
    return [
        f"What did {p.source} report in “{p.title}”?"
        if p.source
        else f"What happened in “{p.title}”?"
        for p in newest
        if p.title
    ]


def upload_files(assistant: Assistant, paths: list[str] | None, progress: Any = None) -> str:
    """The archive tab's upload: ingest the files the browser sent (qa.uploads checks, renames
    and stores them), reporting progress; a Markdown summary with every per-file error."""
    from qa.uploads import ingest_uploads

    if not paths:
        return "Choose files to add first."

    def tick(state: IngestProgress) -> None:
        if progress is not None:
            done = state.articles / state.total if state.total else None
            progress(done, desc=f"{state.articles:,} articles read, {state.passages:,} passages")

    from contextlib import ExitStack

    try:
        with ExitStack() as stack:
            files = [(Path(p).name, stack.enter_context(Path(p).open("rb"))) for p in paths]
            report = ingest_uploads(assistant, files, tick)
    except NewsdeskError as exc:
        return f"⚠️ {exc.message}" + (f"\n\n_{exc.hint}_" if exc.hint else "")
    lines = [
        f"**{report.added}** added · **{report.updated}** updated · "
        f"**{report.unchanged}** unchanged · **{report.duplicate}** wire copies · "
        f"**{report.passages}** passages · **{report.failed}** failed · {report.seconds:.1f} s"
    ]
    lines += [f"- ⚠️ {markdown_text(f)}" for f in report.failures]
    return "\n".join(lines)


def create_app(assistant: Assistant) -> gr.Blocks:
    """The chat page (filters panel, streamed answers with numbered sources, a sources and
    evidence panel) and the archive tab (counts, coverage per month, uploads)."""
    import gradio as gr

    from qa.uploads import allowed_suffixes

    examples = example_questions(assistant)
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=1, min_width=220, elem_id="filters"):
                gr.Markdown("### Filters\nThey apply to the next question.")
                outlets = gr.Dropdown(
                    choices=_outlets(assistant),
                    multiselect=True,
                    label="Outlets",
                    elem_id="outlets",
                )
                since = gr.Textbox(label="Published since", placeholder="2023-10-01")
                until = gr.Textbox(label="Published until", placeholder="2023-12-31")
                as_of = gr.Textbox(
                    label="As of",
                    placeholder="2023-11-15",
                    info="Read the archive as it stood on this date.",
                    elem_id="as-of",
                )
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Answers",
                    height=520,
                    elem_id="chat",
                    examples=[{"text": q} for q in examples] or None,
                    placeholder="Ask about the archive; every claim comes with its source.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="e.g. Who did Sullivan reportedly speak with?",
                        show_label=False,
                        scale=8,
                        elem_id="question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Accordion("Export", open=False):
                    export = gr.Button("Export the latest answer (Markdown)", elem_id="export")
                    exported = gr.File(label="Exported answer", elem_id="exported", height=80)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(format_sources_html(None), elem_id="sources")
        with gr.Tab("Archive"):
            summary = gr.Markdown(elem_id="archive-summary")
            per_month = gr.BarPlot(
                x="month", y="articles", title="Articles per month", elem_id="coverage"
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

        def respond(
            message: str,
            history: list[Message],
            outlets: list[str] | None = None,
            since: str = "",
            until: str = "",
            as_of: str = "",
        ) -> Iterator[tuple[str, list[Message], str]]:
            filters = turn_filters(outlets, since or "", until or "", as_of or "")
            yield from answer_turn_stream(assistant, message, history, filters)

        turn_inputs = [box, chat, outlets, since, until, as_of]
        gr.on([box.submit, send.click], respond, turn_inputs, [box, chat, sources], api_name="ask")

        def pick_example(evt: gr.SelectData) -> str:
            return str(evt.value.get("text", "")) if isinstance(evt.value, dict) else ""

        # Gradio finds the event parameter by its annotation, which must be the class itself.
        pick_example.__annotations__["evt"] = gr.SelectData

        chat.example_select(pick_example, None, [box], api_visibility="private").then(
            respond, turn_inputs, [box, chat, sources], api_visibility="private"
        )
        export.click(export_markdown, [chat], [exported], api_name="export")

        def archive() -> tuple[str, Any]:
            return archive_summary(assistant)

        def add_files(
            paths: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[str, Any]:
            report = upload_files(assistant, paths, progress)
            return report, gr.update(choices=_outlets(assistant))

        demo.load(archive, None, [summary, per_month], api_name=False)
        refresh.click(archive, None, [summary, per_month], api_name="archive")
        ingest.click(add_files, [uploads], [ingested, outlets], api_name="ingest").then(
            archive, None, [summary, per_month], api_name=False
        )
    return demo


def _outlets(assistant: Assistant) -> list[str]:
    try:
        return assistant.sources()
    except NewsdeskError:
        return []


def build_server(assistant: Assistant, host: str = "127.0.0.1") -> Any:
    """The ASGI app: the HTTP API (qa.http_api) with the web chat mounted at /.

    Raises ConfigError when `host` is beyond loopback and no authentication is configured.
    """
    import gradio as gr

    from qa.http_api import build_api, check_bind, load_users

    settings = assistant.settings
    secret = settings.auth.get_secret_value() if settings.auth else None
    users = load_users(secret, settings.auth_file)
    check_bind(host, users, settings.insecure_no_auth)
    api = build_api(assistant, users)
    return gr.mount_gradio_app(
        api,
        create_app(assistant).queue(),
        path="/",
        css=CSS,
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
    """Load the models, then serve the chat and the API until interrupted."""
    import uvicorn

    _cap_malloc_arenas()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    server = build_server(assistant, host)  # refuses an unsafe bind before loading anything
    _ = assistant.embedder, assistant.store  # load before the first question, not during it
    print(f"newsdesk: serving the web chat and API on http://{host}:{port}", flush=True)
    uvicorn.run(server, host=host, port=port, log_level="warning")


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

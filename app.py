"""The web chat: `create_app(assistant)` builds the Gradio Blocks; `python app.py` serves it."""

from __future__ import annotations

import argparse
import html
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import NewsdeskError

if TYPE_CHECKING:
    import gradio as gr

    from qa.assistant import Assistant
    from qa.types import Answer

log = logging.getLogger("newsdesk.app")

TITLE = "newsdesk"
INTRO = (
    "Ask a question about the archive. Every claim carries a numbered citation to the passage "
    "it comes from; when the archive does not answer, newsdesk says so."
)
Message = dict[str, str]


def format_sources_markdown(answer: Answer) -> str:
    """Numbered sources for the chat bubble: title (linked), outlet, date, author, cited passage."""
    lines = []
    for c in answer.citations:
        p = c.passage
        title = f"[{p.title}]({p.url})" if p.url else p.title
        meta = " · ".join(x for x in (p.source, (p.published_at or "")[:10], p.author) if x)
        lines.append(f"**[{c.n}]** {title}" + (f" — {meta}" if meta else ""))
        if p.also:
            copies = ", ".join(
                f"[{a.get('source') or a.get('url')}]({a['url']})"
                if a.get("url")
                else str(a.get("source"))
                for a in p.also
            )
            lines.append(f"_also ran in: {copies}_")
        lines.append(f"> {c.quote}")
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


def format_sources_html(answer: Answer | None) -> str:
    """The side panel: each cited passage in full, the quoted sentence highlighted; below, the
    evidence view."""
    if answer is None:
        return "<p class='nd-empty'>Sources of the latest answer appear here.</p>"
    if not answer.citations:
        return "<p class='nd-empty'>No sources cited.</p>" + format_evidence_html(answer)
    blocks = []
    for c in answer.citations:
        p = c.passage
        esc_text = html.escape(p.text)
        esc_quote = html.escape(c.quote)
        body = esc_text.replace(esc_quote, f"<mark>{esc_quote}</mark>", 1)
        title = html.escape(p.title)
        if p.url:
            title = f"<a href='{html.escape(p.url, quote=True)}' target='_blank'>{title}</a>"
        meta = " · ".join(
            html.escape(x) for x in (p.source, (p.published_at or "")[:10], p.author) if x
        )
        blocks.append(
            f"<div class='nd-source'><div><b>[{c.n}]</b> {title}</div>"
            f"<div class='nd-meta'>{meta}</div><p>{body}</p></div>"
        )
    return "\n".join(blocks) + format_evidence_html(answer)


def answer_turn(
    assistant: Assistant,
    message: str,
    history: list[Message] | None,
    sources: list[str] | None = None,
    since: str = "",
    until: str = "",
) -> tuple[str, list[Message], str]:
    """One chat turn: (cleared textbox, history with the reply, sources panel HTML).

    `sources`, `since` and `until` restrict the search (outlets; ISO dates). Errors become a
    readable reply, never a traceback.
    """
    from qa.types import SearchFilters

    history = list(history or [])
    if not message or not message.strip():
        return "", history, format_sources_html(None)
    history.append({"role": "user", "content": message})
    answer: Answer | None = None
    try:
        filters = SearchFilters(
            tuple(sources or ()), (), since.strip() or None, until.strip() or None
        )
        # Follow-ups ("what did he say next?") are made standalone from the conversation.
        answer = assistant.chat(history, filters=filters or None)
        reply = answer.text
        if answer.standalone_question and answer.standalone_question != message.strip():
            reply = f"_Searched for: {answer.standalone_question}_\n\n{reply}"
        if answer.citations:
            reply += "\n\n**Sources**\n\n" + format_sources_markdown(answer)
    except NewsdeskError as exc:
        reply = f"⚠️ {exc.message}" + (f"\n\n_{exc.hint}_" if exc.hint else "")
    except Exception as exc:  # the web boundary: log it, show a readable message
        log.exception("question failed")
        reply = f"⚠️ Something went wrong while answering: {exc}"
    history.append({"role": "assistant", "content": reply})
    return "", history, format_sources_html(answer)


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


def create_app(assistant: Assistant) -> gr.Blocks:
    """The chat page (question box, answers with numbered sources, sources and evidence panel)
    and the archive tab (counts, date span, articles per month)."""
    import gradio as gr

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Answers", height=520, elem_id="chat")
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
                with gr.Accordion("Filters", open=False):
                    outlets = gr.Dropdown(
                        choices=_outlets(assistant),
                        multiselect=True,
                        label="Outlets",
                        elem_id="outlets",
                    )
                    with gr.Row():
                        since = gr.Textbox(label="Published since", placeholder="2023-10-01")
                        until = gr.Textbox(label="Published until", placeholder="2023-12-31")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(format_sources_html(None), elem_id="sources")
        with gr.Tab("Archive"):
            summary = gr.Markdown(elem_id="archive-summary")
            per_month = gr.BarPlot(
                x="month", y="articles", title="Articles per month", elem_id="coverage"
            )
            refresh = gr.Button("Refresh", size="sm")

        def respond(
            message: str,
            history: list[Message],
            outlets: list[str] | None = None,
            since: str = "",
            until: str = "",
        ) -> tuple[str, list[Message], str]:
            return answer_turn(assistant, message, history, outlets, since or "", until or "")

        gr.on(
            [box.submit, send.click],
            respond,
            [box, chat, outlets, since, until],
            [box, chat, sources],
            api_name="ask",
        )
        export.click(export_markdown, [chat], [exported], api_name="export")

        def archive() -> tuple[str, Any]:
            return archive_summary(assistant)

        demo.load(archive, None, [summary, per_month], api_name=False)
        refresh.click(archive, None, [summary, per_month], api_name="archive")
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
    return gr.mount_gradio_app(api, create_app(assistant).queue(), path="/", css=CSS)


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Load the models, then serve the chat and the API until interrupted."""
    import uvicorn

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

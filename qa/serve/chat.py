"""The web chat's turn: a question answered (streamed) with the filters of the panel, the
conversation carried into follow-ups, and the conversation exported.

What a reply shows is rendered by qa.answers.citations, an error by qa.serve.errors; app.py lays
out the page and wires these in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answers.citations import (
    Turn,
    conversation_markdown,
    filters_markdown,
    markdown_text,
    reply_markdown,
    sources_html,
)
from qa.errors import NewsdeskError
from qa.serve.errors import error_markdown

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.types import Answer, SearchFilters

log = logging.getLogger("newsdesk.app")

Message = dict[str, str]


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
        header = f"{filters_markdown(described)}\n\n" if described else ""
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
        text, error = error_markdown(exc), str(exc)
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


def outlet_choices(assistant: Assistant) -> list[str]:
    """The outlets the filter panel offers: every outlet of the archive (none when it fails)."""
    try:
        return assistant.sources()
    except NewsdeskError:
        return []

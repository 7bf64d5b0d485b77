"""How the server shows a NewsdeskError: one renderer for each of its surfaces.

- The HTTP APIs (JSON): :func:`error_json`, ``{"error": {message, hint}}`` (and ``field`` for a
  filter), the body of every error the API answers, of an error in an open event stream, of the
  status of a server whose models failed to load and of one that failed to start.
- The web chat (Gradio renders Markdown): :func:`error_markdown`, in chat replies, the archive
  tab and the note under a date field.
- Pages of plain HTML (the article view, a server that failed to start): :func:`error_html`.

The terminal's rendering (the CLI, ``python -m`` commands) is qa.errors.error_text.
"""

from __future__ import annotations

import html
from typing import Any

from qa.answers.citations import markdown_text
from qa.errors import NewsdeskError

# What the filter panel's fields are called on the page, to name them in errors.
FIELD_LABELS = {
    "sources": "Outlets",
    "authors": "Authors",
    "since": "Published since",
    "until": "Published until",
    "as_of": "As of",
}


def error_json(exc: NewsdeskError, **more: Any) -> dict[str, Any]:
    """The HTTP APIs' rendering: ``{"error": {message, hint, ...}}`` (`more`: extra fields, as
    the OpenAI-compatible API's ``type`` and ``code``). The status is the class's
    ``http_status``, or 500 for a server that failed to start."""
    return {"error": {**exc.to_dict(), **more}}


def error_markdown(exc: NewsdeskError, label: bool = True) -> str:
    """The web chat's rendering: a warning, the filter control it concerns (unless `label` is
    False, as under the control itself), the message and the hint, as Markdown."""
    name = FIELD_LABELS.get(getattr(exc, "field", ""), "") if label else ""
    where = f"**{name}:** " if name else ""
    hint = f"\n\n_{markdown_text(exc.hint)}_" if exc.hint else ""
    return f"⚠️ {where}{markdown_text(exc.message)}{hint}"


def error_html(exc: NewsdeskError) -> str:
    """The rendering in a page of plain HTML: the message, then the hint as a note (both
    escaped), for the page's body under its heading."""
    hint = f"<p class='meta'>{html.escape(exc.hint)}</p>" if exc.hint else ""
    return f"<p>{html.escape(exc.message)}.</p>{hint}"

"""The HTTP API, served beside the web chat by the same server (FastAPI; OpenAPI at /openapi.json,
interactive docs at /docs).

- ``POST /api/ask`` ``{question, filters?, history?}`` -> the ``ask --json`` object, plus
  ``standalone_question`` (a follow-up rewritten with the history's context).
- ``GET /api/search?q=...&k=10&source=...&since=...&until=...`` -> the ``search --json`` list.
- ``GET /api/stats`` -> the ``stats --json`` object.
- ``POST /v1/chat/completions`` -> OpenAI-compatible (``stream: true`` streams server-sent
  events); the citations ride in the extra field ``newsdesk`` of the response (of the last
  chunk when streaming): ``{refused, standalone_question, citations: [...]}`` as in ``ask --json``.
- ``GET /v1/models`` -> the one model, ``newsdesk``.

Errors are JSON ``{"error": {"message", "hint"}}`` with status 400 (bad request), 409 (empty
index) or 503 (a backend such as the Chroma server is unreachable).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from qa.errors import ConfigError, EmptyIndexError, NewsdeskError, StoreError
from qa.types import Answer, SearchFilters, search_rows

if TYPE_CHECKING:
    from fastapi import FastAPI

    from qa.assistant import Assistant

MODEL_ID = "newsdesk"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FiltersIn(BaseModel):
    """Search filters: exact outlet names, authors, an inclusive ISO date range."""

    sources: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    since: str | None = None
    until: str | None = None

    def to_filters(self) -> SearchFilters | None:
        f = SearchFilters(tuple(self.sources), tuple(self.authors), self.since, self.until)
        return f or None


class MessageIn(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=20_000)
    filters: FiltersIn | None = None
    history: list[MessageIn] = Field(
        default_factory=list, description="Earlier turns, oldest first, for follow-up questions."
    )


class ChatIn(BaseModel):
    """The fields of an OpenAI chat-completion request newsdesk reads (others are ignored)."""

    model: str = MODEL_ID
    messages: list[MessageIn] = Field(min_length=1)
    stream: bool = False
    newsdesk_filters: FiltersIn | None = Field(
        default=None, description="Optional newsdesk search filters (an extension)."
    )


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``ask --json`` object, always with ``standalone_question``."""
    return {**answer.to_dict(), "standalone_question": answer.standalone_question}


def chat_markdown(answer: Answer) -> str:
    """The answer text with a numbered source list, for chat front ends that show plain text."""
    if not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:"]
    for c in answer.citations:
        p = c.passage
        meta = ", ".join(x for x in (p.source, (p.published_at or "")[:10]) if x)
        lines.append(f"[{c.n}] {p.title} ({meta}) {p.url or ''}".rstrip())
    return "\n".join(lines)


def load_users(auth: str | None, auth_file: Path | None) -> dict[str, str]:
    """user -> password from NEWSDESK_AUTH ('user:password', comma-separated for several) and
    from an auth file (one 'user:password' per line; '#' starts a comment)."""
    entries = [e for e in (auth or "").split(",") if e.strip()]
    if auth_file is not None:
        try:
            lines = auth_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"Cannot read the auth file {auth_file}: {exc}") from exc
        entries += [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    users: dict[str, str] = {}
    for entry in entries:
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise ConfigError(
                "Auth entries must be 'user:password'", "fix NEWSDESK_AUTH or the auth file"
            )
        users[user] = password
    return users


def check_bind(host: str, users: dict[str, str], insecure_no_auth: bool) -> None:
    """Refuse to listen beyond loopback without authentication (or the explicit opt-out)."""
    if host in LOOPBACK or users or insecure_no_auth:
        return
    raise ConfigError(
        f"Refusing to serve on {host} without authentication: anyone who can reach this "
        "address could read the archive and use the server",
        "set NEWSDESK_AUTH=user:password (or NEWSDESK_AUTH_FILE), or pass --insecure-no-auth "
        "if the network is trusted",
    )


def authorized(header: str | None, users: dict[str, str]) -> bool:
    """Whether an Authorization header carries a known user: HTTP Basic, or a Bearer token of
    the form 'user:password' (what OpenAI clients send as their API key)."""
    if not users:
        return True
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    user, _, password = value.strip().partition(":")
    expected = users.get(user)
    return expected is not None and hmac.compare_digest(expected, password)


def _error(status: int, exc: NewsdeskError) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": exc.message, "hint": exc.hint}}, status_code=status)


def build_api(assistant: Assistant, users: dict[str, str] | None = None) -> FastAPI:
    """The FastAPI app with the routes of the module docstring (the chat UI mounts on it)."""
    from fastapi import FastAPI, Query, Request
    from fastapi.responses import JSONResponse, Response, StreamingResponse

    users = users or {}
    api = FastAPI(
        title="newsdesk",
        version="0.1.0",
        description="Questions over a news archive, answered with numbered citations.",
    )

    @api.middleware("http")
    async def require_auth(request: Request, call_next: Any) -> Any:
        if users and not authorized(request.headers.get("authorization"), users):
            return Response(
                "Authentication required",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="newsdesk"'},
            )
        return await call_next(request)

    @api.exception_handler(NewsdeskError)
    async def newsdesk_error(_request: Request, exc: NewsdeskError) -> Any:
        if isinstance(exc, EmptyIndexError):
            return _error(409, exc)
        if isinstance(exc, StoreError):
            return _error(503, exc)
        return _error(400, exc)

    @api.post("/api/ask", tags=["newsdesk"])
    def ask(body: AskIn) -> Any:
        """Answer a question (with optional filters and earlier turns) with citations."""
        filters = body.filters.to_filters() if body.filters else None
        history = [m.model_dump() for m in body.history if m.role != "system"]
        messages = [*history, {"role": "user", "content": body.question}]
        answer = assistant.chat(messages, filters)
        return JSONResponse(answer_json(answer))

    @api.get("/api/search", tags=["newsdesk"])
    def search(
        q: str = Query(min_length=1, max_length=20_000),
        k: int = Query(default=10, ge=1, le=100),
        source: list[str] = Query(default_factory=list),  # noqa: B008
        author: list[str] = Query(default_factory=list),  # noqa: B008
        since: str | None = None,
        until: str | None = None,
    ) -> Any:
        """Ranked passages for a query, as `newsdesk search --json` prints them."""
        filters = SearchFilters(tuple(source), tuple(author), since, until) or None
        return JSONResponse(search_rows(assistant.search(q, k=k, filters=filters)))

    @api.get("/api/stats", tags=["newsdesk"])
    def stats() -> Any:
        """Counts of articles, passages and outlets, and the date span."""
        return JSONResponse(assistant.stats())

    @api.get("/v1/models", tags=["openai"])
    def models() -> Any:
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": MODEL_ID, "object": "model", "owned_by": "newsdesk"}],
            }
        )

    @api.post("/v1/chat/completions", tags=["openai"])
    def chat_completions(body: ChatIn) -> Any:
        """OpenAI-compatible chat: the last user message is answered from the archive."""
        messages = [m.model_dump() for m in body.messages if m.role != "system"]
        filters = body.newsdesk_filters.to_filters() if body.newsdesk_filters else None
        answer = assistant.chat(messages, filters)
        extra = {
            "refused": answer.refused,
            "standalone_question": answer.standalone_question,
            "citations": [c.to_dict() for c in answer.citations],
        }
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        content = chat_markdown(answer)
        if not body.stream:
            return JSONResponse(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": MODEL_ID,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    "newsdesk": extra,
                }
            )
        return StreamingResponse(_sse(cid, created, content, extra), media_type="text/event-stream")

    return api


def _sse(cid: str, created: int, content: str, extra: dict[str, Any]) -> Iterator[str]:
    """chat.completion.chunk events: the role, the content in pieces, the stop with `newsdesk`."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **more,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = content.split(" ")
    for i in range(0, len(words), 8):
        piece = " ".join(words[i : i + 8]) + (" " if i + 8 < len(words) else "")
        yield chunk({"content": piece})
    yield chunk({}, "stop", newsdesk=extra)
    yield "data: [DONE]\n\n"

"""The HTTP API, served beside the web chat by the same server (FastAPI; OpenAPI at /openapi.json,
interactive docs at /docs).

- ``POST /api/ask`` ``{question, filters?, history?}`` -> the ``ask --json`` object, plus
  ``standalone_question`` (a follow-up rewritten with the history's context).
- ``GET /api/search?q=...&k=10&source=...&since=...&until=...`` -> the ``search --json`` list.
- ``GET /api/stats`` -> the ``stats --json`` object.
- ``GET /api/articles/{article_id}`` -> one article whole: title, outlet, byline, date, link,
  body, and the other outlets that ran it (``also``).
- ``GET /article/{article_id}?start=&end=`` -> the article as a page, characters start..end (a
  citation's ``quote_start``/``quote_end``) highlighted; every bit of article text is escaped.
- ``POST /api/ingest`` (multipart ``files``) -> the ``ingest --json`` report; uploads are checked
  and stored as qa.uploads describes.
- ``POST /v1/chat/completions`` -> OpenAI-compatible (``stream: true`` streams server-sent
  events); the citations ride in the extra field ``newsdesk`` of the response (of the last
  chunk when streaming): ``{refused, standalone_question, citations: [...]}`` as in ``ask --json``.
- ``GET /v1/models`` -> the one model, ``newsdesk``.

Errors are JSON ``{"error": {"message", "hint"}}`` with status 400 (bad request), 404 (no such
article), 409 (empty index), 413 (upload too large), 422 (a field missing or out of range) or
503 (a backend such as the Chroma server is unreachable).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from starlette.requests import Request  # a route parameter: FastAPI must resolve the name

from qa.errors import ConfigError, EmptyIndexError, NewsdeskError, NotFoundError, StoreError
from qa.text import is_web_url
from qa.types import Answer, Article, SearchFilters, search_rows

if TYPE_CHECKING:
    from fastapi import FastAPI

    from qa.assistant import Assistant

MODEL_ID = "newsdesk"
MAX_FILES_PER_UPLOAD = 20
UPLOAD_HINT = (
    f"send at most {MAX_FILES_PER_UPLOAD} files per request, each within the upload limit "
    "(NEWSDESK_MAX_UPLOAD_MB); ingest large archives with `newsdesk ingest PATH`"
)
UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": ["files"],
                }
            }
        },
    }
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FiltersIn(BaseModel):
    """Search filters: exact outlet names, authors, an inclusive ISO date range, and an "as of"
    date (nothing published after it is read)."""

    sources: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    since: str | None = None
    until: str | None = None
    as_of: str | None = None

    def to_filters(self) -> SearchFilters | None:
        f = SearchFilters(
            tuple(self.sources), tuple(self.authors), self.since, self.until, self.as_of
        )
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


def article_json(article: Article) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "published_at": article.published_at,
        "url": article.url,
        "body": article.body,
        "also": article.also,
    }


ARTICLE_CSS = """
body {font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em;
      line-height: 1.5;}
.meta {color: #555;} .body {white-space: pre-wrap;} mark {background: #ffe066;}
"""


def article_page(article: Article, start: int | None = None, end: int | None = None) -> str:
    """The article as an HTML page, body characters `start:end` highlighted (id ``hl``).

    Every piece of article text is escaped: markup in an article shows as text, never runs.
    """
    body = article.body
    if start is not None and end is not None and 0 <= start < end <= len(body):
        text = (
            html.escape(body[:start])
            + f"<mark id='hl'>{html.escape(body[start:end])}</mark>"
            + html.escape(body[end:])
        )
    else:
        text = html.escape(body)
    title = html.escape(article.title or "(untitled)")
    meta = " · ".join(
        html.escape(x)
        for x in (article.source, (article.published_at or "")[:10], article.author)
        if x
    )
    link = (
        f"<p><a href='{html.escape(article.url, quote=True)}' rel='noopener noreferrer'>"
        f"{html.escape(article.url)}</a></p>"
        if article.url and is_web_url(article.url)
        else ""
    )
    also = ", ".join(html.escape(str(a.get("source") or a.get("url") or "")) for a in article.also)
    also_html = f"<p class='meta'>Also published by: {also}</p>" if also else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{ARTICLE_CSS}</style></head><body>"
        f"<h1>{title}</h1><p class='meta'>{meta}</p>{link}{also_html}"
        f"<div class='body' id='article-body'>{text}</div></body></html>"
    )


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
    from fastapi import FastAPI, Query
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

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

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Any:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        hint = "see the schema at /docs"
        return _error(422, NewsdeskError(f"Invalid request: {problems}", hint))

    @api.exception_handler(NewsdeskError)
    async def newsdesk_error(_request: Request, exc: NewsdeskError) -> Any:
        if isinstance(exc, EmptyIndexError):
            return _error(409, exc)
        if isinstance(exc, NotFoundError):
            return _error(404, exc)
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
        as_of: str | None = None,
    ) -> Any:
        """Ranked passages for a query, as `newsdesk search --json` prints them."""
        filters = SearchFilters(tuple(source), tuple(author), since, until, as_of) or None
        return JSONResponse(search_rows(assistant.search(q, k=k, filters=filters)))

    @api.get("/api/stats", tags=["newsdesk"])
    def stats() -> Any:
        """Counts of articles, passages and outlets, and the date span."""
        return JSONResponse(assistant.stats())

    @api.get("/api/articles/{article_id}", tags=["newsdesk"])
    def article(article_id: str) -> Any:
        """One article whole: title, outlet, byline, date, link, body, wire copies."""
        return JSONResponse(article_json(assistant.article(article_id)))

    @api.get("/article/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_view(article_id: str, start: int | None = None, end: int | None = None) -> Any:
        """The article as a page with characters start..end highlighted."""
        page = article_page(assistant.article(article_id), start, end)
        # The page runs nothing: no scripts at all, and no inline ones even if escaping failed.
        csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
        return HTMLResponse(page, headers={"Content-Security-Policy": csp})

    max_request = assistant.settings.max_upload_mb * 1_000_000 * MAX_FILES_PER_UPLOAD

    @api.post("/api/ingest", tags=["newsdesk"], openapi_extra=UPLOAD_SCHEMA)
    async def ingest(request: Request) -> Any:
        """Upload archive files (multipart field `files`) and ingest them; the report lists
        every refused or failed file."""
        from starlette.concurrency import run_in_threadpool

        from qa.uploads import ingest_uploads

        if int(request.headers.get("content-length") or 0) > max_request:
            return _error(413, NewsdeskError("The upload is too large", UPLOAD_HINT))
        form = await request.form(max_files=MAX_FILES_PER_UPLOAD)
        files = [f for f in form.getlist("files") if not isinstance(f, str)]
        if not files:
            raise NewsdeskError("No files in the upload", "send them as multipart field 'files'")
        try:
            report = await run_in_threadpool(
                ingest_uploads, assistant, [(f.filename or "upload", f.file) for f in files]
            )
        finally:
            await form.close()
        return JSONResponse(report.to_dict())

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

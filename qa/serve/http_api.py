"""The HTTP API, served beside the web chat by the same server (FastAPI; OpenAPI at /openapi.json,
interactive docs at /docs).

- ``POST /api/ask`` ``{question, filters?, history?}`` -> the ``ask --json`` object, plus
  ``standalone_question`` (a follow-up rewritten with the history's context).
- ``GET /api/search?q=...&k=10&source=...&since=...&until=...`` -> the ``search --json`` list.
- ``GET /api/stats`` -> the ``stats --json`` object.
- ``GET /api/articles/{article_id}`` -> one article whole: title, outlet, byline, date, link,
  body, and the other outlets that ran it (``also``). Any id works, URLs included: send it
  percent-encoded as one path segment (``quote(id, safe="")``) or as it is.
- ``GET /article/{article_id}?start=&end=`` -> the article as a page (outlet, date, byline, a
  link to the original and back to the chat, its paragraphs), characters start..end (a
  citation's ``quote_start``/``quote_end``) highlighted; every bit of article text is escaped.
- ``GET /api/status`` -> ``{ready, status}``: whether the models and the index are loaded (the
  server answers at once and loads them in the background; other requests wait for them).
- ``POST /api/ingest`` (multipart ``files``) -> the ``ingest --json`` report; uploads are checked
  and stored as qa.serve.uploads describes.
- ``POST /v1/chat/completions`` -> OpenAI-compatible. The content is the answer as Markdown
  with its numbered sources (qa.answers.citations); ``usage`` counts word pieces of the embedding
  model's tokenizer. ``stream: true`` sends server-sent events: the text as the answerer writes
  it (an LLM answerer's tokens as they come; the extractive answer whole), then the sources, or
  the checked answer when the checks changed what the model wrote. The citations ride in the
  extra field ``newsdesk`` of the response (of the last chunk when streaming):
  ``{refused, standalone_question, citations: [...]}`` as in ``ask --json``. A model other than
  ``newsdesk`` is a 404 (``model_not_found``), as OpenAI answers.
- ``GET /v1/models`` -> the one model, ``newsdesk``.
- ``GET /docs`` and ``/redoc``: the interactive docs, their scripts served by this server
  (package ``fastapi-offline``), so they work offline.

Errors are JSON ``{"error": {"message", "hint"}}`` with status 400 (bad request; a bad filter
also names its ``field``), 404 (no such article or model), 409 (empty index), 413 (upload too
large), 422 (a field missing or out of range) or 503 (a backend such as the Chroma server is
unreachable).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from starlette.requests import Request  # a route parameter: FastAPI must resolve the name

from qa.answers.citations import (
    also_html,
    answer_markdown,
    cited_numbers,
    highlight_html,
    is_web_url,
    markdown_text,
    strip_markers,
)
from qa.errors import (
    ConfigError,
    InvalidRequestError,
    NewsdeskError,
    NotFoundError,
    TooLargeError,
)
from qa.serve.errors import error_html, error_json
from qa.types import Answer, Article, SearchFilters, search_rows

if TYPE_CHECKING:
    from fastapi import FastAPI

    from qa.assistant import Assistant
    from qa.serve.startup import Warmup

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
# Routes that read the archive wait for the warm-up (qa.serve.startup.Warmup); the others answer
# at once.
_WAITS_FOR_MODELS = ("/api/", "/v1/", "/article/")


class FiltersIn(BaseModel):
    """Search filters: outlet names (any case or punctuation: "techcrunch"), authors, an
    inclusive ISO date range, and an "as of" date (nothing published after it is read)."""

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


class TextPart(BaseModel):
    type: Literal["text"] = "text"
    text: str


class MessageIn(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] = Field(description="Text, or a list of text parts.")

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content)

    def turn(self) -> dict[str, str]:
        return {"role": self.role, "content": self.text()}


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=20_000)
    filters: FiltersIn | None = None
    history: list[MessageIn] = Field(
        default_factory=list, description="Earlier turns, oldest first, for follow-up questions."
    )


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatIn(BaseModel):
    """The fields of an OpenAI chat-completion request newsdesk reads (others are ignored)."""

    model: str = MODEL_ID
    messages: list[MessageIn] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    newsdesk_filters: FiltersIn | None = Field(
        default=None, description="Optional newsdesk search filters (an extension)."
    )


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``ask --json`` object, always with ``standalone_question``."""
    return {**answer.to_dict(), "standalone_question": answer.standalone_question}


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
body {font-family: system-ui, sans-serif; max-width: 46em; margin: 1.5em auto; padding: 0 1em;
      line-height: 1.55; color: #222;}
nav a {font-size: 0.95em;} h1 {line-height: 1.25; margin: 0.6em 0 0.3em;}
.meta, .nd-meta {color: #555; margin: 0.2em 0;} .body p {margin: 0 0 1em; white-space: pre-wrap;}
mark {background: #ffe066; padding: 0 1px; scroll-margin-top: 45vh;}
.original {word-break: break-all;}
"""
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def paragraphs(body: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of `body`: the text between blank lines."""
    spans, start = [], 0
    for m in _PARAGRAPH_BREAK.finditer(body):
        if body[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if body[start:].strip():
        spans.append((start, len(body)))
    return spans


def article_page(
    article: Article, start: int | None = None, end: int | None = None, chat_url: str = "/"
) -> str:
    """The article as an HTML page: a link back to the chat, title, outlet, date and byline, a
    link to the original, the outlets that also ran it, and the body's paragraphs with
    characters `start:end` highlighted (the first highlighted piece has id ``hl``).

    Every piece of article text is escaped: markup in an article shows as text, never runs.
    """
    body = article.body
    span = (start, end) if start is not None and end is not None else None
    if span and not 0 <= span[0] < span[1] <= len(body):
        span = None
    blocks, marked = [], False
    for a, b in paragraphs(body):
        if span and span[0] < b and span[1] > a:
            lo, hi = max(span[0], a) - a, min(span[1], b) - a
            blocks.append(f"<p>{highlight_html(body[a:b], lo, hi, '' if marked else 'hl')}</p>")
            marked = True
        else:
            blocks.append(f"<p>{html.escape(body[a:b])}</p>")
    title = html.escape(article.title or "(untitled)")
    meta = " · ".join(
        html.escape(x)
        for x in (
            article.source,
            (article.published_at or "")[:10],
            article.author and f"By {article.author}",
        )
        if x
    )
    url = article.url if article.url and is_web_url(article.url) else ""
    link = (
        f"<p class='meta'>Original: <a class='original' href='{html.escape(url, quote=True)}' "
        f"rel='noopener noreferrer'>{html.escape(url)}</a></p>"
        if url
        else ""
    )
    back = (
        f"<nav><a id='back' href='{html.escape(chat_url, quote=True)}'>← Back to the chat</a></nav>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{ARTICLE_CSS}</style></head><body>{back}"
        f"<article><h1>{title}</h1><p class='meta' id='byline'>{meta}</p>{link}"
        f"{also_html(article.also)}"
        f"<div class='body' id='article-body'>{''.join(blocks)}</div></article></body></html>"
    )


def missing_page(exc: NewsdeskError, chat_url: str = "/") -> str:
    """The article view's page for an id the index does not hold."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>No such article</title><style>{ARTICLE_CSS}</style></head><body>"
        f"<nav><a id='back' href='{html.escape(chat_url, quote=True)}'>← Back to the chat</a>"
        f"</nav><h1>No such article</h1>{error_html(exc)}</body></html>"
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


def _error(exc: NewsdeskError, **more: Any) -> Any:
    """An error as the API answers it: its JSON rendering (qa.serve.errors) with the status its
    class carries."""
    from fastapi.responses import JSONResponse

    return JSONResponse(error_json(exc, **more), status_code=exc.http_status)


def _usage(assistant: Assistant, messages: list[dict[str, str]], content: str) -> dict[str, int]:
    """Token counts of a chat completion, in word pieces of the embedding model's tokenizer."""
    count = assistant.embedder.count_tokens
    prompt = sum(count(m["content"]) for m in messages)
    completion = count(content)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def build_api(
    assistant: Assistant, users: dict[str, str] | None = None, warmup: Warmup | None = None
) -> FastAPI:
    """The FastAPI app with the routes of the module docstring (the chat UI mounts on it).

    With a `warmup`, routes that read the archive wait until it has loaded the models.
    """
    from fastapi import Query
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
    from fastapi_offline import FastAPIOffline
    from starlette.concurrency import run_in_threadpool

    users = users or {}
    api = FastAPIOffline(
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
        path = request.url.path
        if (
            warmup is not None
            and not warmup.ready
            and path.startswith(_WAITS_FOR_MODELS)
            and path != "/api/status"
        ):
            await run_in_threadpool(warmup.wait)
        return await call_next(request)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Any:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        hint = "see the schema at /docs"
        return _error(InvalidRequestError(f"Invalid request: {problems}", hint))

    @api.exception_handler(NewsdeskError)
    async def newsdesk_error(_request: Request, exc: NewsdeskError) -> Any:
        return _error(exc)

    @api.get("/api/status", tags=["newsdesk"])
    def status() -> Any:
        """Whether the server has loaded its models and index (it answers HTTP before that)."""
        return JSONResponse(warmup.status() if warmup else {"ready": True, "status": "ready"})

    @api.post("/api/ask", tags=["newsdesk"])
    def ask(body: AskIn) -> Any:
        """Answer a question (with optional filters and earlier turns) with citations."""
        filters = body.filters.to_filters() if body.filters else None
        history = [m.turn() for m in body.history if m.role in ("user", "assistant")]
        messages = [*history, {"role": "user", "content": body.question}]
        answer = assistant.chat(messages, filters)
        return JSONResponse(answer_json(answer))

    @api.get("/api/search", tags=["newsdesk"])
    def search(
        q: str = Query(min_length=1, max_length=20_000),
        k: int | None = Query(default=None, ge=1, le=100),  # None: the top_k setting
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

    @api.get("/api/articles/{article_id:path}", tags=["newsdesk"])
    def article(article_id: str) -> Any:
        """One article whole: title, outlet, byline, date, link, body, wire copies. The id may
        be a URL: percent-encode it as one path segment, or send it as it is."""
        return JSONResponse(article_json(assistant.article(article_id)))

    @api.get("/article/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_view(
        request: Request, article_id: str, start: int | None = None, end: int | None = None
    ) -> Any:
        """The article as a page with characters start..end highlighted."""
        chat = f"{request.scope.get('root_path', '')}/"
        # The page runs nothing: no scripts at all, and no inline ones even if escaping failed.
        csp = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        try:
            page = article_page(assistant.article(article_id), start, end, chat_url=chat)
        except NotFoundError as exc:
            return HTMLResponse(missing_page(exc, chat), status_code=exc.http_status, headers=csp)
        return HTMLResponse(page, headers=csp)

    max_request = assistant.settings.max_upload_mb * 1_000_000 * MAX_FILES_PER_UPLOAD

    @api.post("/api/ingest", tags=["newsdesk"], openapi_extra=UPLOAD_SCHEMA)
    async def ingest(request: Request) -> Any:
        """Upload archive files (multipart field `files`) and ingest them; the report lists
        every refused or failed file."""
        from qa.serve.uploads import ingest_uploads

        if int(request.headers.get("content-length") or 0) > max_request:
            return _error(TooLargeError("The upload is too large", UPLOAD_HINT))
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
        if body.model != MODEL_ID:
            missing = NotFoundError(
                f"The model '{body.model}' does not exist",
                f"newsdesk serves one model, '{MODEL_ID}' (GET /v1/models)",
            )
            return _error(
                missing, type="invalid_request_error", param="model", code="model_not_found"
            )
        messages = [m.turn() for m in body.messages if m.role in ("user", "assistant")]
        filters = body.newsdesk_filters.to_filters() if body.newsdesk_filters else None
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if body.stream:
            items = assistant.chat_stream(messages, filters)
            first = next(items)  # errors before the stream opens get their HTTP status
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            events = _sse(assistant, cid, created, messages, first, items, include_usage)
            return StreamingResponse(events, media_type="text/event-stream")
        answer = assistant.chat(messages, filters)
        content = answer_markdown(answer)
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
                "usage": _usage(assistant, messages, content),
                "newsdesk": _extra(answer),
            }
        )

    return api


def _extra(answer: Answer) -> dict[str, Any]:
    """The extra field ``newsdesk`` of a chat completion."""
    return {
        "refused": answer.refused,
        "standalone_question": answer.standalone_question,
        "citations": [c.to_dict() for c in answer.citations],
    }


def _sse(
    assistant: Assistant,
    cid: str,
    created: int,
    messages: list[dict[str, str]],
    first: str | Answer,
    rest: Iterator[str | Answer],
    include_usage: bool,
) -> Iterator[str]:
    """chat.completion.chunk events: the role; the text as the answerer yields it; then the
    sources (or, when the checks changed what a model wrote, the checked answer with them);
    the stop with ``newsdesk``; the usage when asked for; ``[DONE]``."""

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **more: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": choices,
            **more,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent: list[str] = []
    answer: Answer | None = None
    try:
        for item in _chain(first, rest):
            if isinstance(item, Answer):
                answer = item
            elif item:
                sent.append(item)
                yield chunk({"content": markdown_text(item)})  # a model's words, made inert
    except NewsdeskError as exc:  # the stream is open: say it in the stream, as OpenAI does
        yield f"data: {json.dumps(error_json(exc))}\n\n"
        yield "data: [DONE]\n\n"
        return
    if answer is None:
        return
    written = "".join(sent)
    final = answer_markdown(answer)
    if not written.strip():
        tail = final
    elif _same_words(written, answer.text):
        tail = final[len(answer_markdown(answer, sources=False)) :]
    else:
        tail = "\n\n---\n\n_Checked against the sources, the answer reads:_\n\n" + final
    if tail:
        yield chunk({"content": tail})
    yield chunk({}, "stop", newsdesk=_extra(answer))
    if include_usage:
        yield chunk(None, usage=_usage(assistant, messages, written + tail))
    yield "data: [DONE]\n\n"


def _same_words(written: str, checked: str) -> bool:
    """Whether the checks kept what a model wrote (citation markers aside, which they move)."""
    return strip_markers(written).split() == strip_markers(checked).split() and sorted(
        set(cited_numbers(written))
    ) == sorted(set(cited_numbers(checked)))


def _chain(first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    yield first
    yield from rest

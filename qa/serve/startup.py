"""Starting the server fast: HTTP answers within a second while the page is built and the
models load in the background.

- :class:`StartingApp` wraps the real ASGI app while it is being made (importing Gradio and
  building the page take seconds): meanwhile ``/`` answers with a page saying the model is
  loading (it reloads itself), ``/api/status`` says so, and every other request waits.
- :class:`Warmup` loads what answering needs (the embedding model, the store, the keyword index,
  the answerer) in a thread; the API's routes and the chat's events wait for it, and the chat
  shows "Loading the model" until it is done.

A failure is shown with its message and hint by the renderers of qa.serve.errors: JSON for the
APIs (``/api/status`` included), a page of HTML for the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from qa.errors import NewsdeskError
from qa.serve.errors import error_html, error_json

if TYPE_CHECKING:
    from qa.assistant import Assistant

log = logging.getLogger("newsdesk.serving")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LOADING_PAGE = """<!doctype html><html lang='en'><head><meta charset='utf-8'>
<meta name='viewport' content='width=device-width, initial-scale=1'>
<meta http-equiv='refresh' content='2'><title>newsdesk is starting</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;
color:#333}</style></head><body><h1>newsdesk</h1>
<p id='status'><b>Loading the model and the page…</b> This takes a few seconds; the page
reloads by itself.</p></body></html>"""


class Warmup:
    """Loads what answering needs in a background thread, so that the server answers HTTP at
    once; requests that need it wait (:meth:`wait`). A failure is kept for :meth:`status` and
    requests go on to meet it themselves (a Chroma server may come back)."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._done = threading.Event()
        self._started = False
        self.error: NewsdeskError | None = None
        self.seconds: float | None = None

    def start(self) -> Warmup:
        if not self._started:
            self._started = True
            threading.Thread(target=self._run, name="newsdesk-warmup", daemon=True).start()
        return self

    def _run(self) -> None:
        began = time.monotonic()
        try:
            assistant = self._assistant
            _ = assistant.embedder, assistant.store
            assistant.keyword.snapshot()
            _ = assistant.answerer
        except NewsdeskError as exc:
            self.error = exc
        except Exception as exc:  # a thread has no one to raise to: keep it for /api/status
            log.exception("loading the models failed")
            self.error = _unexpected(exc)
        finally:
            self.seconds = time.monotonic() - began
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading ended (True), or `timeout` seconds passed (False)."""
        return self._done.wait(timeout)

    def status(self) -> dict[str, Any]:
        """``{"ready": bool, "status": "loading the model" | "ready" | "failed: MESSAGE"}``;
        a failure also as the API renders errors (``"error": {message, hint}``)."""
        if not self.ready:
            return {"ready": False, "status": "loading the model"}
        if self.error:
            failed = f"failed: {self.error.message}"
            return {"ready": True, "status": failed, **error_json(self.error)}
        return {"ready": True, "status": "ready", "seconds": round(self.seconds or 0.0, 2)}


class StartingApp:
    """An ASGI app that answers at once and hands every request to the app `build` makes in a
    thread (entering that app's lifespan on the server's event loop) once it is made.

    Until then: ``GET /`` is a page saying the model is loading, ``/api/status`` says
    ``{"ready": false}``, and other requests wait. `allowed(headers)` guards both answers when
    the server requires authentication. If `build` fails, requests get a 500 with the error's
    message and hint: JSON under /api/ and /v1/, a page for the rest.
    """

    def __init__(
        self,
        build: Callable[[], Any],
        allowed: Callable[[dict[str, str]], bool] | None = None,
    ) -> None:
        self._build = build
        self._allowed = allowed
        self._app: Any = None
        self._error: NewsdeskError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._made: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._app is None and self._error is None:
            if scope["type"] == "http" and self._answer_now(scope):
                await self._early(scope, send)
                return
            if self._made is None:  # no lifespan (a bare ASGI server): make it here
                self._start_making()
            assert self._made is not None
            await self._made.wait()
        if self._app is None:
            if scope["type"] == "http" and self._error is not None:
                await _failed(scope, send, self._error)
            return
        await self._app(scope, receive, send)

    def _answer_now(self, scope: Scope) -> bool:
        return scope.get("method") == "GET" and scope.get("path") in ("/", "/api/status")

    async def _early(self, scope: Scope, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self._allowed is not None and not self._allowed(headers):
            await _respond(send, 401, "text/plain", "Authentication required", auth=True)
        elif scope["path"] == "/api/status":
            status = json.dumps({"ready": False, "status": "loading the model"})
            await _respond(send, 200, "application/json", status)
        else:
            await _respond(send, 200, "text/html; charset=utf-8", LOADING_PAGE)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start_making()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stop is not None:
                    self._stop.set()
                if self._task is not None:
                    await self._task
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start_making(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._made, self._stop = asyncio.Event(), asyncio.Event()
        threading.Thread(target=self._make, name="newsdesk-build", daemon=True).start()

    def _make(self) -> None:
        assert self._loop is not None
        try:
            app = self._build()
        except NewsdeskError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # a thread has no one to raise to: say it in every answer
            log.exception("building the web app failed")
            self._fail(_unexpected(exc))
            return
        self._loop.call_soon_threadsafe(self._enter, app)

    def _fail(self, error: NewsdeskError) -> None:
        assert self._loop is not None and self._made is not None
        self._error = error
        self._loop.call_soon_threadsafe(self._made.set)

    def _enter(self, app: Any) -> None:
        assert self._loop is not None
        self._task = self._loop.create_task(self._run(app))

    async def _run(self, app: Any) -> None:
        assert self._made is not None and self._stop is not None
        try:
            async with app.router.lifespan_context(app):
                self._app = app
                self._made.set()
                await self._stop.wait()
        except Exception as exc:
            log.exception("the web app's start-up failed")
            self._error = self._error or _unexpected(exc)
            self._made.set()


def _unexpected(exc: Exception) -> NewsdeskError:
    """An exception newsdesk did not foresee (logged with its traceback where it was caught), as
    the error a request is shown."""
    return NewsdeskError(str(exc) or type(exc).__name__, "the server's log has the details")


async def _failed(scope: Scope, send: Send, error: NewsdeskError) -> None:
    """The answer of a server that failed to start: a 500 with the error's message and hint."""
    if str(scope.get("path", "")).startswith(("/api/", "/v1/")):
        body = json.dumps(error_json(error), ensure_ascii=False)
        await _respond(send, 500, "application/json", body)
    else:
        await _respond(send, 500, "text/html; charset=utf-8", _failed_page(error))


def _failed_page(error: NewsdeskError) -> str:
    """The page of a server that failed to start."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>newsdesk failed to start</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:40em;margin:3em auto;padding:0 1em;color:#333}.meta{color:#555}</style>"
        f"</head><body><h1>newsdesk failed to start</h1>{error_html(error)}</body></html>"
    )


async def _respond(send: Send, status: int, kind: str, body: str, auth: bool = False) -> None:
    headers = [(b"content-type", kind.encode()), (b"cache-control", b"no-store")]
    if auth:
        headers.append((b"www-authenticate", b'Basic realm="newsdesk"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode("utf-8")})

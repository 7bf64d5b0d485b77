"""The one place the server is put together and run.

- :func:`serve` is the one entry point: ``newsdesk serve`` calls it (``make run`` and
  ``python app.py`` run that command).
- :func:`build_server` mounts the web chat (app.py's Gradio page) and its static assets
  (static/chat.css, static/chat.js) on the HTTP API (qa.serve.http_api).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.config import ServerSettings
    from qa.serve.startup import Warmup

# The web front end: the top-level module app.py, whose create_app(assistant, warmup) lays out
# the page. It is a layer above qa, so it is loaded by name (no module of qa imports it).
WEB_MODULE = "app"
STATIC = Path(__file__).with_name("static")


def web_assets() -> tuple[str, str]:
    """The chat page's stylesheet and the function it runs on load (on a phone it folds the
    filter panel away, which the stylesheet puts last on the page there)."""
    return (
        (STATIC / "chat.css").read_text(encoding="utf-8"),
        (STATIC / "chat.js").read_text(encoding="utf-8"),
    )


def build_server(assistant: Assistant, server: ServerSettings, warmup: Warmup | None = None) -> Any:
    """The ASGI app: the HTTP API (qa.serve.http_api) with the web chat mounted at /, as the
    `server` settings say (users, upload size). The models and the index load in the
    background from here on; the page says so until they are ready.

    Raises ConfigError when the host is beyond loopback and no authentication is configured.
    """
    import gradio as gr

    from qa.serve.http_api import build_api
    from qa.serve.startup import Warmup

    users = _users(server)
    warmup = (warmup or Warmup(assistant)).start()
    api = build_api(assistant, users, warmup)
    create_app = importlib.import_module(WEB_MODULE).create_app
    css, js = web_assets()
    return gr.mount_gradio_app(
        api,
        create_app(assistant, warmup).queue(),
        path="/",
        css=css,
        js=js,
        max_file_size=server.max_upload_mb * 1_000_000,
    )


def _users(server: ServerSettings) -> dict[str, str]:
    """The users the server admits (NEWSDESK_AUTH, the auth file). Raises ConfigError for a bind
    beyond loopback without authentication (unless `insecure_no_auth`)."""
    from qa.serve.http_api import check_bind, load_users

    secret = server.auth.get_secret_value() if server.auth else None
    users = load_users(secret, server.auth_file)
    check_bind(server.host, users, server.insecure_no_auth)
    return users


def _cap_malloc_arenas(arenas: int = 2) -> None:
    """Limit glibc's per-thread malloc arenas (M_ARENA_MAX): a server answering from dozens of
    threads otherwise keeps an arena of freed memory per thread. No-op off glibc."""
    import ctypes
    from contextlib import suppress

    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX


def serve(assistant: Assistant, server: ServerSettings) -> None:
    """Serve the chat and the API until interrupted, on the host and port of the `server`
    settings. HTTP answers within a second (a page saying the model is loading); the page is
    built and the models load in the background (qa.serve.startup). Refuses an unsafe bind,
    and an index folder that holds no index."""
    import uvicorn

    from qa.serve.http_api import authorized
    from qa.serve.startup import StartingApp

    _cap_malloc_arenas()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    users = _users(server)
    assistant.require_index()
    # Gradio imports first, then the models load: in parallel, both take longer on 2 cores.
    app = StartingApp(
        lambda: build_server(assistant, server),
        allowed=lambda headers: authorized(headers.get("authorization"), users),
    )
    host, port = server.host, server.port
    print(f"newsdesk: serving the web chat and API on http://{host}:{port}", flush=True)
    # Open streams (a browser's heartbeat) must not keep a stopped server alive for long.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)

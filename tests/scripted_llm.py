"""A real OpenAI-compatible HTTP server on loopback that replies with scripted completions.

Each POST to /v1/chat/completions takes the next reply from `ScriptedLLM.replies` (the last one
repeats) and records the request (body and headers) in `requests`. A reply is a dict:
``{"content": str}`` (streamed as server-sent events when the request asks for a stream),
``{"status": 500}`` or ``{"delay": seconds, ...}``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedLLM:
    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = [{"content": "INSUFFICIENT"}]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    outer.requests.append({"body": body, "headers": dict(self.headers)})
                    reply = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                time.sleep(reply.get("delay", 0))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": "not found"})
                elif reply.get("status", 200) != 200:
                    self._send(reply["status"], {"error": {"message": "scripted failure"}})
                elif body.get("stream"):
                    self._stream(reply["content"], body.get("model", ""))
                else:
                    message = {"role": "assistant", "content": reply["content"]}
                    self._send(200, {"choices": [{"index": 0, "message": message}]})

            def _send(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, content: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = content.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == len(words) - 1 else word + " "
                    chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": piece}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

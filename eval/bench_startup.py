"""How fast `serve` answers: seconds from launch to the first HTTP 200 of `/`, to the chat page
itself (Gradio's), and to `/api/status` saying the models are loaded.

    python -m eval.bench_startup --index data/index [--runs 3] [--app OTHER/app.py]

`python app.py` runs `newsdesk serve`; it gets the index as NEWSDESK_INDEX, which every
checkout's app.py reads. `--app` times another checkout's app.py on the same index (a
side-by-side comparison: the machine's load changes from minute to minute, so compare runs made
together).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_start(app: Path, index: Path, timeout: float = 300) -> dict[str, float | None]:
    """Launch `app` on `index` and time its first 200, its chat page and its readiness."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "NEWSDESK_INDEX": str(index.resolve()),
    }
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port)],
        cwd=app.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marks: dict[str, float | None] = {"first_200": None, "chat_page": None, "ready": None}
    try:
        while time.monotonic() - began < timeout and None in marks.values():
            if proc.poll() is not None:
                raise RuntimeError(f"{app} exited with {proc.returncode}")
            now = time.monotonic() - began
            try:
                page = httpx.get(f"{url}/", timeout=5)
                if page.is_success:
                    marks["first_200"] = marks["first_200"] or now
                    if "gradio" in page.text:
                        marks["chat_page"] = marks["chat_page"] or now
                status = httpx.get(f"{url}/api/status", timeout=5)
                if status.status_code == 404 and marks["chat_page"]:  # an app without it
                    marks["ready"] = marks["chat_page"]
                elif status.is_success and status.json().get("ready"):
                    marks["ready"] = marks["ready"] or now
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return marks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--app", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    apps = [ROOT / "app.py", *args.app]
    results: dict[str, list[dict[str, float | None]]] = {str(a): [] for a in apps}
    for _ in range(args.runs):
        for app in apps:  # interleaved, so that both meet the same load
            results[str(app)].append(time_start(app.resolve(), args.index))
    summary: dict[str, dict[str, float | None]] = {}
    for app, runs in results.items():
        summary[app] = {}
        for key in ("first_200", "chat_page", "ready"):
            seen = [float(r[key] or 0) for r in runs if r[key] is not None]
            summary[app][key] = round(statistics.median(seen), 2) if seen else None
    print(json.dumps({"runs": results, "median_seconds": summary}, indent=2))


if __name__ == "__main__":
    main()

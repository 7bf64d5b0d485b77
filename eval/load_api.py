"""Load test of `POST /api/ask` on loopback: throughput and latency at several concurrencies.

    python -m eval.load_api --index data/index --concurrency 1 8 32 --seconds 30
    python -m eval.load_api --index eval-out/index \\
        --questions ../shared/data/multihop-rag/queries-dev-150.json --out bench-out

Starts `newsdesk serve` on a free 127.0.0.1 port for the index (or uses --url), then for each
concurrency level runs that many clients, each asking the next question as soon as its last one
is answered, for --seconds. Reports answers per second, p50/p95/p99 latency and failed requests,
and writes OUT/load-api.json. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from itertools import cycle
from pathlib import Path
from typing import Any

from eval.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_QUESTIONS = [
    "Who did Sullivan reportedly speak with?",
    "What body was established by the New START treaty?",
    "When was the last confirmed call between Sullivan and a Russian official?",
]


def rss_mb(pid: int | str, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), in MB (Linux /proc; 0
    when it is gone). Not ru_maxrss: Linux carries that across fork and exec, so a child would
    report its parent's peak."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _questions(path: Path | None) -> list[str]:
    if path is None:
        return SAMPLE_QUESTIONS
    return [str(q["query"]) for q in json.loads(path.read_text(encoding="utf-8"))]


def _start(index: Path, log: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """`newsdesk serve` on `index` on a free loopback port (its output to `log`)."""
    import httpx

    port = free_port()
    output = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "--index", str(index), "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server for {index} exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/stats", timeout=5).is_success:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server for {index} did not start within 300 s")


def run_level(
    url: str,
    questions: list[str],
    clients: int,
    seconds: float,
    check: Callable[[str, str], bool] | None = None,
    timeout: float = 120.0,
) -> dict[str, Any]:
    """`clients` concurrent askers for `seconds`; latencies of the answers that completed, and
    with `check(question, answer)`, the answers it finds wrong."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    wrong: list[str] = []
    lock = threading.Lock()
    source = cycle(questions)
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(timeout=timeout) as http:
            while time.monotonic() < deadline:
                with lock:
                    question = next(source)
                started = time.perf_counter()
                text = ""
                try:
                    r = http.post(f"{url}/api/ask", json={"question": question})
                    ok = r.status_code == 200 and "answer" in r.json()
                    problem = "" if ok else f"HTTP {r.status_code}: {r.text[:200]}"
                    text = str(r.json()["answer"]) if ok else ""
                except httpx.HTTPError as exc:
                    problem = type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if problem:
                        failures.append(problem)
                        continue
                    latencies.append(elapsed)
                    if check is not None and not check(question, text):
                        wrong.append(f"{question} -> {text[:300]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "answers": len(latencies),
        "failed": len(failures),
        "failures": failures[:10],
        "wrong": len(wrong),
        "wrong_examples": wrong[:5],
        "answers_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Load-test POST /api/ask on loopback.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", type=Path, help="Serve this index with `newsdesk serve`.")
    where.add_argument("--url", help="A newsdesk server already running on loopback.")
    parser.add_argument("--questions", type=Path, help="A query file (default: sample questions).")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=30.0, help="Duration of each level.")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("load tests run on loopback only")
    questions = _questions(args.questions)
    proc, url = _start(args.index) if args.index else (None, args.url.rstrip("/"))
    try:
        run_level(url, questions[:2], 1, 3)  # warm-up
        levels = []
        for clients in args.concurrency:
            level = run_level(url, questions, clients, args.seconds)
            levels.append(level)
            print(json.dumps(level), flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    result = {
        "index": str(args.index or args.url),
        "questions": str(args.questions or "sample"),
        "cpu_count": os.cpu_count(),
        "levels": levels,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    # e.g. load-api-eval-out-index.json
    label = "-".join(args.index.resolve().parts[-2:]) if args.index else "url"
    name = f"load-api-{label}.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()

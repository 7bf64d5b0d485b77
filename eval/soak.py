"""A bounded soak test on loopback: many clients asking while an ingest runs, for minutes.

    python -m eval.soak --index data/index --corpus ../shared/data/multihop-rag/corpus.json \\
        --clients 32 --seconds 300 --out bench-out

Copies the index (the original is never touched), serves the copy with `python app.py` on a free
127.0.0.1 port, and for --seconds runs:

- --clients concurrent clients, each asking the next bundled sample question as soon as its
  last one is answered, and checking the answer names what it must (Yuri Ushakov and Nikolai
  Patrushev, the Bilateral Consultative Commission, March);
- one uploader that keeps sending batches of --batch corpus articles to `POST /api/ingest`, so
  an ingest is running the whole time;
- a sampler of the server's resident memory every 2 s.

Reports answers/s, p50/p95/p99 latency, failed requests, wrong answers, articles ingested and
memory (after warm-up, peak, at the end), and writes OUT/soak.json. Exit code 1 if any request
failed, any answer was wrong, or memory grew beyond --max-growth-mb over the warm baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path
from typing import Any

from eval.load_api import _start
from eval.metrics import percentile

EXPECTED = {
    "Who did Sullivan reportedly speak with?": ["Yuri Ushakov", "Nikolai Patrushev"],
    "What body was established by the New START treaty?": ["Bilateral Consultative Commission"],
    "When was the last confirmed call between Sullivan and a Russian official?": ["March"],
}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def soak(
    url: str, pid: int, corpus: Path, clients: int, seconds: float, batch: int, work: Path
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    wrong: list[str] = []
    memory: list[tuple[float, float]] = []
    ingested = {"requests": 0, "added": 0, "failed_files": 0, "errors": 0}
    lock = threading.Lock()
    questions = cycle(EXPECTED)
    started = time.monotonic()
    deadline = started + seconds
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=300) as http:
            while time.monotonic() < deadline:
                with lock:
                    question = next(questions)
                t = time.perf_counter()
                try:
                    r = http.post(f"{url}/api/ask", json={"question": question})
                    problem = (
                        "" if r.status_code == 200 else f"HTTP {r.status_code}: {r.text[:200]}"
                    )
                    text = r.json().get("answer", "") if not problem else ""
                except httpx.HTTPError as exc:
                    problem, text = type(exc).__name__, ""
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    if problem:
                        failures.append(problem)
                        continue
                    latencies.append(elapsed)
                    if not all(name in text for name in EXPECTED[question]):
                        wrong.append(f"{question} -> {text[:300]}")

    def uploader() -> None:
        records = json.loads(corpus.read_text(encoding="utf-8"))
        with httpx.Client(timeout=600) as http:
            for i in range(0, len(records), batch):
                if time.monotonic() >= deadline:
                    return
                part = work / f"upload-{i}.json"
                part.write_text(json.dumps(records[i : i + batch]), encoding="utf-8")
                try:
                    files = [("files", (part.name, part.read_bytes(), "application/json"))]
                    r = http.post(f"{url}/api/ingest", files=files)
                    report = r.json() if r.status_code == 200 else {}
                    with lock:
                        ingested["requests"] += 1
                        ingested["added"] += int(report.get("added", 0))
                        ingested["failed_files"] += int(report.get("failed", 0))
                        if r.status_code != 200:
                            ingested["errors"] += 1
                except httpx.HTTPError:
                    with lock:
                        ingested["errors"] += 1

    def sampler() -> None:
        while not stop.is_set():
            memory.append((round(time.monotonic() - started, 1), round(_rss_mb(pid), 1)))
            stop.wait(2.0)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    threads.append(threading.Thread(target=uploader))
    watch = threading.Thread(target=sampler)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    wall = time.monotonic() - started
    warm = memory[min(len(memory) - 1, 5)][1]  # 10 s in: model and index loaded, first answers
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "answers": len(latencies),
        "failed_requests": len(failures),
        "failures": failures[:10],
        "wrong_answers": len(wrong),
        "wrong": wrong[:5],
        "answers_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "ingest": ingested,
        "memory_mb": {
            "warm": warm,
            "peak": max(m for _, m in memory),
            "end": memory[-1][1],
            "samples": memory,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=Path("data/index"))
    parser.add_argument("--corpus", type=Path, required=True, help="Articles to upload (JSON).")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--batch", type=int, default=10, help="Articles per upload.")
    parser.add_argument("--max-growth-mb", type=float, default=800.0)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newsdesk-soak-"))
    index = work / "index"
    shutil.copytree(args.index, index)
    args.out.mkdir(parents=True, exist_ok=True)
    proc, url = _start(index, log=args.out / "soak-server.log")
    try:
        result = soak(url, proc.pid, args.corpus, args.clients, args.seconds, args.batch, work)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    result["max_growth_mb"] = args.max_growth_mb
    result["cpu_count"] = os.cpu_count()
    growth = result["memory_mb"]["peak"] - result["memory_mb"]["warm"]
    result["passed"] = (
        result["failed_requests"] == 0
        and result["wrong_answers"] == 0
        and result["ingest"]["errors"] == 0
        and growth <= args.max_growth_mb
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if k not in ("memory_mb", "failures", "wrong")}
    summary["memory_mb"] = {k: v for k, v in result["memory_mb"].items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out / 'soak.json'}")
    if not result["passed"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""A bounded soak test on loopback: many clients asking while an ingest runs, for minutes.

    python -m eval.soak --index data/index --corpus ../shared/data/multihop-rag/corpus.json \\
        --clients 32 --seconds 300 --out bench-out

Copies the index (the original is never touched), serves the copy with `newsdesk serve` on a free
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
from pathlib import Path
from typing import Any

from eval.load_api import _start, rss_mb, run_level

EXPECTED = {
    "Who did Sullivan reportedly speak with?": ["Yuri Ushakov", "Nikolai Patrushev"],
    "What body was established by the New START treaty?": ["Bilateral Consultative Commission"],
    "When was the last confirmed call between Sullivan and a Russian official?": ["March"],
}


def soak(
    url: str, pid: int, corpus: Path, clients: int, seconds: float, batch: int, work: Path
) -> dict[str, Any]:
    import httpx

    memory: list[tuple[float, float]] = []
    ingested = {"requests": 0, "added": 0, "failed_files": 0, "errors": 0}
    started = time.monotonic()
    deadline = started + seconds
    stop = threading.Event()

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
                    ingested["requests"] += 1
                    ingested["added"] += int(report.get("added", 0))
                    ingested["failed_files"] += int(report.get("failed", 0))
                    ingested["errors"] += int(r.status_code != 200)
                except httpx.HTTPError:
                    ingested["errors"] += 1

    def sampler() -> None:
        while not stop.is_set():
            memory.append((round(time.monotonic() - started, 1), round(rss_mb(pid), 1)))
            stop.wait(2.0)

    side = [threading.Thread(target=uploader), threading.Thread(target=sampler)]
    for t in side:
        t.start()
    level = run_level(
        url,
        list(EXPECTED),
        clients,
        seconds,
        check=lambda question, text: all(name in text for name in EXPECTED[question]),
        timeout=300,
    )
    side[0].join()
    stop.set()
    side[1].join()
    warm = memory[min(len(memory) - 1, 5)][1]  # 10 s in: model and index loaded, first answers
    return {
        "clients": clients,
        "seconds": round(time.monotonic() - started, 1),
        "answers": level["answers"],
        "failed_requests": level["failed"],
        "failures": level["failures"],
        "wrong_answers": level["wrong"],
        "wrong": level["wrong_examples"],
        "answers_per_s": level["answers_per_s"],
        "p50_ms": level["p50_ms"],
        "p95_ms": level["p95_ms"],
        "p99_ms": level["p99_ms"],
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

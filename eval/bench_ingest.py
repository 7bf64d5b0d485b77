"""The ingest benchmark behind `make bench`: speed, overhead over raw embedding, memory.

    python -m eval.bench_ingest --corpus ../shared/data/multihop-rag/corpus.json --out bench-out

Steps 1-3 run for each embedder of `--embedders` (torch, ONNX fp32, ONNX int8), one after the
other in one process, on the same corpus and batches.

1. First ingest of the corpus into a fresh index (real model): time, articles/s, passages/s.
2. The embedder alone on exactly the passages the pipeline embedded, in the same batches:
   passages/s, and the ratio pipeline/raw (1.0 = no overhead).
3. A second, unchanged ingest: time and speed-up over the first.
5. With `--workers N`: wall time of `newsdesk ingest` (real model, fresh index, first
   `--limit` articles) with 1 and with N worker processes, and the speed-up.
4. Peak memory (max RSS) of an ingest subprocess on the corpus and on a synthetic archive
   `--scale` times larger (distinct, non-duplicate articles), with the fake embedder so the
   figure shows the pipeline's own memory, not the model's.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _articles(corpus: Path) -> list[Any]:
    from ingest.readers import read_path
    from qa.types import Article

    return [a for a in read_path(corpus) if isinstance(a, Article)]


# The embedders `make bench` compares, side by side in one run (settings of each).
EMBEDDERS: dict[str, dict[str, str]] = {
    "torch": {"embedder": "sentence-transformers"},
    "onnx-fp32": {"embedder": "onnx", "embed_variant": "fp32"},
    "onnx-int8": {"embedder": "onnx", "embed_variant": "int8"},
}


def throughput(corpus: Path, out: Path, embedders: list[str]) -> dict[str, Any]:
    """Steps 1-3 for each embedder in turn, on the same corpus and batches; then every
    embedder's passages/s against the first's (torch)."""
    from ingest.chunk import Chunker
    from ingest.pipeline import BATCH_ARTICLES, article_hash
    from qa import Assistant

    rows: dict[str, Any] = {}
    batches: list[list[str]] | None = None
    for name in embedders:
        index = out / f"bench-index-{name}"
        shutil.rmtree(index, ignore_errors=True)
        assistant = Assistant.open(index, **EMBEDDERS[name])
        embedder = assistant.embedder
        embedder.embed(["warm-up"] * 8)

        started = time.perf_counter()
        first = assistant.ingest([corpus])
        first_s = time.perf_counter() - started

        if batches is None:  # the passages the pipeline embedded, in its batches
            settings = assistant.settings
            chunker = Chunker(embedder, settings.ingest)
            articles = _articles(corpus)
            batches = [
                [
                    c.embed_text
                    for a in articles[i : i + BATCH_ARTICLES]
                    for c in chunker.split(a, article_hash(a))
                ]
                for i in range(0, len(articles), BATCH_ARTICLES)
            ]
        started = time.perf_counter()
        for texts in batches:
            embedder.embed(texts)
        raw_s = time.perf_counter() - started
        raw_passages = sum(len(b) for b in batches)

        started = time.perf_counter()
        second = assistant.ingest([corpus])
        second_s = time.perf_counter() - started
        rows[name] = {
            "embedder": getattr(embedder, "variant", name),
            "articles": first.added,
            "passages": first.passages,
            "first_ingest_s": round(first_s, 1),
            "articles_per_s": round(first.added / first_s, 2),
            "passages_per_s": round(first.passages / first_s, 2),
            "raw_embed_s": round(raw_s, 1),
            "raw_passages": raw_passages,
            "raw_passages_per_s": round(raw_passages / raw_s, 2),
            "pipeline_over_raw": round(raw_s / first_s, 3),
            "second_ingest_s": round(second_s, 3),
            "second_unchanged": second.unchanged,
            "reingest_speedup": round(first_s / second_s, 1),
        }
        print(json.dumps({name: rows[name]}, indent=2), flush=True)
        del assistant, embedder
        shutil.rmtree(index, ignore_errors=True)
    base = rows[embedders[0]]["passages_per_s"]
    for name in embedders:
        rows[name][f"speedup_vs_{embedders[0]}"] = round(rows[name]["passages_per_s"] / base, 2)
    return rows


def synthetic_archive(corpus: Path, scale: int, path: Path) -> Path:
    """`scale` distinct variants of every article (30% of words swapped: not wire copies)."""
    rng = random.Random(42)
    records = json.loads(corpus.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        first = True
        for copy in range(scale):
            for rec in records:
                words = rec["body"].split(" ")
                body = " ".join(rng.choice(words) if rng.random() < 0.3 else w for w in words)
                variant = {**rec, "body": body, "title": f"{rec['title']} ({copy})"}
                variant["url"] = f"{rec['url']}{'&' if '?' in rec['url'] else '?'}variant={copy}"
                fh.write(("" if first else ",\n") + json.dumps(variant))
                first = False
        fh.write("]")
    return path


class NullStore:
    """A store that keeps nothing: isolates the pipeline's own memory from Chroma's."""

    id = "null-store"
    shared = False
    writer = "null"

    def count(self) -> int:
        return 0

    def generation(self) -> str:
        return ""

    def mark_changed(self) -> str:
        return ""

    def article_versions(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def upsert(self, items: Any) -> list[dict[str, Any]]:
        return [{} for _ in items]

    def delete_article_passages(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_also(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def iter_records(self, *args: Any, **kwargs: Any) -> Any:
        return iter(())


def measure(index: str, path: str, null_store: bool) -> None:
    """Ingest `path` into `index` with the fake embedder; print counts, time and peak RSS."""
    from qa import Assistant, Settings

    settings = Settings(index_dir=Path(index), embedder="fake")
    assistant = Assistant(settings, store=NullStore()) if null_store else Assistant(settings)  # type: ignore[arg-type]
    started = time.perf_counter()
    report = assistant.ingest([path])
    print(
        json.dumps(
            {
                "articles": report.added,
                "passages": report.passages,
                "seconds": round(time.perf_counter() - started, 1),
                "max_rss_mb": _peak_rss_mb(),
            }
        )
    )


def _peak_rss_mb() -> int:
    """This process's peak RSS. On Linux, VmHWM of its own memory: `ru_maxrss` survives
    fork and exec, so a child of the benchmark process (which holds the models, ~1.9 GB)
    would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def memory(corpus: Path, out: Path, scale: int, null_store: bool = False) -> dict[str, Any]:
    """Step 4: peak RSS of ingest subprocesses (fake embedder) at 1x and `scale`x."""
    big = synthetic_archive(corpus, scale, out / f"synthetic-{scale}x.json")
    rows = {}
    for label, path in (("1x", corpus), (f"{scale}x", big)):
        index = out / f"mem-index-{label}"
        shutil.rmtree(index, ignore_errors=True)
        call = f"measure({str(index)!r}, {str(path)!r}, {null_store})"
        code = f"from eval.bench_ingest import measure; {call}"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        rows[label] = json.loads(done.stdout.strip().splitlines()[-1])
        rows[label]["input_mb"] = round(path.stat().st_size / 2**20, 1)
        shutil.rmtree(index, ignore_errors=True)
    big.unlink()
    return rows


def workers_speedup(corpus: Path, out: Path, workers: int, limit: int) -> dict[str, Any]:
    """Step 5: `newsdesk ingest --workers 1` against `--workers N` on the first `limit`
    articles, each into a fresh index, timed end to end (model loading included)."""
    records = json.loads(corpus.read_text(encoding="utf-8"))[:limit]
    subset = out / f"workers-subset-{limit}.json"
    subset.write_text(json.dumps(records), encoding="utf-8")
    newsdesk = Path(sys.executable).parent / "newsdesk"
    rows: dict[str, Any] = {"articles": len(records)}
    for n in sorted({1, workers}):
        index = out / f"workers-index-{n}"
        shutil.rmtree(index, ignore_errors=True)
        started = time.perf_counter()
        command = [str(newsdesk), "--index", str(index), "ingest", str(subset)]
        done = subprocess.run(
            [*command, "--workers", str(n), "--json", "--quiet"],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
        report = json.loads(done.stdout)
        rows[f"workers_{n}"] = {
            "seconds": round(seconds, 1),
            "passages": report["passages"],
            "passages_per_s": round(report["passages"] / seconds, 1),
        }
        shutil.rmtree(index, ignore_errors=True)
    subset.unlink()
    rows["speedup"] = round(rows["workers_1"]["seconds"] / rows[f"workers_{workers}"]["seconds"], 2)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--skip-memory", action="store_true", help="Only steps 1-3.")
    parser.add_argument("--memory-only", action="store_true", help="Only step 4.")
    parser.add_argument(
        "--null-store", action="store_true", help="Step 4 without Chroma (the pipeline alone)."
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="Only step 5: 1 against this many workers."
    )
    parser.add_argument("--limit", type=int, default=200, help="Articles for step 5.")
    parser.add_argument(
        "--articles",
        type=int,
        default=0,
        help="Steps 1-3 on the corpus's first N articles only (0: all).",
    )
    parser.add_argument(
        "--embedders",
        default=",".join(EMBEDDERS),
        help=f"Steps 1-3 for these, side by side (of {', '.join(EMBEDDERS)}); the first is "
        "the one the others' speed is compared with.",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"corpus": str(args.corpus), "cpus": _cpus()}
    if args.workers:
        result["workers"] = workers_speedup(args.corpus, args.out, args.workers, args.limit)
        print(json.dumps(result["workers"], indent=2), flush=True)
        (args.out / "ingest-workers.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    if not args.memory_only:
        corpus = args.corpus
        if args.articles:
            records = json.loads(corpus.read_text(encoding="utf-8"))[: args.articles]
            corpus = args.out / f"first-{args.articles}.json"
            corpus.write_text(json.dumps(records), encoding="utf-8")
            result["articles"] = len(records)
        result["throughput"] = throughput(corpus, args.out, args.embedders.split(","))
        print(json.dumps(result["throughput"], indent=2), flush=True)
    if not args.skip_memory:
        result["memory"] = memory(args.corpus, args.out, args.scale, args.null_store)
        print(json.dumps(result["memory"], indent=2), flush=True)
    result["max_rss_mb_this_process"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    name = "ingest-memory.json" if args.memory_only else "ingest.json"
    if args.null_store:
        name = "ingest-memory-null-store.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out / name}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

"""The retrieval benchmark: ingest a corpus once, run every query through each retriever, score."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import Query, load_queries
from eval.metrics import QueryScore, aggregate_scores, article_metrics, percentile, score_query
from ingest.normalise import canonical_url
from qa.errors import ConfigError, NewsdeskError

RETRIEVERS = ("bm25", "dense", "hybrid")
METRIC_DIGITS = 4

Progress = Callable[[str], None]


@dataclass(frozen=True)
class QueryRun:
    """One query's outcome under one retriever: what came back, its score and the time taken."""

    query: Query
    urls: list[str | None]
    score: QueryScore
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines record written to runs-<retriever>.jsonl."""
        return {
            "qid": self.query.qid,
            "query": self.query.query,
            "question_type": self.query.question_type,
            "retrieved_urls": self.urls,
            "gold_urls": self.query.gold_urls,
            "first_hit_rank": self.score.first_hit,
            "latency_ms": round(self.latency_ms, 2),
        }


def run_retrieval_eval(
    corpus: Path,
    queries: Path,
    out: Path,
    retrievers: Sequence[str] = RETRIEVERS,
    k: int = 10,
    limit: int | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Benchmark `retrievers` on `queries` over `corpus`; writes and returns retrieval.json.

    The corpus is ingested into ``out/index`` (a no-op when it already is). `limit` keeps the
    first N answerable queries. `progress` receives one-line status messages. `overrides` are
    Settings fields passed to ``Assistant.open`` (e.g. ``embedder="fake"``). Also writes
    ``out/runs-<retriever>.jsonl`` (per-query results) and ``out/retrieval.png`` (a chart).
    Raises NewsdeskError for bad inputs (missing files, unknown retriever, no queries), and
    ConfigError when the `eval` extra (matplotlib) is not installed.
    """
    from eval.report import require_plotting
    from qa.assistant import Assistant

    require_plotting()  # before the long part, not after it
    corpus, queries, out = Path(corpus), Path(queries), Path(out)
    names = _check_args(corpus, retrievers, k, limit)
    say = progress or (lambda _msg: None)
    items = load_queries(queries)
    skipped = items.skipped_null
    selected = list(items[:limit] if limit is not None else items)
    if not selected:
        raise NewsdeskError(f"{queries}: holds no answerable queries", "add queries with evidence")
    index = ingest_corpus(corpus, out, say, overrides).settings.index_dir
    results: dict[str, Any] = {
        "corpus": str(corpus),
        "queries": str(queries),
        "k": k,
        "n_queries": len(selected),
        "skipped_null": skipped,
        "retrievers": {},
    }
    for name in names:
        say(f"{name}: running {len(selected)} queries")
        assistant = Assistant.open(index, **{**overrides, "retriever": name})
        assistant.search(selected[0].query, k=k)  # warm-up: load models, build indexes
        runs = [_run_query(assistant, q, k) for q in selected]
        _write_runs(out / f"runs-{name}.jsonl", runs)
        results["retrievers"][name] = summarise(runs)
    (out / "retrieval.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    from eval.report import plot

    plot(results, out / "retrieval.png")
    return results


def ingest_corpus(corpus: Path, out: Path, say: Progress, overrides: dict[str, Any]) -> Any:
    """Ingest `corpus` into the local index ``out/index`` (a no-op when it already is); returns
    the Assistant that did it (over that index, with `overrides`), its models loaded.

    Sets ``chroma_url`` and ``chroma_host`` to None in `overrides`: evaluations always use that
    local index.
    Raises NewsdeskError when any of the corpus cannot be read.
    """
    from qa.assistant import Assistant

    out.mkdir(parents=True, exist_ok=True)
    index = out / "index"
    overrides.setdefault("chroma_host", None)
    overrides.setdefault("chroma_url", None)
    say(f"ingesting {corpus} into {index}")
    assistant = Assistant.open(index, **overrides)
    report = assistant.ingest([corpus])
    if report.failures:
        raise NewsdeskError(
            f"Could not ingest {corpus}: {'; '.join(report.failures[:3])}",
            "fix the corpus file (see `newsdesk ingest`)",
        )
    return assistant


def _check_args(corpus: Path, retrievers: Sequence[str], k: int, limit: int | None) -> list[str]:
    """The retriever names, deduplicated; raises ConfigError/NewsdeskError for bad arguments."""
    if not corpus.exists():
        raise NewsdeskError(f"Corpus not found: {corpus}", "pass an existing file or folder")
    names = list(dict.fromkeys(retrievers))
    unknown = [n for n in names if n not in RETRIEVERS]
    if unknown or not names:
        raise ConfigError(
            f"Unknown retriever(s): {', '.join(unknown) or '(none given)'}",
            f"choose from {', '.join(RETRIEVERS)}",
        )
    if not 1 <= k <= 100:
        raise ConfigError(f"k must be within 1..100, got {k}", "pass --k 10")
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1, got {limit}", "omit --limit to run all")
    return names


def _run_query(assistant: Any, query: Query, k: int) -> QueryRun:
    """Search one query (timed with perf_counter) and score what came back."""
    started = time.perf_counter()
    passages = assistant.search(query.query, k=k)
    latency_ms = (time.perf_counter() - started) * 1000
    return QueryRun(
        query=query,
        urls=[canonical_url(p.url) for p in passages],
        score=score_query([p.text for p in passages], query.facts),
        latency_ms=latency_ms,
    )


def summarise(runs: Sequence[QueryRun]) -> dict[str, Any]:
    """{"overall": metrics, "by_type": {question_type: metrics + "n"}} for one retriever."""
    by_type: dict[str, list[QueryRun]] = {}
    for run in runs:
        by_type.setdefault(run.query.question_type, []).append(run)
    return {
        "overall": _metrics(runs),
        "by_type": {t: {**_metrics(rs), "n": len(rs)} for t, rs in sorted(by_type.items())},
    }


def _metrics(runs: Sequence[QueryRun]) -> dict[str, Any]:
    """Official metrics, article-level figures and latency percentiles of some runs."""
    values: dict[str, Any] = {
        **aggregate_scores([r.score for r in runs]),
        **article_metrics([r.urls for r in runs], [r.query.gold_urls for r in runs], k=10),
    }
    rounded = {
        key: None if v is None else round(float(v), METRIC_DIGITS) for key, v in values.items()
    }
    latencies = [r.latency_ms for r in runs]
    rounded["latency_p50_ms"] = round(percentile(latencies, 50), 2)
    rounded["latency_p95_ms"] = round(percentile(latencies, 95), 2)
    return rounded


def _write_runs(path: Path, runs: Sequence[QueryRun]) -> None:
    """One JSON object per line, per query."""
    with path.open("w", encoding="utf-8") as fh:
        for run in runs:
            fh.write(json.dumps(run.to_dict(), ensure_ascii=False) + "\n")

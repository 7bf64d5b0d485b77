"""Fit the hybrid retriever's blend weights (qa/retrieval/ranker.json) on a query set, with
2-fold checks.

    python -m eval.fit_ranker --index eval-out/index \\
        --queries ../shared/data/multihop-rag/queries-dev.json --write

Every signal of qa.retrieval.signals.SIGNALS, BM25's weight fixed at 1: coordinate ascent over a
coarse grid of the others' weights, the per-article cap and its depth, scored by the mean of
MRR@10, Hits@4, gold-article recall@10 and all-gold@10. A handful of parameters on a coarse grid
cannot memorise a thousand queries; the two folds (queries split by position) show how weights
fitted on one half do on the other. The weights are written keyed by signal name.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from eval.datasets import Query, load_queries
from eval.metrics import score_query
from ingest.normalise import canonical_url

# BM25's weight is fixed at 1: the other weights are relative to it.
ANCHOR = "bm25"
# Values tried for each signal's weight (a signal not listed gets DEFAULT_GRID), then for the
# per-article cap and its depth.
DEFAULT_GRID = [0.0, 0.25, 0.5, 1.0, 1.5]
GRID: dict[str, list[float]] = {
    "dense": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0],
    "outlet": [0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2],
    "date": [0.0, 0.1, 0.2, 0.4, 0.8],
    "clause_bm25": [0.0, 0.25, 0.5, 1.0, 1.5],
    "clause_dense": [0.0, 0.25, 0.5, 1.0, 1.5, 2.0],
    "sentence": [0.0, 0.25, 0.5, 1.0, 1.5, 2.0],
    "clause_sentence": [0.0, 0.25, 0.5, 1.0, 1.5],
    "per_article": [1, 2, 3],
    "head": [2, 3, 4, 6, 10],
}
ROUNDS = 3
# Where the ascent starts (a signal not listed starts at 0, i.e. off).
START: dict[str, float] = {
    "dense": 0.75,
    "outlet": 0.5,
    "date": 0.4,
    "clause_bm25": 0.25,
    "clause_dense": 0.0,
    "sentence": 0.5,
    "clause_sentence": 0.25,
    "per_article": 2,
    "head": 4,
}
CAPS = ("per_article", "head")


def _objective(rows: list[dict[str, float]]) -> float:
    keys = ("mrr@10", "hits@4", "article_recall@10", "all_gold@10")
    return sum(sum(r[k] for r in rows) / len(rows) for k in keys) / len(keys)


def evaluate(
    retriever: Any,
    pools: list[Any],
    queries: list[Query],
    texts: dict[str, str],
    weights: dict[str, float],
    per_article: int,
) -> dict[str, float]:
    """Mean metrics of the hybrid ranking with `weights` over precomputed candidate pools."""
    retriever.weights, retriever.per_article = weights, per_article
    rows = []
    for pool, query in zip(pools, queries, strict=True):
        ids = [pool.matrix.passage_ids[pool.rows[i]] for i in retriever.rank(pool, 10)]
        score = score_query([texts[i] for i in ids], query.facts)
        urls = {
            canonical_url(pool.matrix.article_ids[pool.rows[i]]) for i in retriever.rank(pool, 10)
        }
        gold = set(query.gold_urls)
        found = len(gold & urls) / len(gold) if gold else 0.0
        rows.append(
            {
                "mrr@10": score.reciprocal_rank,
                "hits@4": float(score.hit4),
                "article_recall@10": found,
                "all_gold@10": float(found == 1.0),
            }
        )
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]} | {
        "objective": _objective(rows)
    }


def _grid(signals: Sequence[str]) -> dict[str, list[float]]:
    """The values tried per parameter, in the order the ascent tries them: the signals' weights
    (in `signals` order), then the caps."""
    weights = {n: GRID.get(n, DEFAULT_GRID) for n in signals if n != ANCHOR}
    return weights | {c: GRID[c] for c in CAPS}


def fit(
    retriever: Any,
    pools: list[Any],
    queries: list[Query],
    texts: dict[str, str],
    signals: Sequence[str],
) -> tuple[dict[str, Any], dict[str, float]]:
    """Coordinate ascent over the grid: each value of one parameter tried with the others
    fixed. `signals` are the names of the signals to weigh."""
    grid = _grid(signals)
    params: dict[str, float] = {n: START.get(n, 0.0) for n in grid}

    def run(p: dict[str, float]) -> dict[str, float]:
        retriever.head = int(p["head"])
        return evaluate(retriever, pools, queries, texts, _weights(p), int(p["per_article"]))

    best = run(params)
    for _ in range(ROUNDS):
        improved = False
        for name, values in grid.items():
            for value in values:
                trial = {**params, name: value}
                result = run(trial)
                if result["objective"] > best["objective"] + 1e-9:
                    params, best, improved = trial, result, True
        if not improved:
            break
    retriever.head = int(params["head"])
    return {
        "weights": _weights(params),
        "per_article": int(params["per_article"]),
        "head": int(params["head"]),
    }, best


def _weights(params: dict[str, float]) -> dict[str, float]:
    """The blend weights by signal name, from the parameters."""
    return {ANCHOR: 1.0, **{k: v for k, v in params.items() if k not in CAPS}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fit qa/retrieval/ranker.json on a query set.")
    parser.add_argument("--index", type=Path, required=True, help="An index holding the corpus.")
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument(
        "--write", action="store_true", help="Write the fit to qa/retrieval/ranker.json."
    )
    args = parser.parse_args(argv)
    from qa import Assistant
    from qa.retrieval.hybrid import HybridRetriever

    assistant = Assistant.open(args.index, retriever="hybrid")
    retriever = assistant.retriever
    assert isinstance(retriever, HybridRetriever)
    texts = {pid: text for pid, text, _, _ in assistant.store.iter_records()}
    queries = list(load_queries(args.queries))
    # Every signal computed, each adding its candidates (the retriever skips the signals whose
    # weight is zero).
    signals = [s.name for s in retriever.signals]
    retriever.weights = dict.fromkeys(signals, 1.0)
    pools = [retriever.pool(q.query) for q in queries]
    halves = (list(range(0, len(queries), 2)), list(range(1, len(queries), 2)))
    report: dict[str, Any] = {"folds": []}
    for train, test in (halves, halves[::-1]):
        params, train_result = fit(
            retriever, [pools[i] for i in train], [queries[i] for i in train], texts, signals
        )
        retriever.head = params["head"]
        test_result = evaluate(
            retriever,
            [pools[i] for i in test],
            [queries[i] for i in test],
            texts,
            params["weights"],
            params["per_article"],
        )
        report["folds"].append({"params": params, "train": train_result, "test": test_result})
        print(json.dumps(report["folds"][-1]), flush=True)
    params, result = fit(retriever, pools, queries, texts, signals)
    report["all"] = {"params": params, "result": result}
    print(json.dumps(report["all"]), flush=True)
    if args.write:
        path = Path(str(resources.files("qa.retrieval").joinpath("ranker.json")))
        path.write_text(
            json.dumps(
                {
                    "comment": "Blend weights of the hybrid retriever's signals; refit with "
                    "`python -m eval.fit_ranker --index ... --queries ... --write`.",
                    "fitted_on": str(args.queries),
                    "per_article": params["per_article"],
                    "head": params["head"],
                    "weights": params["weights"],
                    "folds": [
                        {"train": f["train"]["objective"], "test": f["test"]["objective"]}
                        for f in report["folds"]
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

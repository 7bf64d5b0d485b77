"""Retrieval metrics: MultiHop-RAG's official passage metrics, article-level recall, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.normalise import canonical_url

OFFICIAL_KEYS = ("mrr@10", "map@10", "hits@4", "hits@10")


def strip_spaces(text: str) -> str:
    """The text with every space and newline removed, as the official script compares texts."""
    return text.replace(" ", "").replace("\n", "")


@dataclass(frozen=True)
class QueryScore:
    """The official scores of one query: first hit rank (1-based, None if no hit in the top 10),
    reciprocal rank, average precision, and whether a hit is in the top 4 / top 10."""

    first_hit: int | None
    reciprocal_rank: float
    average_precision: float
    hit4: bool
    hit10: bool


def score_query(retrieved: Sequence[str], facts: Sequence[str]) -> QueryScore:
    """Score one query exactly as MultiHop-RAG's retrieval_evaluate.py does.

    Texts and facts are compared with spaces and newlines removed. Ranks 1..10 are read; a
    passage is a hit when any fact is a substring of it. Each hit adds (facts first found in that
    passage) / rank to the AP sum (0 when it only repeats facts found before); AP divides the
    sum by min(len(facts), 10). A query without facts scores 0 everywhere.
    """
    gold = [strip_spaces(f) for f in facts]
    found: list[str] = []
    first_hit: int | None = None
    ap_sum = 0.0
    for rank, text in enumerate((strip_spaces(t) for t in retrieved[:10]), start=1):
        if not any(g in text for g in gold):
            continue
        if first_hit is None:
            first_hit = rank
        count = 0
        for g in gold:
            if g in text and g not in found:
                count += 1
                found.append(g)
        ap_sum += count / rank
    return QueryScore(
        first_hit=first_hit,
        reciprocal_rank=1 / first_hit if first_hit else 0.0,
        average_precision=ap_sum / min(len(gold), 10) if gold else 0.0,
        hit4=first_hit is not None and first_hit <= 4,
        hit10=first_hit is not None,
    )


def aggregate_scores(scores: Sequence[QueryScore]) -> dict[str, float]:
    """Mean MRR@10, MAP@10, Hits@4 and Hits@10 over per-query scores (zeros for none)."""
    n = len(scores)
    if not n:
        return dict.fromkeys(OFFICIAL_KEYS, 0.0)
    return {
        "mrr@10": sum(s.reciprocal_rank for s in scores) / n,
        "map@10": sum(s.average_precision for s in scores) / n,
        "hits@4": sum(s.hit4 for s in scores) / n,
        "hits@10": sum(s.hit10 for s in scores) / n,
    }


def official_metrics(retrieved_texts: list[list[str]], gold_facts: list[list[str]]) -> dict:
    """MultiHop-RAG's official {"mrr@10", "map@10", "hits@4", "hits@10"} over many queries.

    `retrieved_texts[i]` are the passage texts retrieved for query i, best first, and
    `gold_facts[i]` its gold evidence facts. Null queries must be left out by the caller.
    """
    if len(retrieved_texts) != len(gold_facts):
        raise ValueError("retrieved_texts and gold_facts must have one entry per query")
    return aggregate_scores(
        [score_query(r, g) for r, g in zip(retrieved_texts, gold_facts, strict=True)]
    )


def _canonical_set(urls: Sequence[str | None]) -> set[str]:
    return {c for c in (canonical_url(u) for u in urls) if c}


def article_recall(
    retrieved_urls: Sequence[str | None], gold_urls: Sequence[str | None], k: int = 10
) -> float | None:
    """Share of the distinct gold article URLs found among the URLs of the top-k passages.

    URLs are compared canonicalised (ingest.normalise.canonical_url). None when the query has no
    gold URL (it then cannot be scored at article level).
    """
    gold = _canonical_set(gold_urls)
    if not gold:
        return None
    return len(gold & _canonical_set(retrieved_urls[:k])) / len(gold)


def all_gold(
    retrieved_urls: Sequence[str | None], gold_urls: Sequence[str | None], k: int = 10
) -> bool | None:
    """Whether every gold article URL is among the top-k passages' URLs (None without gold)."""
    recall = article_recall(retrieved_urls, gold_urls, k)
    return None if recall is None else recall == 1.0


def article_metrics(
    retrieved_urls: Sequence[Sequence[str | None]],
    gold_urls: Sequence[Sequence[str | None]],
    k: int = 10,
) -> dict[str, float | None]:
    """Mean article recall@k and the all-gold@k share over the queries that have gold URLs.

    Keys are "article_recall@10" and "all_gold@10"; values are None when no query has gold URLs.
    """
    recalls = [article_recall(r, g, k) for r, g in zip(retrieved_urls, gold_urls, strict=True)]
    scored = [r for r in recalls if r is not None]
    if not scored:
        return {"article_recall@10": None, "all_gold@10": None}
    return {
        "article_recall@10": sum(scored) / len(scored),
        "all_gold@10": sum(r == 1.0 for r in scored) / len(scored),
    }


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of `values` with linear interpolation between closest ranks
    (numpy's default method). Raises ValueError for no values or p outside 0..100."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

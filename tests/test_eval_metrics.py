"""Retrieval metrics against hand-worked examples of MultiHop-RAG's retrieval_evaluate.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.datasets import load_queries
from eval.metrics import (
    all_gold,
    article_metrics,
    article_recall,
    official_metrics,
    percentile,
    score_query,
)
from qa.errors import NewsdeskError

GOLD = ["A B", "C D"]


def test_two_facts_found_at_ranks_two_and_three() -> None:
    retrieved = ["xx", "..AB..", "CD and AB", "yy", "zz"]
    s = score_query(retrieved, GOLD)
    assert s.first_hit == 2
    assert s.reciprocal_rank == pytest.approx(1 / 2)
    # rank 2 finds "AB" (1/2); rank 3 finds "CD" new, "AB" again (1/3)
    assert s.average_precision == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert s.hit4 and s.hit10
    m = official_metrics([retrieved], [GOLD])
    assert m == pytest.approx(
        {"mrr@10": 0.5, "map@10": (1 / 2 + 1 / 3) / 2, "hits@4": 1.0, "hits@10": 1.0}
    )


def test_repeated_fact_adds_nothing() -> None:
    retrieved = ["AB", "xx", "AB again", "x", "y", "CD"]
    s = score_query(retrieved, GOLD)
    # rank 1: AB new (1/1); rank 3: AB already found (0/3); rank 6: CD new (1/6)
    assert s.average_precision == pytest.approx((1 + 0 + 1 / 6) / 2)
    assert s.reciprocal_rank == 1.0


def test_no_hits_all_zero() -> None:
    m = official_metrics([["nothing", "here"]], [GOLD])
    assert m == {"mrr@10": 0.0, "map@10": 0.0, "hits@4": 0.0, "hits@10": 0.0}


def test_first_hit_at_rank_eleven_is_not_counted() -> None:
    retrieved = ["x"] * 10 + ["AB CD"]
    s = score_query(retrieved, GOLD)
    assert s.first_hit is None and not s.hit10
    assert official_metrics([retrieved], [GOLD])["map@10"] == 0.0


def test_hit_at_rank_five_counts_for_hits10_not_hits4() -> None:
    m = official_metrics([["a", "b", "c", "d", "the CD"]], [GOLD])
    assert m == pytest.approx({"mrr@10": 0.2, "map@10": 0.1, "hits@4": 0.0, "hits@10": 1.0})


def test_spaces_and_newlines_are_ignored() -> None:
    facts = ["the  cat\nsat on the mat."]
    assert score_query(["Yesterday the\ncat sat  on\n\nthe mat. Then"], facts).first_hit == 1
    # other whitespace (tabs) is not stripped by the official script
    assert score_query(["the\tcat sat on the mat."], facts).first_hit is None


def test_map_divides_by_at_most_ten_facts() -> None:
    facts = [f"fact{i:02d}" for i in range(12)]
    s = score_query([" ".join(facts)], facts)
    assert s.average_precision == pytest.approx(12 / 10)


def test_averages_over_queries() -> None:
    m = official_metrics([["AB"], ["x", "x", "x", "x", "x", "CD"]], [GOLD, GOLD])
    assert m["mrr@10"] == pytest.approx((1 + 1 / 6) / 2)
    assert m["hits@4"] == 0.5 and m["hits@10"] == 1.0
    assert official_metrics([], []) == {"mrr@10": 0.0, "map@10": 0.0, "hits@4": 0.0, "hits@10": 0.0}
    with pytest.raises(ValueError):
        official_metrics([["a"]], [])


def test_article_recall_with_canonical_urls() -> None:
    gold = ["https://Example.com/a/?utm_source=x", "https://example.com/b"]
    retrieved = ["https://example.com/a", None, "https://example.com/a", "https://other.org/c"]
    assert article_recall(retrieved, gold) == 0.5
    assert all_gold(retrieved, gold) is False
    assert all_gold([*retrieved, "https://EXAMPLE.com/b/"], gold) is True
    # only the top k count
    assert article_recall(["https://x.org/1", "https://example.com/b"], gold, k=1) == 0.0
    assert article_recall(retrieved, []) is None and all_gold(retrieved, []) is None


def test_article_metrics_skip_queries_without_gold_urls() -> None:
    m = article_metrics(
        [["https://a.com/1"], ["https://a.com/1"], []],
        [["https://a.com/1"], ["https://a.com/1", "https://a.com/2"], []],
    )
    assert m == {"article_recall@10": 0.75, "all_gold@10": 0.5}
    assert article_metrics([[]], [[]]) == {"article_recall@10": None, "all_gold@10": None}


def test_percentile_linear_interpolation() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "q.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_queries_skips_nulls_and_canonicalises(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {
                "query": "Who?",
                "evidence_list": [
                    {"fact": "A fact.", "url": "https://Ex.com/a/?utm_medium=x"},
                    {"fact": "B", "url": "https://ex.com/a"},
                ],
            },
            {"qid": "n1", "query": "Nothing?", "question_type": "null_query", "evidence_list": []},
            {"qid": 7, "query": "Other?", "question_type": "inference_query", "evidence_list": []},
        ],
    )
    queries = load_queries(path)
    assert len(queries) == 1 and queries.skipped_null == 2
    q = queries[0]
    assert q.qid == "0" and q.question_type == "all"
    assert q.facts == ["A fact.", "B"] and q.gold_urls == ["https://ex.com/a"]


@pytest.mark.parametrize("content", ["{not json", '{"query": "x"}', '[{"evidence_list": []}]'])
def test_load_queries_errors_name_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NewsdeskError, match=r"bad\.json"):
        load_queries(path)
    with pytest.raises(NewsdeskError, match=r"missing\.json"):
        load_queries(tmp_path / "missing.json")

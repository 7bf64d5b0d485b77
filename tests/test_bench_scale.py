"""The scaling benchmark's own pieces: synthetic archives and the split of ingest time."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from eval.bench_scale import (
    _split,
    _time_writes,
    borrowed_row,
    rate_curve,
    synthetic_archive,
    warm_up,
)
from ingest.readers import read_path


def test_synthetic_archive_makes_readable_articles_of_about_the_passages_asked(
    tmp_path: Path,
) -> None:
    sentences = [f"Sentence number {i} says something about the harbour budget." for i in range(50)]
    tokens = [12] * len(sentences)
    path = tmp_path / "archive.jsonl"
    articles = synthetic_archive(sentences, tokens, 300, path, seed=3)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == articles > 20
    assert len({r["url"] for r in records}) == articles  # every article its own URL
    assert {"title", "body", "source", "author", "published_at", "url"} <= set(records[0])
    # Each article is ~120-900 word pieces of whole corpus sentences, ~200 per passage.
    passages = sum(-(-(r["body"].count("Sentence number") * 12) // 200) for r in records)
    assert 300 <= passages < 330
    # The same seed makes the same archive; the pipeline reads every record.
    again = tmp_path / "again.jsonl"
    synthetic_archive(sentences, tokens, 300, again, seed=3)
    assert again.read_text() == path.read_text()
    assert len(list(read_path(path))) == articles


def test_chroma_write_time_is_split_from_the_rest() -> None:
    calls: list[Any] = []
    store = SimpleNamespace(upsert=lambda items: calls.append(items))
    spent = _time_writes(SimpleNamespace(store=store))
    store.upsert([1, 2])
    assert calls == [[1, 2]] and spent["s"] >= 0.0
    assert len(spent["each"]) == 1
    spent["s"] = 2.0
    spent["each"] = [0.1, 0.1, 0.1, 0.1, 1.1]  # one write persisting the index
    assert _split(100, 4.0, spent) == {
        "chroma_write_s": 2.0,
        "passages_per_s_without_chroma_writes": 50.0,
        "chroma_slow_writes": 1,
        "chroma_slow_write_extra_s": 1.0,
    }


def test_a_long_run_reports_its_rate_at_the_reference_size_and_along_the_way() -> None:
    # Batches of 5,000 passages: 5 s each for the first 30,000, then 10 s (2 s, then 4 s, of
    # them Chroma's writes).
    marks, seconds, chroma = [], 0.0, 0.0
    for passages in range(5_000, 120_001, 5_000):
        slow = passages > 30_000
        seconds += 10.0 if slow else 5.0
        chroma += 4.0 if slow else 2.0
        marks.append((passages, seconds, chroma))
    curve = rate_curve(marks, reference=9_387)["curve"]
    assert [p["passages"] for p in curve] == [10_000, 30_000, 100_000, 120_000]  # and its end
    assert curve[0]["passages_per_s"] == 1_000.0  # 10,000 in 10 s
    assert curve[1]["stretch_passages_per_s"] == 1_000.0
    assert curve[2]["passages_per_s"] == round(100_000 / 170, 1)
    assert curve[2]["stretch_passages_per_s"] == 500.0
    assert curve[2]["stretch_chroma_ms_per_passage"] == 0.8
    assert curve[2]["stretch_without_chroma_per_s"] == round(70_000 / 84, 1)
    assert curve[3]["passages_per_s"] == round(120_000 / 210, 1)
    # A run that ends on a point adds no stretch of nothing.
    assert len(rate_curve(marks[:20], reference=9_387)["curve"]) == 3
    # A run shorter than the reference has no curve.
    assert rate_curve(marks[:1], reference=9_387) == {}


def test_a_server_serving_the_embedded_data_takes_its_latest_ingest_figures() -> None:
    rows = [
        {"size": 10, "mode": "embedded", "ingest_passages_per_s": 221.5, "search": {"a": 1}},
        {
            "size": 10,
            "mode": "server",
            "ingest_passages_per_s": 136.4,  # from an earlier embedded run
            "ingested_by": "embedded",
            "search": {"b": 2},
            "chroma_server_rss_mb": 9,
        },
    ]
    [row] = borrowed_row(rows, 10)
    assert row["ingest_passages_per_s"] == 221.5 and row["mode"] == "server"
    assert row["search"] == {"b": 2} and row["chroma_server_rss_mb"] == 9
    assert "embedded" in row["ingested_by"]


def test_the_warm_up_ingests_a_small_archive_and_leaves_nothing_behind(tmp_path: Path) -> None:
    import numpy as np

    sentences = [f"Sentence number {i} says something about the harbour budget." for i in range(80)]
    vectors = np.random.default_rng(0).standard_normal((len(sentences), 384)).astype(np.float32)
    said: list[str] = []
    seconds = warm_up((sentences, vectors), [12] * len(sentences), tmp_path, said.append)
    assert seconds > 0 and "300-passage ingest" in said[0]
    assert list(tmp_path.iterdir()) == []

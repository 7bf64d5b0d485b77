"""The retrieval benchmark end to end on a tiny corpus with the fake embedder (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval import run_retrieval_eval
from eval.cli import eval_app
from eval.report import format_table, markdown_table
from qa import Assistant
from qa.errors import NewsdeskError

TOPICS = [
    (
        "Harbor bridge reopens",
        "The harbor bridge reopened on Tuesday after eight months of repairs.",
    ),
    (
        "Solar farm approved",
        "Regulators approved the desert solar farm with a capacity of 400 megawatts.",
    ),
    (
        "Chess champion retires",
        "The chess champion announced her retirement after winning twelve titles.",
    ),
    (
        "Rail strike ends",
        "Train drivers ended their strike once the union accepted a four percent raise.",
    ),
    (
        "Museum finds fresco",
        "Restorers uncovered a medieval fresco behind plaster in the city museum.",
    ),
    ("Coffee prices climb", "Coffee prices climbed to a record as drought hit growers in Brazil."),
]


def _article(i: int, title: str, fact: str) -> dict[str, object]:
    filler = (
        f" Local reporters covered story number {i} in detail. Officials gave few other comments."
    )
    return {
        "title": title,
        "author": "Staff",
        "source": f"Outlet {i % 3}",
        "published_at": f"2023-10-0{i + 1}T08:00:00+00:00",
        "url": f"https://News.example.com/story-{i}/?utm_source=feed",
        "body": fact + filler,
    }


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps([_article(i, t, f) for i, (t, f) in enumerate(TOPICS)]))

    def evidence(i: int) -> dict[str, str]:
        return {
            "fact": TOPICS[i][1],
            "url": f"https://news.example.com/story-{i}",
            "source": f"Outlet {i % 3}",
        }

    queries = [
        {
            "qid": "a",
            "query": "When did the harbor bridge reopen after repairs?",
            "answer": "Tuesday",
            "question_type": "temporal_query",
            "evidence_list": [evidence(0)],
        },
        {
            "qid": "b",
            "query": "Did the solar farm and the rail strike both involve approvals?",
            "answer": "Yes",
            "question_type": "comparison_query",
            "evidence_list": [evidence(1), evidence(3)],
        },
        {
            "qid": "c",
            "query": "Which champion retired after twelve titles?",
            "answer": "chess",
            "question_type": "inference_query",
            "evidence_list": [evidence(2)],
        },
        {
            "qid": "d",
            "query": "What did the mayor eat?",
            "answer": "Insufficient information.",
            "question_type": "null_query",
            "evidence_list": [],
        },
    ]
    qfile = tmp_path / "queries.json"
    qfile.write_text(json.dumps(queries))
    return corpus, qfile


def _retrievers(tmp_path: Path) -> list[str]:
    """dense, plus bm25 and hybrid when the code base already accepts them."""
    names = ["dense"]
    for name in ("bm25", "hybrid"):
        try:
            Assistant.open(tmp_path / "probe", embedder="fake", retriever=name)
        except NewsdeskError:
            continue
        names.append(name)
    return names


def _check_results(results: dict, names: list[str]) -> None:
    assert set(results) == {"corpus", "queries", "k", "n_queries", "skipped_null", "retrievers"}
    assert results["n_queries"] == 3 and results["skipped_null"] == 1 and results["k"] == 10
    assert list(results["retrievers"]) == names
    for data in results["retrievers"].values():
        overall = data["overall"]
        for key in ("mrr@10", "map@10", "hits@4", "hits@10", "article_recall@10", "all_gold@10"):
            assert 0.0 <= overall[key] <= 1.0, key
        assert 0.0 <= overall["latency_p50_ms"] <= overall["latency_p95_ms"]
        assert set(data["by_type"]) == {"temporal_query", "comparison_query", "inference_query"}
        assert all(m["n"] == 1 for m in data["by_type"].values())
        assert set(data["by_type"]["temporal_query"]) == {*overall, "n"}


def test_run_retrieval_eval_end_to_end(tmp_path: Path, files: tuple[Path, Path]) -> None:
    corpus, queries = files
    names = _retrievers(tmp_path)
    out = tmp_path / "out"
    results = run_retrieval_eval(corpus, queries, out, retrievers=names, embedder="fake")
    _check_results(results, names)
    # the corpus is tiny: every fact is somewhere in the top 10
    assert results["retrievers"]["dense"]["overall"]["hits@10"] == 1.0
    assert results["retrievers"]["dense"]["overall"]["article_recall@10"] == 1.0
    assert json.loads((out / "retrieval.json").read_text()) == results
    assert (out / "retrieval.png").read_bytes().startswith(b"\x89PNG")
    lines = (out / "runs-dense.jsonl").read_text().splitlines()
    assert len(lines) == 3
    run = json.loads(lines[0])
    assert run["qid"] == "a" and run["first_hit_rank"] >= 1
    assert "https://news.example.com/story-0" in run["retrieved_urls"]
    table = format_table(results)
    assert "MRR@10" in table and "AllGold@10" in table and "temporal_query" in table
    md_lines = markdown_table(results).splitlines()
    assert sum(line.startswith("| dense |") for line in md_lines) == 1

    again = run_retrieval_eval(corpus, queries, out, retrievers=["dense"], limit=2, embedder="fake")
    assert again["n_queries"] == 2  # re-run reuses the index (ingest is idempotent)


def test_bad_arguments_are_newsdesk_errors(tmp_path: Path, files: tuple[Path, Path]) -> None:
    corpus, queries = files
    with pytest.raises(NewsdeskError, match="Unknown retriever"):
        run_retrieval_eval(corpus, queries, tmp_path / "o", retrievers=["tfidf"], embedder="fake")
    with pytest.raises(NewsdeskError, match="Corpus not found"):
        run_retrieval_eval(tmp_path / "nope.json", queries, tmp_path / "o", embedder="fake")
    with pytest.raises(NewsdeskError, match=r"missing\.json"):
        run_retrieval_eval(corpus, tmp_path / "missing.json", tmp_path / "o", embedder="fake")


def test_cli_retrieval(
    tmp_path: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    corpus, queries = files
    out = tmp_path / "cli-out"
    args = [
        "retrieval",
        "--corpus",
        str(corpus),
        "--queries",
        str(queries),
        "--out",
        str(out),
        "--retriever",
        "dense",
    ]
    result = CliRunner().invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    assert "MRR@10" in result.output and "retrieval.json" in result.output
    assert (out / "retrieval.json").exists() and (out / "retrieval.png").exists()

    result = CliRunner().invoke(eval_app, [*args, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["retrievers"]["dense"]["overall"]["hits@10"] == 1.0

    result = CliRunner().invoke(eval_app, [*args[:-1], "tfidf"])
    assert result.exit_code == 2 and "tfidf" in result.output

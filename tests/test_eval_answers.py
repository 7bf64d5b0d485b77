"""The answer benchmark: hand-worked metrics and an end-to-end run on a small corpus."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TEST_DATA
from eval.answers import AnswerRun, answer_metrics, contains_entity, run_answer_eval


def _run(
    qtype: str,
    refused: bool,
    cited: list[set[str]],
    gold: list[str],
    answer: str = "",
    entity: str = "",
    ms: float = 100.0,
) -> AnswerRun:
    return AnswerRun("q", "question", qtype, answer, refused, cited, gold, entity, ms)


def test_entities_match_whole_words_after_normalising() -> None:
    assert contains_entity("It was Sam Bankman-Fried, prosecutors said.", "Sam Bankman-Fried")
    assert contains_entity("CAFÉ owners agreed", "cafe")
    assert not contains_entity("Applebee's reported", "Apple")
    assert not contains_entity("anything", "")


def test_metrics_by_hand() -> None:
    runs = [
        # 2 cited articles, 1 gold of 2: precision 0.5, recall 0.5
        _run("comparison_query", False, [{"a"}, {"x"}], ["a", "b"]),
        # a wire copy counts by any of its URLs: precision 1, recall 1
        _run("inference_query", False, [{"y", "b"}], ["b"], "Ann Lee said.", "Ann Lee"),
        # refused answerable: recall 0, no precision, entity absent
        _run("inference_query", True, [], ["c"], "", "Bob"),
        _run("null_query", True, [], []),
        _run("null_query", False, [{"z"}], []),
        # an option the comparison asked to choose, and a comparison answered Yes (not scored)
        _run("temporal_query", False, [{"d"}], ["d"], "Consistent: they agree.", "Consistent"),
        _run("comparison_query", False, [{"e"}], ["e"], "Yes.", "Yes"),
    ]
    m = answer_metrics(runs)
    assert m["n"] == 7 and m["n_null"] == 2
    assert m["null_refusal"] == 0.5
    assert m["false_refusal"] == 0.2
    assert m["citation_precision"] == 0.875  # mean of 0.5, 1, 1, 1 (answers with citations)
    assert m["citation_recall"] == 0.7  # mean of 0.5, 1, 0, 1, 1
    assert m["entity_present"] == 0.5
    assert m["n_other"] == 1 and m["other_present"] == 1.0
    assert m["ask_p50_ms"] == 100.0


def test_the_command_runs_end_to_end(tmp_path: Path) -> None:
    queries = tmp_path / "queries.json"
    queries.write_text(
        json.dumps(
            [
                {
                    "query": "How many workers joined the dock strike?",
                    "question_type": "inference_query",
                    "answer": "12,000",
                    "evidence_list": [
                        {
                            "url": "https://planet.test/dock-strike",
                            "fact": "Union leaders said 12,000 workers joined the dock strike",
                        }
                    ],
                },
                {
                    "query": "What did a Bloomberg article say about the dock strike?",
                    "question_type": "null_query",
                    "evidence_list": [],
                },
            ]
        )
    )
    out = tmp_path / "out"
    results = run_answer_eval(TEST_DATA / "conflict", queries, out, embedder="fake")
    overall = results["overall"]
    assert overall["n"] == 2 and overall["n_null"] == 1
    assert overall["null_refusal"] == 1.0  # the archive holds no Bloomberg articles
    assert overall["false_refusal"] == 0.0
    assert overall["citation_recall"] == 1.0 and overall["entity_present"] == 1.0
    assert set(results["by_type"]) == {"inference_query", "null_query"}
    lines = (out / "answers-runs.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["cited_urls"]
    assert json.loads((out / "answers.json").read_text())["overall"] == overall


def test_yes_no_accuracy_reads_the_verdict_an_answer_opens_with() -> None:
    from eval.answers import verdict

    assert verdict("Yes. TechCrunch, 2023-10-05: ...") == "yes"
    assert verdict("No: the Verge report is dated ...") == "no"
    assert verdict("No article in the archive says who ...") is None
    assert verdict("The reports disagree. ...") is None
    runs = [
        _run("comparison_query", False, [], ["a"], "Yes. Quote [1]", "Yes"),
        _run("comparison_query", False, [], ["a"], "No. Quote [1]", "yes"),
        _run("temporal_query", True, [], ["a"], "No article in the archive ...", "No"),
        _run("inference_query", False, [], ["a"], "Ann Lee [1].", "Ann Lee"),
    ]
    m = answer_metrics(runs)
    assert m["n_yes_no"] == 3
    assert m["yes_no_accuracy"] == round(1 / 3, 4)  # a refusal is never right


def test_a_factoid_file_is_scored_for_facts_leads_articles_and_refusals(tmp_path: Path) -> None:
    questions = tmp_path / "factoid.json"
    questions.write_text(
        json.dumps(
            [
                {
                    "question": "How many workers joined the dock strike, union leaders said?",
                    "type": "how-many",
                    "expect": ["12,000"],
                    "alt": [["12000"]],
                    "url": "https://planet.test/dock-strike",
                },
                {
                    "question": "What did a Bloomberg article say about the dock strike?",
                    "type": "what",
                    "expect": [],
                    "url": None,
                },
            ]
        )
    )
    out = tmp_path / "out"
    results = run_answer_eval(TEST_DATA / "conflict", questions, out, embedder="fake")
    assert results["kind"] == "factoid"
    overall = results["overall"]
    assert overall["n"] == 2 and overall["n_unanswerable"] == 1
    assert overall["fact_in_answer"] == 1.0 and overall["leads_with_fact"] == 1.0
    assert overall["right_article"] == 1.0
    assert overall["unanswerable_refused"] == 1.0 and overall["answerable_refused"] == 0.0
    assert set(results["by_type"]) == {"how-many", "what", "unanswerable"}
    rows = [json.loads(line) for line in (out / "answers-runs.jsonl").read_text().splitlines()]
    assert rows[0]["fact_in_answer"] and rows[1]["refused"]

"""Follow-ups made standalone, chat through the Assistant, and conflicting reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Assistant
from qa.answers.conversation import rewrite, standalone
from tests.conftest import TEST_DATA


def _chat(*turns: str) -> list[dict[str, str]]:
    out = []
    for i, text in enumerate(turns):
        out.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return out


def test_pronouns_take_the_person_the_conversation_is_about() -> None:
    messages = _chat("Who did Jake Sullivan speak with?", "Yuri Ushakov [1].", "What did he warn?")
    assert standalone(messages) == "What did Jake Sullivan warn?"


def test_a_period_shift_repeats_the_question_for_the_new_period() -> None:
    first = "What did Jake Sullivan say on October 5, 2023?"
    assert rewrite("and the week after?", first) == (
        "What did Jake Sullivan say between October 6, 2023 and October 12, 2023?"
    )
    assert rewrite("And a week earlier?", first) == (
        "What did Jake Sullivan say between September 28, 2023 and October 4, 2023?"
    )


def test_outlets_and_dates_carry_over_to_a_follow_up() -> None:
    first = "What did TechCrunch report about Sam Altman in November 2023?"
    assert rewrite("Why was he fired?", first, outlets=["TechCrunch"]) == (
        "Why was Sam Altman fired, as reported by TechCrunch, in November 2023?"
    )


def test_a_new_self_contained_question_is_left_alone() -> None:
    first = "What did TechCrunch report about Sam Altman?"
    assert rewrite("What did Satya Nadella say?", first) == "What did Satya Nadella say?"
    assert standalone(_chat("  Who runs   the port? ")) == "Who runs the port?"
    # A new topic told in full, even without a name, is not given the last one's people.
    new = "What budget did the council approve for the harbour?"
    assert rewrite(new, "Who did Sullivan reportedly speak with?") == new
    # A short one that says too little on its own still is.
    assert rewrite("What was the outcome?", first) == (
        "What was the outcome, about TechCrunch, Sam Altman?"
    )


@pytest.fixture
def conflict_assistant(tmp_path: Path) -> Assistant:
    assistant = Assistant.open(tmp_path / "index", embedder="fake", min_evidence=0.0)
    report = assistant.ingest([TEST_DATA / "conflict"])
    assert report.added == 2
    return assistant


def test_chat_answers_a_follow_up_and_reports_its_standalone_question(
    conflict_assistant: Assistant,
) -> None:
    messages = _chat(
        "What happened at the port of Metropolis on October 5, 2023?",
        "The dock strike halted the port [1].",
        "and the week after?",
    )
    answer = conflict_assistant.chat(messages)
    assert answer.standalone_question == (
        "What happened at the port of Metropolis between October 6, 2023 and October 12, 2023?"
    )
    assert answer.to_dict()["standalone_question"] == answer.standalone_question
    assert not answer.refused and answer.citations


def test_conflicting_figures_are_shown_with_both_citations_and_dates(
    conflict_assistant: Assistant,
) -> None:
    answer = conflict_assistant.ask("How many workers joined the dock strike?")
    assert not answer.refused
    assert answer.text.startswith("Reports differ:")
    # Each value as the report writes it, with its citation.
    assert "Daily Planet, 2023-10-05 gives 12,000 workers [" in answer.text
    assert "Gotham Gazette, 2023-10-07 gives 8,500 workers [" in answer.text
    assert {c.passage.source for c in answer.citations} == {"Daily Planet", "Gotham Gazette"}

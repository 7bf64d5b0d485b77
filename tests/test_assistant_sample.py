"""End to end with the real MiniLM and a real Chroma on disk, over the bundled sample archive."""

from __future__ import annotations

import pytest

from conftest import SAMPLE_DIR, SAMPLE_QUESTIONS, UNANSWERABLE
from qa import Assistant
from qa.errors import EmptyIndexError, NewsdeskError

pytestmark = pytest.mark.slow

TITLE = "Report: Jake Sullivan Has Held Undisclosed Talks With Putin Aides"


@pytest.mark.parametrize("question", list(SAMPLE_QUESTIONS))
def test_sample_questions_are_answered_and_cited(
    sample_assistant: Assistant, question: str
) -> None:
    answer = sample_assistant.ask(question)
    assert not answer.refused
    for expected in SAMPLE_QUESTIONS[question]:
        assert expected in answer.text
    assert answer.citations and answer.citations[0].n == 1
    cited = answer.citations[0]
    assert cited.passage.title == TITLE
    assert cited.passage.author == "Dave DeCamp"
    # The citation quotes its passage, and every named answer is inside a quoted sentence.
    assert cited.quote in cited.passage.text
    quotes = " ".join(c.quote for c in answer.citations)
    for expected in SAMPLE_QUESTIONS[question]:
        assert expected in quotes
    assert "[1]" in answer.text


def test_unanswerable_question_is_refused(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(UNANSWERABLE)
    assert answer.refused
    # What the archive lacks, in words; the article is not about breakfast, so it is not
    # offered as coverage.
    assert answer.text == "No article in the archive says what Sullivan ate for breakfast."
    assert answer.citations == [] and answer.closest == []


def test_citation_offsets_point_into_the_article_body(sample_assistant: Assistant) -> None:
    from ingest.readers import read_path

    [article] = list(read_path(SAMPLE_DIR / "sullivan-russia-talks.txt"))
    answer = sample_assistant.ask("Who did Sullivan reportedly speak with?")
    for c in answer.citations:
        assert article.body[c.passage.start : c.passage.end] == c.passage.text  # type: ignore[union-attr]
        assert article.body[c.quote_start : c.quote_end] == c.quote  # type: ignore[union-attr]


def test_search_ranks_passages(sample_assistant: Assistant) -> None:
    passages = sample_assistant.search("Bilateral Consultative Commission New START", k=2)
    assert len(passages) == 2
    assert "Bilateral Consultative Commission" in passages[0].text
    assert passages[0].score >= passages[1].score


def test_reingest_adds_nothing(sample_assistant: Assistant) -> None:
    before = sample_assistant.stats()
    report = sample_assistant.ingest([SAMPLE_DIR])
    assert (report.added, report.updated, report.unchanged, report.passages) == (0, 0, 1, 0)
    assert sample_assistant.stats() == before


def test_empty_index_and_empty_question_give_clear_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assistant = Assistant.open(tmp_path)
    with pytest.raises(EmptyIndexError, match="holds no articles") as info:
        assistant.ask("Anything?")
    assert "newsdesk ingest" in info.value.hint
    with pytest.raises(NewsdeskError, match="empty"):
        assistant.ask("   ")


def test_the_answer_opens_with_every_person_asked_for(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("Who did Sullivan reportedly speak with?")
    # The names first, cited; then the sentence they come from, with its outlet.
    assert answer.text.startswith("Yuri Ushakov and Nikolai Patrushev [1]. Antiwar.com: \u201c")
    assert "Vladimir Putin [" not in answer.text  # he only describes Ushakov


def test_a_follow_up_about_what_was_discussed_quotes_what_was_said(
    sample_assistant: Assistant,
) -> None:
    reply = sample_assistant.chat(
        [
            {"role": "user", "content": "Who did Sullivan reportedly speak with?"},
            {"role": "assistant", "content": "Yuri Ushakov and Nikolai Patrushev [1]."},
            {"role": "user", "content": "What did he discuss with them?"},
        ]
    )
    assert not reply.refused
    # The content of the talks: the risk of escalation and the nuclear warning.
    assert "nuclear weapons" in reply.text and "broader conflict" in reply.text


@pytest.mark.parametrize(
    "question",
    [*SAMPLE_QUESTIONS, "What did Sullivan warn Moscow about?", "Why were inspections suspended?"],
)
def test_every_quote_is_a_contiguous_span_of_a_cited_article(
    sample_assistant: Assistant, question: str
) -> None:
    import re

    answer = sample_assistant.ask(question)
    bodies = [c.passage.text for c in answer.citations]
    quotes = re.findall(r"\u201c(.+?)\u201d(?= \[\d+\])", answer.text)
    assert quotes
    for quote in quotes:
        assert any(quote in body for body in bodies), quote

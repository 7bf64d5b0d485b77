"""Evidence checks shared by the answerers: names, outlets, refusal reasons, conflicts."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_passage
from qa.answer import ExtractiveAnswerer
from qa.embedding import FakeEmbedder
from qa.evidence import (
    asks_for_name,
    candidate_names,
    conflicting_values,
    missing_names,
    named_outlets,
    names_in,
    unknown_outlets,
)

_p = make_passage


def test_names_skip_question_words_dates_and_sentence_starts() -> None:
    text = "Considering the report on Ekta Bisht in October, what rose? Housing rose. Sam Altman spoke."
    assert [n.text for n in names_in(text)] == ["Ekta Bisht", "Sam Altman"]
    text = (
        "However Purdy threw twice. Moreover, Bankman-Fried lied. Using Caroline Ellison's notes."
    )
    assert [n.text for n in names_in(text)] == ["Purdy", "Bankman-Fried", "Caroline Ellison"]
    text = "According to the SEC, FTX failed and Apple, Google and Meta spoke."
    assert [n.text for n in names_in(text)] == ["SEC", "FTX", "Apple", "Google", "Meta"]
    text = "On Monday, FTX CEO Sam Bankman-Fried met Prime Minister Rishi Sunak and Dr. Jill Biden."
    assert [n.text for n in names_in(text, titles=False)] == [
        "FTX",
        "Sam Bankman-Fried",
        "Rishi Sunak",
        "Jill Biden",
    ]
    # In a question a title is part of what it asks about ('the 44th President').
    assert "Prime Minister Rishi Sunak" in [n.text for n in names_in(text)]


def test_outlets_the_archive_does_not_hold_are_reported() -> None:
    outlets = ["The Verge", "TechCrunch"]
    q = "Considering a CNBC article and a report by The Verge, which CEO was named?"
    assert unknown_outlets(q, outlets) == ["CNBC"]
    assert unknown_outlets("Did a TechCrunch article and The Verge agree?", outlets) == []
    # 'an article on X' names a topic, not an outlet.
    assert unknown_outlets("Did an article on Sam Altman say so?", outlets) == []


def test_names_no_passage_mentions_are_missing() -> None:
    passages = [_p("a", "Sam Altman returned to OpenAI on Tuesday.")]
    assert missing_names("What did Sam Altman tell Ekta Bisht?", passages) == ["Ekta Bisht"]
    assert missing_names("What did Sam Altman say at OpenAI?", passages) == []


def test_name_answers_agree_across_articles_and_take_the_long_form() -> None:
    texts = [
        ("a", "Prosecutors said Sam Bankman-Fried lied to investors.", 0.6),
        ("b", "Bankman-Fried told the jury he made mistakes at FTX.", 0.5),
        ("c", "Caroline Ellison testified on Tuesday.", 0.7),
    ]
    names = candidate_names(texts, "Who is accused of lying to investors and the jury?")
    assert names[0][0] == "Sam Bankman-Fried"
    assert asks_for_name("Which company makes the Cybertruck?")
    assert not asks_for_name("Did both outlets agree?")


def test_a_possessive_ends_a_name() -> None:
    text = "Prosecutors said Sam Bankman-Fried's FTX and Taylor Swift’s Eras Tour lost money."
    assert [n.text for n in names_in(text)] == [
        "Sam Bankman-Fried",
        "FTX",
        "Taylor Swift",
        "Eras Tour",
    ]


def test_a_short_name_is_given_in_the_fullest_form_the_evidence_uses() -> None:
    context = [
        "Britney Spears published her memoir on Tuesday.",
        "Fans of Britney Spears queued. Jamie Spears declined to comment.",
        "The European Commission opened an inquiry; the Commission said so.",
    ]
    q = "Which pop star and which body are named?"

    def lead(text: str) -> str:
        return candidate_names([("a", f"It was said of {text} on Monday.", 0.5)], q, (), context)[
            0
        ][0]

    assert lead("Spears") == "Britney Spears"
    assert lead("Commission") == "European Commission"
    # Only names ending with it: 'Britney' is not completed to 'Britney Spears'.
    assert lead("Britney") == "Britney"
    assert lead("Ellison") == "Ellison"


def test_short_forms_are_credited_to_the_fuller_form_of_the_whole_passages() -> None:
    texts = [
        ("a", "In January, Bankman-Fried pleaded not guilty to all counts.", 0.7),
        ("b", "The Securities and Exchange Commission alleges a deficiency.", 0.6),
        ("c", "Bankman-Fried said he struggled to manage two companies.", 0.5),
    ]
    q = "Who is the individual who struggled to manage two companies and pleaded not guilty?"
    assert candidate_names(texts, q)[0][0] == "Bankman-Fried"
    context = ["Prosecutors say Sam Bankman-Fried misused customer funds at FTX."]
    assert candidate_names(texts, q, context=context)[0] == ("Sam Bankman-Fried", 1.2)


def test_a_name_answer_is_the_one_every_named_outlet_reports() -> None:
    # The best sentences favour Lina Khan, but only Altman is in both outlets' articles.
    passages = [
        _p("a", "Lina Khan, who leads the regulator, said the agency was watching.", "Fortune"),
        _p("b", "Lina Khan warned chatbot makers again on Tuesday.", "Fortune"),
        _p("c", "The board said Sam Altman had not been candid with it.", "Fortune"),
        _p("d", "Altman returned to lead the chatbot maker after five days.", "TechCrunch"),
    ]
    got = ExtractiveAnswerer(FakeEmbedder()).answer(
        "Who, according to Fortune and TechCrunch, leads the chatbot maker and was watching?",
        passages,
    )
    assert got.text.startswith("Sam Altman.")


def test_a_name_answer_names_the_person_in_full() -> None:
    # The best sentences use the short form; only a headline names her in full.
    passages = [
        _p("a", "Lithium was forced on Spears against her will, she wrote."),
        replace(
            _p("b", "In the memoir, Spears said Jason Alexander was her first husband."),
            title="Britney Spears opens up",
        ),
    ]
    got = ExtractiveAnswerer(FakeEmbedder()).answer(
        "Which pop star was forced to take lithium against her will?", passages
    )
    assert got.text.startswith("Britney Spears.")


def test_named_outlets_count_how_often_they_are_named() -> None:
    q = "Did The Verge, TechCrunch and a second The Verge article agree?"
    assert named_outlets(q, ["TechCrunch", "The Verge", "Wired"]) == [
        ("The Verge", 2),
        ("TechCrunch", 1),
    ]


def test_conflicting_values_are_shown_side_by_side() -> None:
    a = _p("a", "The strike involved 12,000 workers.", "Daily Planet", "2023-10-05")
    b = _p("b", "Some 15,000 workers joined the strike.", "Gotham Gazette", "2023-10-07")
    text = conflicting_values(
        "How many workers joined the strike?",
        [(a.text, 1, a), (b.text, 2, b)],
    )
    assert text is not None
    assert "Daily Planet, 2023-10-05 gives 12000 [1]" in text
    assert "Gotham Gazette, 2023-10-07 gives 15000 [2]" in text
    same = _p("c", "The strike involved 12,000 workers, officials said.", "Gotham Gazette")
    assert conflicting_values("How many workers?", [(a.text, 1, a), (same.text, 2, same)]) is None
    assert conflicting_values("Who led the strike?", [(a.text, 1, a), (b.text, 2, b)]) is None


def test_the_extractive_answer_shows_a_conflict_with_both_citations() -> None:
    passages = [
        _p("a", "The dock strike involved 12,000 workers on Monday.", "Daily Planet"),
        _p("b", "Some 15,000 workers joined the dock strike on Monday.", "Gotham Gazette"),
    ]
    answer = ExtractiveAnswerer(FakeEmbedder(), min_evidence=0.0).answer(
        "How many workers joined the dock strike?", passages
    )
    assert not answer.refused
    assert answer.text.startswith("Reports differ:")
    assert "12000 [1]" in answer.text and "15000 [2]" in answer.text
    assert {c.passage.id for c in answer.citations} == {"a", "b"}


def test_refuses_a_question_about_an_outlet_the_archive_lacks() -> None:
    passages = [_p("a", "Sam Altman returned to OpenAI on Tuesday.", "The Verge")]
    answerer = ExtractiveAnswerer(FakeEmbedder(), min_evidence=0.0, outlets=lambda: ["The Verge"])
    answer = answerer.answer("What did a Bloomberg article say about Sam Altman?", passages)
    assert answer.refused
    assert answer.reason == "The archive holds no articles from Bloomberg."
    assert "\u201cStory a\u201d (The Verge, 2023-10-05)" in answer.text

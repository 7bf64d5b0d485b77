"""Evidence checks shared by the answerers: names, outlets, refusal reasons, conflicts."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_passage
from qa.answers.evidence import (
    asks_for_name,
    candidate_names,
    conflicting_values,
    mention_counts,
    mention_word,
    missing_names,
    named_outlets,
    names_in,
    question_claims,
    unknown_outlets,
)
from qa.answers.extractive import ExtractiveAnswerer
from qa.config import Settings
from qa.embedding import FakeEmbedder

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


def test_which_individual_asks_for_a_person_not_a_body() -> None:
    texts = [
        ("a", "The crypto exchange FTX collapsed in November.", 0.9),
        ("b", "FTX customers lost money, and Sam Bankman-Fried was charged.", 0.5),
    ]
    question = "Which individual is accused of misusing customer funds at the exchange?"
    assert candidate_names(texts, question)[0][0] == "Sam Bankman-Fried"


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
    # A first name alone is completed only when no name ends with it, and by the name it
    # opens that is written at least as often (here 'Britney Spears', twice).
    assert lead("Britney") == "Britney Spears"
    assert lead("Ellison") == "Ellison"


def test_a_first_name_alone_is_the_full_name_written_at_least_as_often() -> None:
    q = "Who was praised by the board?"
    context = ["Sam Harland founded the firm. The board met Sam Harland on Friday."]

    def lead(text: str, context: list[str]) -> str:
        return candidate_names([("a", text, 0.5)], q, (), context)[0][0]

    # 'Sam' in a quote is the Sam Harland the evidence names twice.
    assert lead('"Sam is generous," the Board Chair Jo Kent said.', context) == "Sam Harland"
    # A name written more often alone is a name of its own, not the short form of a longer one.
    q = "Which retailer was praised?"
    context = ["Harbourmart AI is a unit of Harbourmart. Harbourmart grew; Harbourmart hired."]
    got = candidate_names([("a", "It was said that Harbourmart was praised.", 0.5)], q, (), context)
    assert got[0][0] == "Harbourmart"


def test_an_opening_adverb_or_a_country_before_a_name_is_not_part_of_it() -> None:
    q = "Which retailer ran the sale?"
    text = "It was said that Harbourmart ran the sale."
    for context in (
        "Technically Harbourmart ran it. The sale was a success.",
        "Didn't Harbourmart run it? The sale was a success.",
        "The US Harbourmart stores ran it.",
    ):
        got = candidate_names([("a", text, 0.5)], q, (), [context])
        assert got[0][0] == "Harbourmart", context
    got = candidate_names([("a", text, 0.5)], q, (), ["The chain Big Harbourmart ran it."])
    assert got[0][0] == "Big Harbourmart"


def test_a_surname_opening_a_sentence_counts_when_the_context_names_the_person() -> None:
    q = "Who is planning to launch a new venture?"
    texts = [("a", "Harland has been telling investors he plans a new venture.", 0.6)]
    assert candidate_names(texts, q) == []
    context = ["Investors say Sam Harland is raising money."]
    assert candidate_names(texts, q, (), context)[0][0] == "Sam Harland"


def test_the_word_an_article_naming_someone_is_sure_to_use() -> None:
    assert mention_word("Sam Bankman-Fried") == "fri"
    assert mention_word("Alameda Research") == "alameda"
    assert mention_word("Manchester United") == "manchester"
    assert mention_word("Research") == "research"
    assert mention_word("") is None


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
    got = ExtractiveAnswerer(FakeEmbedder(), Settings().answers).answer(
        "Who, according to Fortune and TechCrunch, leads the chatbot maker and was watching?",
        passages,
    )
    assert got.text.startswith("Sam Altman.")


def test_which_two_gives_two_names_from_the_named_outlets_reports() -> None:
    passages = [
        _p("a", "Nina Holt was seen cheering for Omar Dale from the box seats.", "The Age"),
        _p("b", "Omar Dale and Nina Holt left the stadium together on Sunday.", "Daily Post"),
    ]
    got = ExtractiveAnswerer(FakeEmbedder(), Settings().answers).answer(
        "Which two public figures, according to The Age and Daily Post, left the stadium "
        "together after one cheered from the box seats?",
        passages,
    )
    assert got.text.startswith(("Nina Holt and Omar Dale.", "Omar Dale and Nina Holt.")), got.text


def test_a_name_answer_names_the_person_in_full() -> None:
    # The best sentences use the short form; only a headline names her in full.
    passages = [
        _p("a", "Lithium was forced on Spears against her will, she wrote."),
        replace(
            _p("b", "In the memoir, Spears said Jason Alexander was her first husband."),
            title="Britney Spears opens up",
        ),
    ]
    got = ExtractiveAnswerer(FakeEmbedder(), Settings().answers).answer(
        "Which pop star was forced to take lithium against her will?", passages
    )
    assert got.text.startswith("Britney Spears [1].")


def test_a_name_answer_is_completed_from_the_opening_of_its_article() -> None:
    """Writers name someone in full at first mention and shorten the name after: the opening
    of the article (not retrieved here) gives the full form."""
    passages = [
        _p("a", "Later that year, Harland was found guilty of fraud by the jury.", "Fortune"),
        _p("b", "Harland took the stand in his own defence on Monday.", "TechCrunch"),
    ]
    openings = {
        "https://news.test/a": "Crypto founder Tom Harland went on trial in New York.",
        "https://news.test/b": "The trial of Tom Harland began on Tuesday.",
    }

    def answer(lookup: dict[str, str]) -> str:
        answerer = ExtractiveAnswerer(
            FakeEmbedder(),
            Settings().answers,
            openings=lambda ids: {i: lookup[i] for i in ids if i in lookup},
        )
        question = "Who, according to Fortune and TechCrunch, took the stand and was found guilty?"
        return answerer.answer(question, passages).text

    assert answer(openings).startswith("Tom Harland."), answer(openings)
    # Without it, 'Harland' alone is not taken for a person's full name.
    assert not answer({}).startswith(("Tom Harland", "Harland"))


def test_an_outlet_whose_article_opens_with_the_name_reports_it() -> None:
    """The name both named outlets report leads; one outlet's retrieved passage says 'he', but
    its article's opening names him."""
    passages = [
        replace(
            _p("a", "Tom Harland lied to lenders for years, prosecutors said.", "Fortune"),
            title="Jo Pike takes the stand",
        ),
        _p("b", "He was not honest, said Jo Pike, who worked with him.", "TechCrunch"),
    ]
    openings = {"https://news.test/b": "The fraud trial of Tom Harland entered its third week."}
    question = "Who, according to Fortune and TechCrunch, lied to lenders?"

    def answer(lookup: dict[str, str]) -> str:
        answerer = ExtractiveAnswerer(
            FakeEmbedder(),
            Settings().answers,
            openings=lambda ids: {i: lookup[i] for i in ids if i in lookup},
        )
        return answerer.answer(question, passages).text

    assert answer({}).startswith("Jo Pike."), answer({})
    assert answer(openings).startswith("Tom Harland."), answer(openings)


def test_a_claim_no_outlet_is_named_for_may_cite_one_more_article_of_an_outlet() -> None:
    passages = [
        _p("v1", "Google pays billions to be the default search engine on phones.", "The Verge"),
        _p("t1", "Google hosts an annual hardware event to show new Pixel phones.", "TechCrunch"),
        _p(
            "v2",
            "News publishers say Google harmed their revenue with its AI answers.",
            "The Verge",
        ),
    ]
    q = (
        "Which company, covered by The Verge and TechCrunch, pays billions to be the default "
        "search engine, hosts an annual hardware event, and is accused by news publishers of "
        "harming their revenue?"
    )
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0, min_coverage=0.0, max_answer_sentences=4).answers
    )
    got = answerer.answer(q, passages)
    assert sorted(c.passage.id for c in got.citations) == ["t1", "v1", "v2"]
    # Within the articles the question asks for, nothing is added.
    got = answerer.answer(
        "Which company, covered by The Verge and TechCrunch, pays billions?", passages
    )
    assert sorted(c.passage.id for c in got.citations) == ["t1", "v1"]


def test_a_question_of_several_claims_is_matched_claim_by_claim() -> None:
    passages = [
        _p("v1", "Google pays billions to be the default search engine on phones.", "The Verge"),
        _p("t1", "Google hosts an annual hardware event to show new Pixel phones.", "TechCrunch"),
        _p(
            "v2",
            "News publishers say Google harmed their revenue with its AI answers.",
            "The Verge",
        ),
    ]
    supported = (
        "Which company, covered by The Verge and TechCrunch, pays billions to be the default "
        "search engine, hosts an annual hardware event, and is accused by news publishers of "
        "harming their revenue?"
    )
    # Each claim has its sentence, though no sentence matches the whole question well enough.
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.55, min_coverage=0.0).answers
    )
    assert answerer.score_sentences(supported, passages)[0].score < 0.55
    assert not answerer.answer(supported, passages).refused
    # Two claims of three that nothing supports: refused.
    unsupported = (
        "Which company, covered by The Verge and TechCrunch, pays billions to be the default "
        "search engine, built a lunar rover for farming tractors, and signed orchestral "
        "composers for symphony tours?"
    )
    assert answerer.answer(unsupported, passages).refused


def test_who_is_answered_with_a_person_not_a_body() -> None:
    passages = [
        _p("a", "The Securities and Exchange Commission sued over the misuse of customer funds."),
        _p(
            "b",
            "Alameda Research and FTX Ventures moved customer funds, the Exchange Commission said.",
        ),
        _p("c", "Sam Bankman-Fried denied that he directed the misuse of customer funds."),
    ]
    names = candidate_names(
        [(p.id, p.text, 1.0) for p in passages], "Who directed the misuse of customer funds?"
    )
    assert names[0][0] == "Sam Bankman-Fried"
    assert [n for n, _ in names] == ["Sam Bankman-Fried"]
    # With no person among them, a 'who' question still gets the names there are.
    names = candidate_names([(p.id, p.text, 1.0) for p in passages[:2]], "Who sued?")
    assert "Alameda Research" in [n for n, _ in names]


def test_named_outlets_count_how_often_they_are_named() -> None:
    q = "Did The Verge, TechCrunch and a second The Verge article agree?"
    assert named_outlets(q, ["TechCrunch", "The Verge", "Wired"]) == [
        ("The Verge", 2),
        ("TechCrunch", 1),
    ]


def test_mention_counts_read_how_many_articles_a_question_asks_of_an_outlet() -> None:
    outlets = ["TechCrunch", "The Verge", "Engadget"]
    q = "Which company was named according to TechCrunch, Engadget and two articles from The Verge?"
    assert mention_counts(q, outlets) == {"TechCrunch": 1, "Engadget": 1, "The Verge": 2}
    q = "Did TechCrunch say so, and did another TechCrunch article agree?"
    assert mention_counts(q, outlets) == {"TechCrunch": 2}


def test_question_claims_split_a_question_into_what_each_report_says() -> None:
    outlets = ["The Verge", "Fortune", "TechCrunch", "The Independent - Life and Style"]
    q = (
        "Who is the individual that, before the collapse of a crypto platform as reported by "
        "The Verge, recruited a colleague from Jane Street to a trading firm and later an "
        "exchange as per Fortune, and is accused of committing fraud for personal gain?"
    )
    claims = question_claims(q, outlets)
    assert [c.outlet for c in claims] == ["The Verge", "Fortune", None]
    assert {"collapse", "crypto", "platform"} <= claims[0].terms
    # A short part ('later an exchange') continues the claim before it.
    assert {"jane", "street", "exchange"} <= claims[1].terms
    assert "verge" not in claims[0].terms and "report" not in claims[0].terms
    # 'and' inside a list or an outlet's name does not cut; a list of outlets attributes nothing.
    q = (
        "Which company, covered by TechCrunch and The Verge, is expected to focus on Macs and "
        "new chipsets at an event and has been criticized for enforcing uniform terms on "
        "developers according to The Independent - Life and Style?"
    )
    claims = question_claims(q, outlets)
    assert len(claims) == 2
    assert {"mac", "chipset", "event"} <= claims[0].terms and claims[0].outlet is None
    assert claims[1].outlet == "The Independent - Life and Style"
    assert not question_claims("Which company, covered by TechCrunch and The Verge?", outlets)


def test_each_claim_is_cited_from_the_article_that_supports_it() -> None:
    # Two articles of one outlet: the one ranked first matches the question's words in
    # general, the second the claim about the recruit; both are cited, each for its claim.
    passages = [
        _p("v1", "Crypto platform FTX collapsed in November, the exchange said.", "The Verge"),
        _p(
            "f1",
            "Bankman-Fried recruited a colleague from Jane Street to his trading firm.",
            "Fortune",
        ),
        _p(
            "v2",
            "A judge's intervention revealed a financial discrepancy of eight billion.",
            "The Verge",
        ),
        _p("t1", "Prosecutors say Bankman-Fried committed fraud for personal gain.", "TechCrunch"),
        _p("v3", "The crypto exchange collapsed after a run on deposits.", "The Verge"),
    ]
    q = (
        "Who is the individual that, after the collapse of a crypto platform as reported by The "
        "Verge, recruited a colleague from Jane Street to a trading firm according to Fortune, "
        "learned of a financial discrepancy after a judge's intervention according to another "
        "article from The Verge, and committed fraud for personal gain according to TechCrunch?"
    )
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0, min_coverage=0.0, max_answer_sentences=4).answers
    )
    got = answerer.answer(q, passages)
    assert sorted(c.passage.id for c in got.citations) == ["f1", "t1", "v1", "v2"]


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
    answer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.0).answers).answer(
        "How many workers joined the dock strike?", passages
    )
    assert not answer.refused
    assert answer.text.startswith("Reports differ:")
    assert "15,000 workers [1]" in answer.text and "12,000 workers [2]" in answer.text
    assert {c.passage.id for c in answer.citations} == {"a", "b"}


def test_refuses_a_question_about_an_outlet_the_archive_lacks() -> None:
    passages = [_p("a", "Sam Altman returned to OpenAI on Tuesday.", "The Verge")]
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0).answers, outlets=lambda: ["The Verge"]
    )
    answer = answerer.answer("What did a Bloomberg article say about Sam Altman?", passages)
    assert answer.refused
    assert answer.reason == "The archive holds no articles from Bloomberg."
    assert "\u201cStory a\u201d (The Verge, 2023-10-05)" in answer.text


def test_a_report_named_before_what_it_says_is_one_claim() -> None:
    outlets = ["The Verge", "Fortune", "TechCrunch"]
    q = (
        "Between the report from The Verge on September 28, 2023, concerning the exchange's "
        "reputation before its collapse, and the report from Fortune on October 4, 2023, "
        "regarding the stories told by the lawyers, was there consistency in the founder's portrayal?"
    )
    claims = question_claims(q, outlets)
    assert [c.outlet for c in claims] == ["The Verge", "Fortune", None]
    assert {"september", "reputation", "collapse"} <= claims[0].terms
    assert {"october", "lawyer"} <= claims[1].terms
    # 'according to X' after a claim still attributes that claim, not the next one.
    q = (
        "Did the exchange collapse after a run on deposits, according to TechCrunch, while "
        "the trial of its founder opened in October as Fortune reported?"
    )
    claims = question_claims(q, outlets)
    assert [c.outlet for c in claims] == ["TechCrunch", "Fortune"]


def test_a_date_said_of_one_report_picks_that_reports_article() -> None:
    # Both Verge articles say the same; the one ranked first was published on the date the
    # question gives for the Fortune report, the other on the date it gives for the Verge one.
    passages = [
        _p(
            "v1",
            "The exchange's reputation was spotless before its collapse.",
            "The Verge",
            "2023-10-04",
        ),
        _p("f1", "The lawyers told the jury two very different stories.", "Fortune", "2023-10-04"),
        _p(
            "v2",
            "The exchange's reputation was spotless before the collapse.",
            "The Verge",
            "2023-09-28",
        ),
    ]
    q = (
        "Between the report from The Verge on September 28, 2023, concerning the exchange's "
        "reputation before its collapse, and the report from Fortune on October 4, 2023, "
        "regarding the stories the lawyers told the jury, was there consistency?"
    )
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0, min_coverage=0.0).answers
    )
    got = answerer.answer(q, passages)
    assert sorted(c.passage.id for c in got.citations) == ["f1", "v2"]


def test_outlets_are_named_as_the_retriever_finds_them() -> None:
    sources = ["Cnbc | World Business News Leader", "TechCrunch", "The Age", "Rivals"]
    q = "Which exchange, reported by TechCrunch and by CNBC, was founded at the age of 25 by rivals?"
    # 'CNBC' names the outlet the archive calls 'Cnbc | World Business News Leader'; 'the age'
    # and 'rivals' in lower case name no outlet.
    assert named_outlets(q, sources) == [
        ("TechCrunch", 1),
        ("Cnbc | World Business News Leader", 1),
    ]
    q = (
        "Did CNBC say the crypto exchange collapsed overnight, while a TechCrunch article "
        "reported that its founder lied to investors?"
    )
    assert [c.outlet for c in question_claims(q, sources)] == [
        "Cnbc | World Business News Leader",
        "TechCrunch",
    ]


def test_an_outlets_articles_compete_by_how_close_their_retrieval_scores_are() -> None:
    # Two Verge articles the retriever scores almost alike: the one that states the claim
    # better is cited, though ranked second; far behind in score, it is not.
    def passages(second: float) -> list:
        return [
            replace(
                _p("v1", "The exchange collapsed in November after a run.", "The Verge"), score=1.0
            ),
            replace(
                _p(
                    "v2",
                    "The crypto exchange collapsed in November after a run on deposits.",
                    "The Verge",
                ),
                score=second,
            ),
            replace(
                _p("f1", "Its founder recruited a trader from Jane Street.", "Fortune"), score=0.9
            ),
        ]

    q = (
        "Did The Verge report that the crypto exchange collapsed after a run on deposits, while "
        "Fortune said its founder recruited a trader from Jane Street?"
    )
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0, min_coverage=0.0).answers
    )
    cited = lambda ps: sorted(c.passage.id for c in answerer.answer(q, ps).citations)  # noqa: E731
    assert cited(passages(0.98)) == ["f1", "v2"]
    assert cited(passages(0.3)) == ["f1", "v1"]


def test_every_report_a_question_asks_about_is_cited_however_long_its_quote() -> None:
    # Each quote is one sentence of over 300 characters: together over max_chars (600).
    filler = ", as witnesses told the court over several long days of hearings in the case" * 4
    passages = [
        _p("v1", f"The crypto exchange collapsed after a run on deposits{filler}.", "The Verge"),
        _p("f1", f"Its founder recruited a trader from Jane Street{filler}.", "Fortune"),
    ]
    q = (
        "Did The Verge report that the crypto exchange collapsed after a run on deposits, while "
        "Fortune said its founder recruited a trader from Jane Street?"
    )
    answerer = ExtractiveAnswerer(
        FakeEmbedder(), Settings(min_evidence=0.0, min_coverage=0.0).answers
    )
    got = answerer.answer(q, passages)
    assert sorted(c.passage.id for c in got.citations) == ["f1", "v1"]
    assert sum(len(c.quote) for c in got.citations) > 600


def test_a_name_the_articles_found_lack_is_said_of_them_not_of_the_archive() -> None:
    """Only the retrieved articles were read: the refusal must not claim the whole archive
    lacks the name (it may be in an article retrieval missed)."""
    passages = [_p("a", "Sam Altman returned to OpenAI on Tuesday.", "The Verge")]
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.0).answers)
    answer = answerer.answer("What did Sam Altman tell Ekta Bisht?", passages)
    assert answer.refused
    assert answer.text.startswith("No article found for this question mentions Ekta Bisht.")
    assert "in the archive" not in answer.text


def test_one_missing_detail_does_not_refuse_a_question_of_several_claims() -> None:
    from qa.answers.evidence import refusal_reason

    passages = [
        _p("a", "Sam Bankman-Fried founded FTX and Alameda Research, prosecutors said."),
        _p("b", "Caroline Ellison testified that Sam Bankman-Fried directed the transfers."),
    ]
    question = (
        "Who founded FTX and Alameda Research, recruited a trader from Jane Street, "
        "and was named by Caroline Ellison as directing the transfers?"
    )
    args = (question, passages, [], 0.9, 0.3, 0.0)
    # One claim: the missing name decides.
    assert refusal_reason(*args) == "None of the retrieved articles mentions Jane Street."
    # Several claims, most of whose names the passages hold: not refused for the one detail.
    assert refusal_reason(*args, claims=3) is None
    # Several claims, but most of the names missing: refused.
    other = "Who did Ekta Bisht meet at Jane Street after leaving Nikola Tesla Motors?"
    reason = refusal_reason(other, passages, [], 0.9, 0.3, 0.0, claims=2)
    assert reason is not None and reason.startswith("None of the retrieved articles mentions")


def test_a_common_word_opening_a_sentence_is_not_part_of_the_name_after_it() -> None:
    context = [
        "Current Fed officials said the current rate would hold.",
        "Investors expect the Fed to pause its rate rises.",
        "New York Times reporters said new rules were coming.",
        "Officials told the New York Times on Monday.",
    ]
    texts = [("a", "Investors expect the Fed to pause its rate rises.", 1.0)]
    # 'Fed' is written alone elsewhere and 'current' in lower case: 'Current' opens the
    # sentence only. 'New York Times' is written whole mid-sentence too, so it stays whole.
    assert candidate_names(texts, "Which institution will pause?", context=context) == [
        ("Fed", 1.0)
    ]
    texts = [("b", "New York Times reporters said new rules were coming.", 1.0)]
    assert candidate_names(texts, "Which paper reported it?", context=context)[0][0] == (
        "New York Times"
    )

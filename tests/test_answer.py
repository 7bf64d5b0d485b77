"""The extractive answerer with the fake embedder: sentence choice, citations, refusals."""

from __future__ import annotations

from qa.answers.evidence import REFUSAL
from qa.answers.extractive import ExtractiveAnswerer
from qa.answers.reading import (
    Sentence,
    SlotReading,
    _continued_by,
    _referred_to,
    _slot_order,
    predicate_match,
)
from qa.config import Settings
from qa.embedding import FakeEmbedder
from qa.nlp import entity_reader
from qa.types import Answer, Passage


def _passage(pid: str, text: str, start: int = 100) -> Passage:
    return Passage(
        id=pid,
        text=text,
        article_id=f"https://news.test/{pid}",
        title=f"Title {pid}",
        source="Test Times",
        author=None,
        published_at="2023-11-01T00:00:00+00:00",
        url=f"https://news.test/{pid}",
        start=start,
        end=start + len(text),
    )


def _answer_from(question: str, passages: list[Passage]) -> Answer:
    """The extractive answer to `question` from `passages`."""
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.2).answers)
    return answerer.answer(question, passages)


def _answer(question: str, text: str) -> str:
    """The extractive answer's text to `question` from one passage holding `text`."""
    return _answer_from(question, [_passage("p", text)]).text


PASSAGES = [
    _passage("a", "The mayor opened the fair on Friday. The harbour bridge will close in March."),
    _passage(
        "b", "Bus routes change next week. The bridge closure was ordered by engineer Helen Marsh."
    ),
]


def test_answers_with_the_matching_sentence_and_numbered_citations() -> None:
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.3).answers)
    answer = answerer.answer("When will the harbour bridge close?", PASSAGES)
    assert not answer.refused
    # The asked-for date first, then the sentence that gives it.
    assert answer.text.startswith(
        "March [1]. Test Times, 2023-11-01: \u201cThe harbour bridge will close in March.\u201d [1]"
    )
    assert answer.text.endswith("(As of 2023-11-01, the date of the newest report cited.)")
    first = answer.citations[0]
    assert first.n == 1 and first.passage.id == "a"
    assert first.quote == "The harbour bridge will close in March."
    # The quote's offsets point into the article body (passage a starts at offset 100).
    assert first.quote_start == 100 + PASSAGES[0].text.index(first.quote)
    assert first.quote_end - first.quote_start == len(first.quote)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text


def test_who_question_prefers_sentences_naming_someone_new() -> None:
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.2).answers)
    answer = answerer.answer("Who ordered the bridge closure?", PASSAGES)
    assert "Helen Marsh" in answer.text
    assert answer.citations[0].passage.id == "b"


def test_refuses_when_no_sentence_is_good_enough() -> None:
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.5).answers)
    answer = answerer.answer("What did the chef cook for breakfast?", PASSAGES)
    assert answer.refused and answer.text.startswith(REFUSAL)
    assert answer.citations == []
    # What is missing in words; the reason, with its scores, is kept apart (the evidence view).
    assert answer.text == "No article in the archive says what the chef cooked for breakfast."
    assert answer.reason is not None and "missing: breakfast, chef, cook" in answer.reason
    assert answer.to_dict() == {
        "answer": answer.text,
        "refused": True,
        "citations": [],
        "reason": answer.reason,
    }


def test_refuses_without_passages() -> None:
    answer = ExtractiveAnswerer(FakeEmbedder(), Settings().answers).answer("Anything?", [])
    assert answer.refused


def test_a_who_answer_names_a_person_before_a_name_standing_in_for_one() -> None:
    # The first sentence is closer to the question's words, but names no person: 'Verizon'
    # would only stand in for one. The answer is the person of the second sentence.
    passages = [
        _passage(
            "q",
            "The letter from Qwest said it would submit a modified offer to acquire MCI once "
            "its review of the Verizon merger agreement was complete. "
            "Qwest chairman Richard Notebaert sent the letter to the MCI board on Thursday.",
        )
    ]
    question = "Who is the Qwest chairman whose letter said Qwest would submit a modified offer?"
    answer = _answer_from(question, passages)
    assert answer.text.startswith("Richard Notebaert [1]."), answer.text


def test_a_why_answer_opens_with_the_reason_not_a_restatement_of_the_question() -> None:
    passages = [
        _passage(
            "e",
            "Shares in Elan plunged on Monday as the firm suspended sales of its new drug "
            "Tysabri after a patient's death in the US. The drug had been approved in November.",
        )
    ]
    answer = _answer_from("Why did Elan suspend sales of its new drug?", passages)
    assert answer.text.startswith("After a patient's death in the US [1]. Test Times"), answer.text
    assert "\u201cShares in Elan plunged on Monday" in answer.text


def test_a_when_answer_gives_the_date_not_the_time_since_it() -> None:
    text = (
        "Guitarist Ray Dunn vanished ten years ago, on 1 February 1995, from a hotel in "
        "London. His car was later found near a bridge."
    )
    answer = _answer("When did guitarist Ray Dunn vanish?", text)
    assert answer.startswith("1 February 1995 [1]."), answer


def test_a_sentence_that_only_wants_the_asked_event_does_not_answer_it() -> None:
    text = (
        "Assistant coach Tom Reed has admitted he would like to succeed Ann Lee as manager "
        "at Harbour City. Lee praised striker Sam Cole for his return to form."
    )
    answer = _answer("Who was appointed to succeed Ann Lee as Harbour City manager?", text)
    assert not answer.startswith(("Tom Reed", "Sam Cole")), answer
    # Asked in the same frame, the sentence answers.
    answer = _answer("Who would like to succeed Ann Lee as Harbour City manager?", text)
    assert answer.startswith("Tom Reed [1]."), answer


def test_a_report_about_something_else_neither_agrees_nor_differs() -> None:
    passages = [
        _passage("z", "Doctors said 5,000 patients had been treated with Zylomab by March."),
        _passage("w", "Doctors said 300 patients had been treated in the hospital by March."),
    ]
    answer = _answer_from("How many patients had been treated with Zylomab?", passages)
    assert answer.text.startswith("5,000 patients [1]."), answer.text
    assert "Reports differ" not in answer.text and len(answer.citations) == 1


def test_a_report_naming_another_show_does_not_answer_for_the_asked_one() -> None:
    passages = [
        _passage("c", "Natasha Kaplinsky won Strictly Come Dancing on BBC One at Christmas."),
        _passage("i", "Paul Gascoigne will skate in BBC One's Strictly Ice Dancing at Christmas."),
    ]
    # 'Strictly Come Dancing' is not 'Strictly Ice Dancing', though it shares two words.
    answer = _answer_from("Who won BBC One's Strictly Ice Dancing at Christmas?", passages)
    assert not answer.text.startswith("Natasha Kaplinsky"), answer.text
    answer = _answer_from("Who won BBC One's Strictly Come Dancing at Christmas?", passages)
    assert answer.text.startswith("Natasha Kaplinsky [1]."), answer.text


def test_according_to_someone_asks_for_what_they_said() -> None:
    passages = [
        _passage("a", "Some 2,000 jobs at the Harbour plant could go under the Ferry Line deal."),
        _passage("b", "The Courier said 3,000 jobs at the Harbour plant could go in the deal."),
    ]
    # The first report mentions most of what the question names, but not the Courier.
    question = (
        "How many Harbour plant jobs could go in the Ferry Line deal, according to the Courier?"
    )
    answer = _answer_from(question, passages)
    assert answer.text.startswith("3,000 jobs [1]."), answer.text
    assert "Reports differ" not in answer.text


def test_of_two_answering_sentences_the_one_whose_article_names_everything_asked_leads() -> None:
    def reading(passage: int, support: float, complete: bool) -> SlotReading:
        sentence = Sentence(passage, 0, 10, "...", support, support)
        return SlotReading(sentence, (), 0.5, support, complete=complete)

    # The article that also names 'Morgan Stanley' (as the question does) answers first,
    # though the other's sentence resembles the question a little more.
    partial, complete = reading(0, 0.8, False), reading(1, 0.7, True)
    assert sorted([partial, complete], key=_slot_order) == [complete, partial]


def test_a_name_is_mentioned_by_its_words_written_as_a_name() -> None:
    passages = [
        _passage("g", "The new book prize for a body of work is worth £10,000, judges said."),
        _passage("b", "Organisers said the Booker Prize for a body of work will be worth £60,000."),
    ]
    # The first report speaks of a prize, not of the Booker Prize.
    answer = _answer_from("How much is the new Booker Prize for a body of work worth?", passages)
    assert answer.text.startswith("£60,000 [1]."), answer.text
    assert "£10,000" not in answer.text


def test_a_sentence_stating_the_asked_figure_is_read_though_it_shares_few_words() -> None:
    text = (
        "The Harbour Prize for a body of work has a shortlist of five. "
        "The Harbour Prize judges praised the body of work of each writer. "
        "Writers on the Harbour Prize list have a large body of work. "
        "The Harbour Prize for work in English is new this year. "
        "A body of judges will pick the Harbour Prize winner for their work. "
        "The Harbour Prize work list was read out on Tuesday. "
        "The new £60,000 award is open to writers of all nationalities."
    )
    answer = _answer("How much is the new Harbour Prize for a body of work worth?", text)
    assert answer.startswith("£60,000 [1]."), answer


def test_a_name_written_beside_the_asked_noun_answers_whatever_verb_states_it() -> None:
    # 'Which drug' is answered by 'the new drug Tysabri' though the sentence says 'sank', not
    # 'sent down'; the name the model tags as an organisation elsewhere does not answer.
    text = (
        "On the New York Stock Exchange, shares in Elan lost 70% in one day. Shares in Elan "
        "sank 70% in one day after the suspension of sales of the new drug Tysabri."
    )
    got = _answer("Which drug's suspension sent shares in Elan down 70% in one day?", text)
    assert got.startswith("Tysabri [1]")
    # Of two names in one sentence, the one beside the asked noun.
    text = (
        "In Bethnal Green, former Labour MP George Galloway, who launched the anti-war party "
        "Respect, is standing against Oona King."
    )
    got = _answer("What is the name of the party George Galloway launched?", text)
    assert got.startswith("Respect [1]")


def test_a_role_named_in_the_next_paragraph_answers_who_holds_it() -> None:
    """News describes someone first and names them next: the answer gives the name, quoting
    both sentences, each paragraph in its own quotation marks."""
    text = (
        "Jon Marsh's lawyer has called for the doping charges against the sprinter to be "
        "dropped.\n\nPeter Collins has submitted new evidence to the athletics tribunal."
    )
    answer = _answer("Who is the lawyer asking the tribunal to drop the charges?", text)
    assert answer.startswith("Peter Collins [1]. "), answer
    assert (
        "\u201cJon Marsh's lawyer has called for the doping charges against the sprinter to be "
        "dropped.\u201d \u201cPeter Collins has submitted new evidence to the athletics "
        "tribunal.\u201d [1]"
    ) in answer


def test_which_two_firms_gives_the_two_named_for_the_description_and_no_more() -> None:
    text = (
        "Drivers will control their music players by voice, under plans in development by two "
        "US firms. VoxWorks and Tunebase are developing the technology for cars. A number of "
        "car firms are working with Apple on voice control for its iPod music player."
    )
    question = "Which two US firms are working together on voice control for music players?"
    answer = _answer(question, text)
    assert answer.startswith("VoxWorks and Tunebase [1]. "), answer


def test_a_name_given_for_the_asked_noun_answers_when_its_passage_tells_the_event() -> None:
    """The event is told first and referred back to ('The papers ...'): the sentence naming the
    newspaper answers, as long as it states what the question asks was done."""
    text = (
        "An inquiry is under way after files containing security details about the "
        "president's visit to London were found by a member of the public. "
        "Police said the visit had been given extra protection. "
        "Officers were given new codes on Monday. "
        "The papers were later given to the Daily Courier newspaper."
    )
    question = (
        "Which newspaper was given the lost security files about the president's London visit?"
    )
    answer = _answer(question, text)
    assert answer.startswith("Daily Courier [1]. "), answer
    assert _answer(question, text.replace("given to", "mentioned by")).startswith("No article")


def test_a_sentence_referring_back_to_the_event_answers_for_it() -> None:
    """'The low-budget film, directed by ...' speaks of the film the lead told about: the lead's
    words count for it, so it outranks a sentence about another film that shares more words."""
    story = _passage(
        "a",
        "A thriller starring Tom Reed as a retired spy won top honours at the Harbour Film "
        "Festival on Friday. The Ferryman won the Silver Anchor award. The low-budget film, "
        "directed by Anna Kowal, follows a spy who comes home after 20 years.",
    )
    other = _passage(
        "b",
        "Tom Reed was also at the Harbour Film Festival. Directed by Marco Bellini, The Return "
        "previously won top honours in Venice.",
    )
    question = "Who directed the Tom Reed film that took top honours at the Harbour Film Festival?"
    answer = _answer_from(question, [other, story])
    assert answer.text.startswith("Anna Kowal ["), answer.text


def test_which_sentences_refer_back_to_what_came_before() -> None:
    lead = "Film tops festival. A thriller won the festival's top prize on Friday. "

    def refers(sentence: str) -> bool:
        passage = _passage("p", lead + sentence)
        return bool(_referred_to(passage, len(lead), sentence))

    assert refers("That brought its prizes to nine this year.")
    assert refers("The low-budget film was shot in Wales.")  # 'film' was used before
    assert not refers("The weather was poor on Friday.")  # no weather was told of before
    assert not refers("She will voice the spider.")  # a person, not the event
    assert refers("The 34-year-old won in two minutes, 35.39 seconds.")  # a person named before


def test_an_irregular_form_states_the_asked_verb() -> None:
    irregular = entity_reader().irregular_verbs
    seek = [("seeking", "seek")]
    assert predicate_match(seek, "Support is being sought for a bill.", {}, irregular) == 1.0
    assert predicate_match(seek, "Support is being sought for a bill.", {}) == 0.0
    assert predicate_match([("pay", "pay")], "The club paid £5m.", {}, irregular) == 1.0
    assert predicate_match([("pay", "pay")], "The club said so.", {}, irregular) == 0.0


def test_a_date_is_read_from_every_sentence_of_the_best_passages_that_holds_one() -> None:
    # Six sentences say more of the question's words than the one that answers it: a date
    # question reads that one too, though a passage offers only its best few by word overlap.
    story = _passage(
        "p",
        "Dame Alicia Markova was loved by the public. Alicia Markova toured the world. "
        "Markova danced Giselle in London. Dame Alicia was the first of her kind. Alicia "
        "Markova taught young dancers. She retired in 1963, an instant decision. Dame Alicia "
        "Markova was made a dame.",
    )
    answer = _answer_from("In what year did Dame Alicia Markova retire?", [story])
    assert answer.text.startswith("1963 ["), answer.text


def test_who_holds_a_role_is_declined_when_only_other_roles_are_named() -> None:
    story = _passage(
        "p",
        "Cameroon says corruption in its finance ministry has cost it 1bn CFA francs a month. "
        "Prime Minister Ephraim Inoni said those found guilty would face tough punishments. "
        "Fidelis Nanga, a journalist in Yaounde, said the government would act.",
    )
    answer = _answer_from("Who is Cameroon's finance minister?", [story])
    assert answer.refused and "Inoni [" not in answer.text, answer.text
    answer = _answer_from("Who is Cameroon's prime minister?", [story])
    assert answer.text.startswith("Ephraim Inoni ["), answer.text


def test_a_sentence_answers_with_the_next_one_that_goes_on_from_its_person() -> None:
    # Declined without the next sentence: the one naming the lawyer says nothing of Lyle.
    text = (
        "The fraud trial of Omnicorp founder Bill Marr entered its third week. Defence lawyer "
        "Jon Harker rose after lunch. In the afternoon, he cross-examined accountant Paul Lyle "
        "for two hours."
    )
    question = "Which defence lawyer cross-examined Paul Lyle at the Omnicorp fraud trial?"
    assert _answer(question, text).startswith("Jon Harker ["), _answer(question, text)


def test_which_sentences_go_on_from_the_one_before() -> None:
    lead = "Defence lawyer Jon Harker spoke first. "

    def goes_on(sentence: str, person: bool = True) -> bool:
        passage = _passage("p", lead + sentence)
        return bool(_continued_by(passage, len(lead) - 1, person))

    assert goes_on("During cross examination, he asked Mr Lyle about the accounts.")
    assert goes_on("That is the size of the hole the party says must be filled.", person=False)
    assert not goes_on("He said: 'I asked Mr Lyle about the accounts.'")
    assert not goes_on("She asked Mr Lyle about the accounts.", person=False)
    assert not goes_on("It already has orders from two airlines.")


def test_a_question_asking_for_several_dates_is_answered_with_each() -> None:
    text = "Two versions of the software were put onto the net in October and December."
    answer = _answer("In which months were the versions of the software put online?", text)
    assert answer.startswith("October and December ["), answer

"""What a question asks for (qa.answers.question) and the spans of a sentence that answer it (qa.answers.slots),
read with the real spaCy pipeline on hand-made sentences."""

from __future__ import annotations

import pytest

from qa.answers.question import Slot, asked_clause, names_asked, read_question
from qa.answers.slots import (
    NAME,
    UNIT,
    Filler,
    asked_subject,
    capitalised_names,
    fillers,
    fit,
    holds_role,
    made_by,
    named_next,
    reason_spans,
    unasserted,
    value_of_another,
)
from qa.nlp import Entity, entity_reader


def _ask(question: str):
    return read_question(question, tuple(entity_reader().tokens(question)))


def _fillers(question, sentence: str) -> list[Filler]:
    entities = next(entity_reader().read([sentence]))
    return fillers(sentence, entities, question)


def _spans(question: str, sentence: str) -> list[str]:
    return [f.text for f in _fillers(_ask(question), sentence)]


@pytest.mark.parametrize(
    ("question", "slot", "unit"),
    [
        ("Who did Sullivan reportedly speak with?", Slot.PERSON, None),
        ("Which Six Nations captains were picked in the squad?", Slot.PERSON, "captain"),
        ("Where is the centre at which the France coach names his team?", Slot.PLACE, None),
        ("Which shipyard will build the new ferry?", Slot.ORG, "shipyard"),
        ("How many progressive Democrats signed the letter?", Slot.COUNT, "democrat"),
        ("How much did the council pay for the ferry?", Slot.MONEY, None),
        ("At what price were the shares sold?", Slot.MONEY, "price"),
        ("What percentage of voters backed the plan?", Slot.PERCENT, "percentage"),
        ("When was the last confirmed call?", Slot.DATE, None),
        ("In which city will the summit be held?", Slot.PLACE, "city"),
        ("At which London cinema will the ceremony be held?", Slot.PLACE, "cinema"),
        ("Why did the council reject the offer?", Slot.REASON, None),
        ("What did Sullivan discuss with them?", Slot.CONTENT, None),
        ("What was the runner's winning time in the final?", Slot.QUANTITY, "time"),
        ("What is the US price of the new car?", Slot.MONEY, "price"),
        ("What were the company's sales last year?", Slot.MONEY, "sale"),
        ("What is the film about?", Slot.CONTENT, None),
        ("What was Apple's response?", Slot.CONTENT, None),
        ("Did both outlets report the sale?", Slot.YESNO, None),
        ("Between the two reports, was there a change in tone?", Slot.YESNO, None),
    ],
)
def test_the_slot_is_read_from_the_question_grammar(
    question: str, slot: Slot, unit: str | None
) -> None:
    got = _ask(question)
    assert got.slot is slot
    assert got.unit == unit


@pytest.mark.parametrize(
    ("question", "options"),
    [
        (
            "Did the later report reflect a consistent or inconsistent viewpoint?",
            ("consistent", "inconsistent"),
        ),
        # A word and its negation, anywhere in the question.
        (
            "Did the Courier's review agree or disagree with the Herald on the new ferry?",
            ("agree", "disagree"),
        ),
        (
            "Did the second report show an agreement or disagreement with the earlier one?",
            ("agreement", "disagreement"),
        ),
        # A clause that says the reports agree, and an ', or' clause that says they differ.
        (
            "Does the Courier report align with the Herald's account of the fire, or do they "
            "give differing causes?",
            ("align", "differing"),
        ),
        (
            "Has the council's stance remained consistent since May, or has there been a "
            "change in its plans?",
            ("consistent", "change"),
        ),
        # Two events, not two readings of the reports: no options read.
        ("Did the council approve the plan, or did it delay the vote?", None),
        ("Did prices rise or fall in 2004?", None),
    ],
)
def test_an_x_or_y_question_has_its_options(question: str, options: tuple[str, str] | None) -> None:
    assert _ask(question).alternatives == options


def test_who_lists_every_person_the_sentence_names_not_the_ones_describing_them() -> None:
    sentence = (
        "They said Sullivan held talks with Yuri Ushakov, a foreign policy advisor to Russian "
        "President Vladimir Putin, and the secretary of the Russian Security Council, Nikolai "
        "Patrushev."
    )
    # Sullivan is who the question is about; Putin only describes Ushakov.
    assert _spans("Who did Sullivan reportedly speak with?", sentence) == [
        "Yuri Ushakov",
        "Nikolai Patrushev",
    ]


def test_titles_and_possessives_are_not_part_of_a_name() -> None:
    sentence = "Actress Julia Roberts will voice the spider, while Denis Hickie's try won it."
    assert _spans("Who will voice the spider?", sentence) == ["Julia Roberts", "Denis Hickie"]


def test_amounts_keep_their_currency_and_scale() -> None:
    sentence = "The council paid £41.5m for the ferry, against an estimate of $50 million."
    assert _spans("How much did the council pay for the ferry?", sentence) == [
        "£41.5m",
        "$50 million",
    ]


def test_a_count_is_the_number_of_what_is_counted() -> None:
    sentence = "In 2004 officials reported 41 new cases, and 3 hospitals closed."
    assert _spans("How many cases were reported?", sentence) == ["41 new cases"]
    # A year is never a count.
    assert _spans("How many hospitals closed?", sentence) == ["3 hospitals"]


def test_a_count_the_question_gives_does_not_hide_the_one_it_asks_for() -> None:
    sentence = "Last year some 40 million tickets were sold, 12 million of which were for trains."
    question = "How many of the 40 million tickets sold last year were for trains?"
    assert _spans(question, sentence) == ["12 million"]


def test_percentages_dates_and_places() -> None:
    sentence = "On 20 January the firm said 18% of staff in Oslo would go."
    assert _spans("What percentage of staff would go?", sentence) == ["18%"]
    assert _spans("When did the firm announce the cuts?", sentence) == ["20 January"]
    assert _spans("Where would the staff go?", sentence) == ["Oslo"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The warning came just 24 hours after the bank raised its target.",
        "The awards, now in their second year, are held in London.",
        "The firm has been in talks for five years.",
    ],
)
def test_a_span_of_time_does_not_answer_when(sentence: str) -> None:
    assert _spans("When was the warning given?", sentence) == []


def test_a_point_in_time_answers_when() -> None:
    sentence = "Talks began last week and the deal closed on Sunday, a year ago."
    assert set(_spans("When did the deal close?", sentence)) >= {"Sunday"}


def test_on_what_date_is_surely_answered_only_by_a_day() -> None:
    question = _ask("On what date will the awards be handed out?")
    day = _fillers(question, "The awards will be handed out on 20 March in London.")
    year = _fillers(question, "The awards were first handed out in 2004.")
    assert [f.text for f in day] == ["20 March"] and fit(day, question) == 1
    assert [f.text for f in year] == ["2004"] and fit(year, question) == 0


def test_how_surely_fillers_are_of_the_asked_kind() -> None:
    question = _ask("Which drug's suspension sent shares in Elan down?")
    named = _fillers(question, "Elan suspended sales of the new drug Tysabri on Monday.")
    assert "Tysabri" in [f.text for f in named] and fit(named, question) == 2
    who = _ask("Who is the Qwest chairman who wrote to MCI's board?")
    person = _fillers(who, "Qwest chairman Richard Notebaert sent a letter to MCI's board.")
    # Named beside the role the question asks who holds.
    assert [f.text for f in person] == ["Richard Notebaert"] and fit(person, who) == 2
    person = _fillers(who, "Richard Notebaert sent a letter to MCI's board.")
    assert [f.text for f in person] == ["Richard Notebaert"] and fit(person, who) == 1
    # A sentence naming no person: its capitalised names only stand in for one.
    sentence = "The letter said Qwest would review the Verizon merger agreement."
    stand_in = capitalised_names(
        sentence, who.text, next(entity_reader().read([sentence])), who.slot
    )
    assert stand_in and all(f.label == NAME for f in stand_in) and fit(stand_in, who) == 0


def test_who_holds_a_role_is_said_only_by_a_sentence_that_names_the_role() -> None:
    question = _ask("Who is Cameroon's finance minister?")
    assert question.role == "finance minister"
    assert holds_role(question, "The finance minister, Polycarpe Abah Abah, said so.")
    assert not holds_role(question, "Prime Minister Ephraim Inoni said those found guilty ...")
    assert not holds_role(question, "Fidelis Nanga, a journalist, said the government ...")
    anyone = _ask("Who is the individual that founded the exchange?")
    assert anyone.role is None and holds_role(anyone, "Fidelis Nanga said so.")


def test_a_name_beside_the_noun_asked_about_counts_though_the_model_misses_it() -> None:
    sentence = "The order went to the Norwegian shipyard Vard, owned by Italy's Fincantieri."
    assert "Vard" in _spans("Which shipyard won the order?", sentence)


def test_a_name_the_asked_thing_is_based_on_names_it() -> None:
    question = _ask("What operating system will the new laptop run?")
    sentence = "The laptop, made by Quanta, will run a Linux-based operating system."
    named = [f.text for f in _fillers(question, sentence) if f.label == UNIT]
    assert named == ["Linux"]


def test_who_did_the_asked_thing_is_named_after_its_verb_and_by() -> None:
    question = _ask("Who directed the thriller that won the festival's top prize?")
    sentence = "The film, directed by Jean-Luc Marchetti, opens in Paris on Friday."
    assert [(f.text, f.label) for f in _fillers(question, sentence)] == [
        ("Jean-Luc Marchetti", UNIT)
    ]
    # Another verb's agent is only a person the sentence names.
    question = _ask("Who bought the Harbour Gazette?")
    sentence = "The paper, read by Anna Berg every day, was sold."
    assert [f.label for f in _fillers(question, sentence)] == ["PERSON"]


def _named_next(question: str, text: str) -> str | None:
    """The person named after the first sentence of `text`, as the merged quote reads it."""
    end = text.index(". ") + 1
    found = named_next(text, 0, end, next(entity_reader().read([text])), _ask(question))
    if found is None:
        return None
    stop, people = found
    assert text[:stop].rstrip().endswith(".")
    assert all(text[p.start : p.end] == p.text for p in people)
    return " / ".join(p.text for p in people)


def test_a_person_named_next_whom_the_model_reads_as_a_body_still_answers() -> None:
    """The small model tags some people's names as organisations: at the next sentence's
    opening, a two-word name it tags so still names the role's holder; one word does not."""
    question = _ask("Which finance minister warned of a crisis over currency controls?")
    text = "The finance minister warned of a crisis over currency controls. Anna Berg said more."
    end = text.index(". ") + 1
    as_body = [Entity("Anna Berg", "ORG", end + 1, end + 10)]
    found = named_next(text, 0, end, as_body, question)
    assert found is not None and [p.text for p in found[1]] == ["Anna Berg"]
    text = "The finance minister warned of a crisis over currency controls. Usdaw said more."
    as_body = [Entity("Usdaw", "ORG", end + 1, end + 6)]
    assert named_next(text, 0, end, as_body, question) is None


def test_how_much_something_changes_is_read_as_a_percentage_or_a_sum() -> None:
    question = "How much is the harbour economy expected to grow in 2005?"
    assert _ask(question).slot is Slot.QUANTITY
    sentence = "The harbour economy is now expected to grow by 5.7% in 2005."
    assert _spans(question, sentence) == ["5.7%"]
    assert _ask("How much did the council pay for the ferry?").slot is Slot.MONEY


def test_a_role_given_first_and_its_holder_named_in_the_next_sentence() -> None:
    question = "Who is the lawyer asking the tribunal to drop the charges against Jon Marsh?"
    text = (
        "Jon Marsh's lawyer has called for the charges against the sprinter to be dropped. "
        "Peter Collins has submitted new evidence to the tribunal. The hearing resumes soon."
    )
    assert _named_next(question, text) == "Peter Collins"
    # The next sentence names someone in another role, or the role already has its name.
    other = text.replace("Peter Collins has", "Anna Berg, the prosecutor, has")
    assert _named_next(question, other) is None
    named = text.replace("Marsh's lawyer has", "Marsh's lawyer Tom Reid has")
    assert _named_next(question, named) is None
    # The first sentence gives no role, or the question asks for none.
    assert _named_next(question, text.replace("lawyer", "team")) is None
    assert _named_next("Who submitted new evidence?", text) is None


def test_the_people_named_after_a_role_when_the_question_asks_for_several() -> None:
    text = (
        "Ann Lee is among three British authors who made the shortlist. "
        "Tom Hart and Sue Bell have also been nominated, with Ann Lee."
    )
    several = "Which British authors made the shortlist for the prize?"
    assert _named_next(several, text) == "Tom Hart / Sue Bell"
    assert _named_next("Which British author made the shortlist?", text) == "Tom Hart"


def test_the_firms_named_after_they_are_described() -> None:
    text = (
        "Drivers will control their music players by voice, under plans in development by two "
        "US firms. VoxWorks and Tunebase are developing the technology for cars."
    )
    question = "Which two US firms are working together on voice control for music players?"
    assert _named_next(question, text) == "VoxWorks / Tunebase"
    assert _named_next(question, text.replace("VoxWorks and Tunebase are", "They are")) is None


def test_people_named_together_after_the_asked_noun_when_several_are_asked_for() -> None:
    sentence = "Veteran presenter Bruce Forsyth and Tess Daly will host the programme."
    assert _spans("Who are the presenters of the show?", sentence) == [
        "Bruce Forsyth",
        "Tess Daly",
    ]
    # One asked for: the name beside the noun; the other may be anyone.
    one = "Presenter Bruce Forsyth and singer Ann Ray will open the show."
    assert [f.text for f in _fillers(_ask("Who is the presenter?"), one) if f.label == "UNIT"] == [
        "Bruce Forsyth"
    ]


def test_spokespeople_are_spokesmen_and_spokeswomen() -> None:
    sentence = "Conservative health spokesman Jon Morgan and Ann Ray criticised the targets."
    question = "Which opposition health spokespeople criticised the targets?"
    assert [f.text for f in _fillers(_ask(question), sentence) if f.label == "UNIT"] == [
        "Jon Morgan",
        "Ann Ray",
    ]


def test_who_made_a_work_answers_only_who_made_it() -> None:
    sentence = "She will voice the spider, who saves a pig, in the story by Ed Whitley."
    assert "Ed Whitley" not in _spans("Who was cast as the voice of the pig?", sentence)
    assert "Ed Whitley" in _spans("Who wrote the story of the spider and the pig?", sentence)
    assert "Ed Whitley" in _spans("Who is the author of the story?", sentence)


def test_what_the_question_names_is_not_its_answer() -> None:
    sentence = "Roberts and Sullivan met in Oslo."
    assert _spans("Who did Sullivan meet?", sentence) == ["Roberts"]


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        (
            "The match was called off because of a waterlogged pitch.",
            "because of a waterlogged pitch",
        ),
        (
            "He resigned because he wanted to spend more time with his family.",
            "because he wanted to spend more time with his family",
        ),
        (
            "The tie-up has been delayed due to concerns by Chinese regulators, the paper said.",
            "due to concerns by Chinese regulators",
        ),
        ("The deal was thrown out by the court on competition grounds.", "on competition grounds"),
        (
            "Scientists have expressed concerns that her views could hamper research.",
            "concerns that her views could hamper research",
        ),
        ("The company was fined for breaching takeover rules.", "for breaching takeover rules"),
        (
            "He launched the drive in December after investors criticised the accounts.",
            "after investors criticised the accounts",
        ),
        ("The council met on Tuesday in the town hall.", None),
    ],
)
def test_the_reason_a_sentence_gives(sentence: str, reason: str | None) -> None:
    spans = reason_spans(entity_reader().tokens(sentence))
    assert (sentence[slice(*spans[0])] if spans else None) == reason


def test_a_cause_inside_a_cause_is_offered_too() -> None:
    sentence = "Shares plunged as the firms suspended sales of the drug after a patient's death."
    found = [sentence[a:b] for a, b in reason_spans(entity_reader().tokens(sentence))]
    assert found[0].startswith("as the firms suspended sales")
    assert "after a patient's death" in found


def test_a_size_is_not_answered_by_a_date_but_a_length_of_time_is() -> None:
    sentence = "The firm was fined 11m euros for breaking takeover rules five years ago."
    assert _spans("How large was the fine imposed on the firm?", sentence) == ["11m euros"]
    assert "three hours" in _spans("How long did the meeting last?", "It lasted three hours.")


def test_a_time_is_a_time_of_day_a_date_or_how_long_something_took() -> None:
    assert "two minutes 35.39 seconds" in " ".join(
        _spans(
            "What was Kelly Holmes' winning time?",
            "Holmes won the race in two minutes 35.39 seconds.",
        )
    )
    assert _spans("What time does the ceremony start?", "The ceremony starts at 7pm.") == ["7pm"]


def test_whose_thing_a_what_is_question_asks_about_distinguishes_it() -> None:
    asked = _ask("What is the US price of the Aston Martin V8 Vantage?")
    assert "us" in asked.terms and "price" not in asked.terms
    asked = _ask("What was Kelly Holmes' winning time in the 1,000m?")
    assert {"holme", "kel"} <= set(asked.terms)


def test_where_is_answered_by_a_name_written_where_a_place_is_beside_the_places_tagged() -> None:
    sentence = "Dame Alicia Markova, who has died in Bath aged 94, was the UK's first ballerina."
    assert _spans("Where did Dame Alicia Markova die?", sentence) == ["Bath"]
    held = "The summit will be held in central London next week."
    assert _spans("Where will the summit be held?", held) == ["London"]


def test_a_name_written_where_a_place_is_stands_in_for_a_place() -> None:
    sentence = "Papers were found in a street in Mayfair and given to the Mirror newspaper."
    question = _ask("In which part of London were the files found?")
    found = capitalised_names(
        sentence, question.text, next(entity_reader().read([sentence])), question.slot
    )
    assert [f.text for f in found] == ["Mayfair"] and fit(found, question) == 0
    other = "The Mirror newspaper said the files were handed to Scotland Yard."
    assert capitalised_names(other, question.text, [], question.slot) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Security firm Hexwall said the worm was designed to spread quickly.",
        "Reports said a drink was thrown at Rovers boss Sir Tom Kemp in the tunnel.",
        "Speaking on the Kestrel Television station, he denied the claims.",
        "The winning goal was scored against Harbour United on Saturday.",
    ],
)
def test_a_body_is_not_a_person(sentence: str) -> None:
    """A name written after a noun for a body, before a role it holds, or ending like a
    body's name answers no 'who' question, whether the model tagged it or it stands in."""
    who = _ask("Which player wrote the worm that was thrown in the tunnel?")
    tagged = [f.text for f in _fillers(who, sentence)]
    entities = next(entity_reader().read([sentence]))
    stand_ins = [f.text for f in capitalised_names(sentence, who.text, entities, who.slot)]
    for body in ("Hexwall", "Rovers", "Kestrel Television", "Harbour United"):
        assert body not in tagged and body not in stand_ins


def test_a_title_does_not_make_a_name_the_question_uses_an_answer() -> None:
    question = _ask("Who runs the drugmaker Dr Mehta's?")
    sentence = "Instead, Prof Mehta decided to think of farmers as a market."
    found = capitalised_names(sentence, question.text, [], question.slot)
    assert "Mehta" not in [f.text for f in found]


@pytest.mark.parametrize(
    ("sentence", "verbs", "unreal"),
    [
        ("The coach has said he would like to succeed Ann Lee as manager.", "succeed", True),
        ("The coach was appointed to succeed Ann Lee as manager.", "succeed appoint", False),
        ("The bank may be fined £5m by the regulator.", "fine", True),
        ("The bank was fined £5m by the regulator.", "fine", False),
        ("The novelist did not win the prize.", "win", True),
        ("She hopes to win the prize next year.", "win", True),
        ("She won the prize, and hopes to win it again.", "won win", False),
        ("The airline said it would cut 2,500 jobs.", "cut", False),
        ("The council met on Tuesday.", "win", False),
        ("She keeps winning titles after the injury.", "win winning", False),
    ],
)
def test_a_sentence_that_only_wants_or_denies_the_asked_event(
    sentence: str, verbs: str, unreal: bool
) -> None:
    pairs = [(v, v) for v in verbs.split()]
    assert unasserted(entity_reader().tokens(sentence), pairs) is unreal


def test_a_question_asked_in_such_a_frame_is_read_with_any() -> None:
    tokens = entity_reader().tokens("How many jobs could be shifted abroad to save costs?")
    pairs = [("shifted", "shift"), ("save", "save")]
    assert not unasserted(tokens, pairs) and unasserted(tokens, pairs, every=False)


def test_a_number_in_a_name_is_not_a_count_and_an_age_is_not_a_date() -> None:
    halls = "Organisers have built a digital home in Hall 25 of the 27 buildings at the fair."
    assert _spans("How many exhibition halls are there at the fair?", halls) == ["27"]
    age = "Mrs Dane, 59, who led the charity in Iraq, was abducted in Baghdad on 19 October."
    # A count of another kind of thing is no count of the asked one.
    firms = "The two firms said they will contact every patient who took the drug in trials."
    assert _spans("How many patients took the drug in trials?", firms) == []
    assert _spans("How many firms sell the drug?", firms) == ["two firms"]
    assert _spans("On what date was Mrs Dane abducted?", age) == ["19 October"]


def test_a_score_is_not_part_of_a_name() -> None:
    sentence = "Karol Kucera and Karina Habsudova beat Argentina 3-0 in the final."
    # The small model sometimes reads a team and its score as a person.
    entities = [
        Entity("Karol Kucera", "PERSON", 0, 12),
        Entity("Karina Habsudova", "PERSON", 17, 33),
        Entity("Argentina 3-0", "PERSON", 39, 52),
    ]
    question = _ask("Which players won the cup for Slovakia?")
    found = [f.text for f in fillers(sentence, entities, question)]
    assert found == ["Karol Kucera", "Karina Habsudova"]


@pytest.mark.parametrize(
    ("question", "verbs"),
    [
        # A verb of a clause that only identifies something need not be restated.
        ("What fee is Acme getting from Unilever for developing new snacks?", set()),
        (
            "On what date did the ferry limp back to port, before the owner warned of losses?",
            {"limp"},
        ),
        # With no verb of its own, the main clause leaves the others to be stated.
        ("How old was the minister when she became education secretary?", {"became"}),
        ("Who was appointed to succeed the manager?", {"appointed", "succeed"}),
    ],
)
def test_the_verbs_an_answer_must_state_are_those_of_the_main_clause(
    question: str, verbs: set[str]
) -> None:
    assert {written for written, _ in _ask(question).predicates} == verbs


def test_a_name_before_people_in_the_plural_says_where_they_are_from() -> None:
    sentence = "The prize was once open only to British and Commonwealth authors, said Ann Lee."
    assert "Commonwealth" not in _spans("Which British authors made the shortlist?", sentence)


def test_a_name_the_question_uses_is_no_answer_behind_a_title_the_model_read_into_it() -> None:
    sentence = "The files held plans for Gen Pervez Musharraf's visit this week."
    # The small model may read a titled name as an organisation's.
    model = [Entity("Gen Pervez Musharraf's", "ORG", 25, 47)]
    question = _ask("Which newspaper was given the files about Pervez Musharraf's visit?")
    assert fillers(sentence, model, question) == []


def test_an_amount_ends_with_its_last_digit_not_the_comma_after_it() -> None:
    sentence = "The prize is worth £10,000, judges said, and 2,500 copies sold."
    assert _spans("How much is the prize worth?", sentence) == ["£10,000"]


@pytest.mark.parametrize(
    ("question", "clause"),
    [
        ("How much was Intel fined?", "how much Intel was fined"),
        ("Who is the chief executive of Vard?", "who the chief executive of Vard is"),
        # A word that ends the question after the subject follows the verb in the clause.
        ("How much is the new Harbour Prize worth?", "how much the new Harbour Prize is worth"),
        ("What is the film about?", "what the film is about"),
        # Auxiliaries after the subject stay before the verb; after the first, in order.
        ("When had the deal been signed?", "when the deal had been signed"),
        ("How many patients had been treated?", "how many patients had been treated"),
        # 'is' the copula of a subject with a relative clause.
        (
            "Who is the individual that was once likened to a famous investor?",
            "who the individual that was once likened to a famous investor is",
        ),
    ],
)
def test_a_question_is_turned_into_the_clause_a_refusal_says(question: str, clause: str) -> None:
    assert asked_clause(question, tuple(entity_reader().tokens(question))) == clause


def test_a_venue_is_named_beside_the_kind_of_place_asked_for() -> None:
    sentence = "The ceremony will be held at the Curzon Mayfair cinema in London on 20 March."
    question = _ask("At which London cinema will the awards ceremony be held?")
    found = _fillers(question, sentence)
    assert [f.text for f in found] == ["Curzon Mayfair"]
    assert fit(found, question) == 2  # named beside 'cinema', not only a capitalised stand-in


@pytest.mark.parametrize(
    ("question", "sentence", "running"),
    [
        (
            "Who won the inaugural international Booker Prize?",
            "Dame Muriel Spark is among three authors on the shortlist for the Booker Prize.",
            True,
        ),
        (
            "Who is getting a lifetime achievement award from the guild?",
            "Martin Scorsese and Clint Eastwood are among the nominees for the guild's awards.",
            True,
        ),
        # The outcome stated, though the sentence also speaks of a nomination.
        (
            "Who is getting a lifetime achievement award from the guild?",
            "Sam Mendes, nominated twice before, will receive a lifetime achievement award.",
            False,
        ),
        # Not a question about an award's outcome.
        ("Who won the election?", "Three candidates are in the running.", False),
    ],
)
def test_who_is_nominated_does_not_say_who_won(question: str, sentence: str, running: bool) -> None:
    from qa.answers.slots import only_in_the_running

    assert only_in_the_running(_ask(question), sentence) is running


def test_a_share_price_answers_only_a_question_about_prices_or_shares() -> None:
    sentence = (
        "Shares in Phytopharm closed down 19.84% at 151.5 pence on Monday, after it said a "
        "partner was set to pull out of a deal worth £10m."
    )
    assert _spans("How much was the licensing deal with Phytopharm worth?", sentence) == ["£10m"]
    assert _spans("At what price did Phytopharm shares close?", sentence) == [
        "151.5 pence",
        "£10m",
    ]
    profits = "Profits rose to £5m last year, sending shares up 3% to 120p."
    assert _spans("How much profit did the firm make last year?", profits) == ["£5m"]


def test_where_something_happened_is_a_place_it_happened_in() -> None:
    question = _ask("In which city was the final between Slovakia and Argentina played?")
    rivals = "Slovakia will play Argentina in the final after beating their rivals the Netherlands."
    final = "Slovakia beat Argentina 3-0 in Saturday's final in Perth."
    assert [f.text for f in _fillers(question, final)] == ["Perth"]
    # A place named as a rival, not a venue, stands in at best (fit 0), after a venue (fit 1).
    assert fit(_fillers(question, rivals), question, rivals) == 0
    assert fit(_fillers(question, final), question, final) == 1
    # 'Which country won ...' asks for a country that did something, wherever it is written.
    which = _ask("Which country did Slovakia beat in the final?")
    assert fit(_fillers(which, rivals), which, rivals) == 1


def test_a_count_described_in_the_questions_other_words_counts_the_asked_thing() -> None:
    question = "How many league games had the record unbeaten run lasted before it ended?"
    sentence = (
        "Arsenal lost 2-0 at Old Trafford, which ended a record 49-match unbeaten league run, "
        "and won only three of their next 10 games."
    )
    # '2-0 at Old Trafford' is no count of games: the words after a count describe it only up
    # to where a phrase begins.
    assert _spans(question, sentence) == ["49-match unbeaten league run", "10 games"]
    # A count not joined to its noun counts that noun.
    awards = "The drama won five film awards last night after 12 nominations."
    assert _spans("How many nominations did the drama get for the film awards?", awards) == [
        "12 nominations"
    ]


def test_how_many_names_a_question_asks_for_when_it_says() -> None:
    assert names_asked("Which two US firms are working on it?") == 2
    assert names_asked("Who are the three winners?") == 3
    assert names_asked("Which firms are working on it?") is None
    assert names_asked("Who won two medals?") is None


def test_a_distance_or_a_date_is_not_a_time() -> None:
    question = "What was her winning time in the 1,000m?"
    assert _spans(question, "She won the 1,000m at the Grand Prix this summer.") == []
    assert _spans(question, "She won in two minutes, 35.39 seconds.") == [
        "two minutes, 35.39 seconds"
    ]
    assert _spans("What time did he run in the final?", "He ran 20.13secs in the final.") == [
        "20.13secs"
    ]


def test_a_sum_and_its_conversions_in_brackets_are_one_answer() -> None:
    q = "How much is Northbank paying to buy Delta Bank?"
    assert _spans(q, "Northbank said it would spend $3.3bn (£1.8bn) to buy Delta Bank.") == [
        "$3.3bn (£1.8bn)"
    ]
    assert _spans(q, "He approved the payment of 160m euros ($208m; £111m) in bonuses.") == [
        "160m euros ($208m; £111m)"
    ]
    # Brackets that hold something else leave the sum alone.
    assert _spans(q, "Northbank will pay $3.3bn (a record) for Delta Bank.") == ["$3.3bn"]


def test_the_questions_words_for_the_kind_name_an_answer_beside_a_noun_of_that_kind() -> None:
    q = "Which Finnish anti-virus company said it had seen reports of the virus?"
    fs = _fillers(_ask(q), "Finnish anti-virus lab F-Secure said it had reports of the virus.")
    assert [(f.text, f.label) for f in fs if f.label == UNIT] == [("F-Secure", UNIT)]
    # A noun of another kind after the same words names no company.
    other = "The anti-virus programme Cleaner was downloaded by millions."
    assert "Cleaner" not in [f.text for f in _fillers(_ask(q), other) if f.label == UNIT]


def test_the_words_describing_the_asked_noun_are_read_apart_from_the_terms() -> None:
    q = _ask("Which Sunday Herald journalist wrote the book about the mayor?")
    assert q.unit == "journalist"
    assert set(q.described) == {"sunday", "herald"}
    assert not {"sunday", "herald", "journalist"} & set(q.terms)
    assert _ask("How many Scottish councils run their own tax systems?").described == ()


def test_a_role_in_apposition_after_a_name_names_its_holder() -> None:
    q = "Who is the chief co-ordinator of Meeting Point, the TV show that reunites families?"
    sentence = '"Huge crowds came," Sergio Gera, the programme\'s chief co-ordinator, told the BBC.'
    assert ("Sergio Gera", UNIT) in [(f.text, f.label) for f in _fillers(_ask(q), sentence)]


def test_a_change_from_one_value_to_another_answers_with_the_new_one() -> None:
    sentence = "The plan will increase the number of sport colleges from 350 to 400."
    assert "350" not in _spans("How many sport colleges will there be after the plan?", sentence)
    assert "400" in _spans("How many sport colleges will there be after the plan?", sentence)
    assert "350" in _spans("How many sport colleges were there before the plan?", sentence)
    # How much something changed: the whole change.
    assert _spans("How much did Acme's sales rise?", "Acme's sales rose from £3m to £5m.") == [
        "from £3m to £5m"
    ]


def test_whose_asks_for_the_name_a_thing_belongs_to() -> None:
    q = "Whose weak shot did the goalkeeper Jerzy Dudek fail to hold?"
    sentence = (
        "Benitez defended goalkeeper Jerzy Dudek, whose failure to hold on to Dimitar "
        "Berbatov's weak drive allowed Franca to score."
    )
    assert _spans(q, sentence) == ["Dimitar Berbatov"]


def test_a_value_stated_of_another_name_is_not_the_asked_ones() -> None:
    reader = entity_reader()
    asked = "How much money did Leonardo DiCaprio pledge to Unicef?"
    subject = asked_subject(tuple(reader.tokens(asked)))
    assert subject == {"leonardo", "dicaprio"}

    def another(sentence: str, value: str) -> bool:
        at = sentence.index(value)
        tokens = reader.tokens(sentence)
        return value_of_another(tokens, subject, Filler(value, "MONEY", at, at + len(value)))

    both = (
        "Actress Sandra Bullock has donated $1m to the Red Cross and actor Leonardo DiCaprio "
        "pledged a sizable contribution to Unicef."
    )
    assert another(both, "$1m")
    assert not another("Leonardo DiCaprio has pledged $2m to Unicef.", "$2m")
    assert not another("DiCaprio said he would give $2m to Unicef.", "$2m")  # he: DiCaprio
    assert another("Sandra Bullock said she would give $2m to Unicef.", "$2m")
    assert not another("The actor has pledged $2m to Unicef.", "$2m")  # a noun: anyone's


def test_a_name_written_as_a_works_maker_made_it() -> None:
    sentence = (
        "According to a new book, Brown's Britain by Sunday Telegraph journalist Robert "
        "Peston, the pair fell out."
    )
    at = sentence.index("Robert")
    assert made_by(sentence, Filler("Robert Peston", "PERSON", at, at + 13))
    beaten = "He was beaten by Tom Lee in the final."
    at = beaten.index("Tom")
    assert not made_by(beaten, Filler("Tom Lee", "PERSON", at, at + 7))


def test_what_a_thing_is_called_names_it() -> None:
    q = "What is the extra security chip inside trusted computers called?"
    sentence = "Inside your PC is an extra chip called the trusted platform module (TPM)."
    assert _spans(q, sentence) == ["trusted platform module"]
    assert _spans("What is the new drug called?", "The drug, called Tysabri, was approved.") == [
        "Tysabri"
    ]


def test_the_asked_subject_holds_every_name_before_the_verb() -> None:
    reader = entity_reader()
    asked = "On what date was Care International's Margaret Hassan abducted in Baghdad?"
    subject = asked_subject(tuple(reader.tokens(asked)))
    assert {"margaret", "hassan"} <= subject
    sentence = "Mrs Hassan, 59, who led Care International in Iraq, was abducted on 19 October."
    at = sentence.index("19 October")
    tokens = reader.tokens(sentence)
    assert not value_of_another(tokens, subject, Filler("19 October", "DATE", at, at + 10))

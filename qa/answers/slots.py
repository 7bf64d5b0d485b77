"""Reading the answer out of a sentence: the spans that fill a question's slot
(qa.answers.question).

Names and values come from the spaCy pipeline (qa.nlp), read once per passage and remembered;
amounts, percentages and counts are also read with patterns, which catch what the small model
misses ('£5.8m', '41 cases'). A span counts as a filler only when the question does not already
name it: 'Who did Sullivan speak with?' is not answered by 'Sullivan'.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.answers.question import (
    AUXILIARIES,
    Question,
    Slot,
    asks_change,
    kind_modifier,
    noun_kinds,
)
from qa.nlp import Entity, Token
from qa.text import STOP_WORDS, sentence_spans, stem, verb_root, words

CACHE_PASSAGES = 4096


@dataclass(frozen=True)
class Filler:
    """A span of a sentence that fills a question's slot: `text` is `sentence[start:end]`."""

    text: str
    label: str
    start: int
    end: int


# Labels of fillers no model tagged: a capitalised name standing in for an entity of the
# asked kind (capitalised_names), and a name written beside the noun the question asks about
# ('the drug Tysabri', 'MSP Karen Whitefield': _named_by_unit) or opening the sentence after
# one that gives the asked role without a name (named_next).
NAME = "NAME"
UNIT = "UNIT"

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands dozen dozens million millions billion"
).split()
_SCALE = r"(?:\s?(?:bn|m|k|million|billion|trillion|thousand|mn|b)\b)?"
# A number with thousands commas, never ending in one ('£10,000' in '£10,000, judges said').
_DIGITS = r"\d(?:[\d,]*\d)?(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?:(?:US|A|C|NZ|HK)?[$€£¥]|\b(?:USD|EUR|GBP|Rs\.?|R|CHF)\s?)\s?{_DIGITS}{_SCALE}"
    rf"|\b{_DIGITS}{_SCALE}\s?(?:dollars|euros|pounds|yen|yuan|rupees|francs|pence|p)\b",
    re.I,
)
_PERCENT = re.compile(rf"\b{_DIGITS}\s?(?:%|percent\b|per cent\b|percentage points?\b)")
_COUNT = re.compile(
    r"\b(?:\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand|m|bn|k)\b)?|"
    + "|".join(_NUMBER_WORDS)
    + r")(?:[\s-]+(?:"
    + "|".join(_NUMBER_WORDS)
    + r"))*\b",
    re.I,
)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
# The measures of a 'how ...' question that a span of time answers ('how long', 'how old').
_TIME_MEASURES = frozenset({"long", "old", "often", "soon", "time", "duration"})


def fillers(sentence: str, entities: Sequence[Entity], question: Question) -> list[Filler]:
    """The spans of `sentence` that fill `question`'s slot, in sentence order, those the
    question already names left out. `entities` are the sentence's (offsets in the sentence).
    A count question with a unit ('how many cases') takes numbers followed closely by that
    noun; without one, any count."""
    slot = question.slot
    if slot is None or not question.labels:
        return []
    labels = question.labels
    if slot is Slot.QUANTITY and question.unit not in _TIME_MEASURES:
        labels = labels - {"DATE", "TIME"}  # 'how large was the fine' is not a date
    found: list[Filler] = [
        Filler(e.text, e.label, e.start, e.end)
        for e in entities
        if e.label in labels and _usable(e.text, e.label, slot)
    ]
    if slot in (Slot.MONEY, Slot.COUNT, Slot.QUANTITY):
        found += [
            Filler(m.group(0), "MONEY", m.start(), m.end()) for m in _AMOUNT.finditer(sentence)
        ]
    if slot in (Slot.PERCENT, Slot.QUANTITY):
        found += [
            Filler(m.group(0), "PERCENT", m.start(), m.end()) for m in _PERCENT.finditer(sentence)
        ]
    if slot is Slot.COUNT:
        found += [
            Filler(m.group(0), "CARDINAL", m.start(), m.end())
            for m in _COUNT.finditer(sentence)
            if not _YEAR.match(m.group(0))
        ]
    if slot in (Slot.ORG, Slot.PLACE, Slot.THING, Slot.PERSON) and question.unit:
        found += _named_by_unit(
            sentence,
            question.unit,
            person=slot is Slot.PERSON,
            several=question.several,
            modifier=kind_modifier(question.text, question.unit),
        )
    if slot in (Slot.PERSON, Slot.ORG):
        found += _agents(sentence, question.predicates)
    if slot is Slot.PLACE and asks_where(question.text):
        # A name written where a place is ('who has died in Bath'), though the model read it
        # as another kind or not at all.
        found += capitalised_names(sentence, question.text, entities, slot)
    if slot is Slot.PERSON and _WHOSE.match(question.text):
        # 'Whose shot ...?' is answered by the name a thing is written as belonging to
        # ('Dimitar Berbatov's weak drive'), whichever kind the model took it for.
        owners = [
            Filler(m.group(1), NAME, m.start(1), m.end(1))
            for m in re.finditer(rf"\b({_CAPS})['’]s?(?=\s)", sentence)
            if m.group(1).split()[0].lower() not in STOP_WORDS
        ]
        found = owners or found
    found = [_tidy(sentence, f) for f in _merge(found)]
    if slot in (Slot.MONEY, Slot.QUANTITY):
        found = _with_conversions(sentence, found)
    if slot in (Slot.MONEY, Slot.COUNT, Slot.PERCENT, Slot.QUANTITY) and not _ASKS_BEFORE.search(
        question.text
    ):
        found = _changed_to(sentence, found, asks_change(question.text))
    if slot is Slot.PERSON:
        creating = asks_for_a_maker(question)
        found = [
            f
            for f in found
            if not _describes_another(sentence, f)
            and not _names_a_body(sentence, f.start, f.end)
            and not (_WORK_BY.search(sentence[max(0, f.start - 40) : f.start]) and not creating)
        ]
    if slot is Slot.COUNT:
        found = [f for f in found if not _names_a_thing(sentence, f)]
    if slot is Slot.PLACE and asks_where(question.text):
        # 'in Saturday's final in Perth', not 'beating the Netherlands': where something
        # happened is a place it happened in, at or near.
        found = [f for f in found if _placed(sentence, f)] or found
    if slot in (Slot.MONEY, Slot.QUANTITY) and not _asks_a_price(question.text):
        found = [f for f in found if not _share_price(sentence, f)]
    if slot is Slot.QUANTITY and question.unit == "time":
        found = _joined_times(sentence, [f for f in found if _a_time(sentence, f)])
    asked = _asked(question.text)
    if slot is Slot.COUNT and question.unit:
        terms = [t for t in question.terms if t != question.unit]
        # A count the question gives itself ('of the roughly 25 million players sold') is
        # no answer, so it does not stand in the way of one that names no noun.
        counted = [
            u
            for f in found
            if (u := _with_unit(sentence, f, question.unit, terms)) is not None
            and not _is_asked(u.text, asked)
        ]
        # No count next to its noun: any count of a sentence that names the noun ('... 25
        # million players were sold, 10 million of which were iPods').
        # Not a count of another kind of thing, though ('the two firms said' for 'how many
        # patients').
        found = counted or (
            [f for f in found if not _counts_another_kind(sentence, f, question.unit)]
            if _names_unit(sentence, question.unit)
            else []
        )
    # A name the question uses, after a title the model read into an organisation's name
    # ('Gen Pervez Musharraf's' for a question about Pervez Musharraf), is not an answer.
    return [
        f
        for f in found
        if not _is_asked(f.text, asked)
        and not _is_asked(_tidy(sentence, Filler(f.text, NAME, f.start, f.end)).text, asked)
    ]


_CAPS = r"[A-Z][\w&'’.-]*(?:\s+(?:of\s+|de\s+|&\s+)?[A-Z][\w&'’.-]*)*"


def holds_role(question: Question, sentence: str) -> bool:
    """Whether a sentence names the role a 'Who is X's finance minister?' question asks who
    holds ('finance minister Trevor Manuel'; 'Prime Minister Ephraim Inoni' names another):
    without it, a person it names is not said to hold the role. True for other questions."""
    if not question.role:
        return True
    said = [stem(w) for w in words(sentence)]
    role = question.role.split()
    return any(said[i : i + len(role)] == role for i in range(len(said)))


def _names_unit(sentence: str, unit: str) -> bool:
    return any(stem(w) == unit for w in words(sentence))


# Words written before a name that are not part of it: titles, roles, 'former'.
_LEADING = frozenset(
    """actress actor singer star footballer player striker midfielder defender goalkeeper
    coach manager boss chief executive chairman president minister secretary former ex
    veteran rival sir dame lord lady mr mrs ms dr prof professor judge lawyer spokesman
    spokeswoman director producer presenter host author writer rapper comedian
    councillor senator governor mayor mp msp mep general captain skipper gen col maj lt capt
    sgt cllr rev det insp supt""".split()
)


def _tidy(sentence: str, f: Filler) -> Filler:
    """A filler without a possessive ('Hickie's') or the titles and roles written before a
    name ('Actress Julia Roberts')."""
    start, end = f.start, f.end
    text = sentence[start:end]
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            end -= len(suffix)
    if f.label in ("PERSON", NAME):
        while True:
            m = re.match(r"([\w-]+)\s+", sentence[start:end])
            first = m.group(1).lower() if m else ""
            if not m or not (first in _LEADING or first.split("-")[0] in ("ex", "former")):
                break
            start += m.end()
    return Filler(sentence[start:end], f.label, start, end) if end > start else f


_GENDERED = re.compile(r"(\w{4,}?)(?:m[ae]n|wom[ae]n|persons?|people)")


def _named_by_unit(
    sentence: str, unit: str, person: bool = False, several: bool = False, modifier: str = ""
) -> list[Filler]:
    """Names written beside the noun the question asks about, which a small model may not
    tag: 'the Norwegian shipyard Vard', 'the Vard shipyard', 'lawyer Grigoris Ioannidis'; for
    people when the question asks for several, the name joined to one by 'and' too. Before
    the noun, the name may be written as what the thing is based on, and the question's word
    for the noun's kind may come between ('a Linux-based operating system' for 'What
    operating system ...?', `modifier` 'operating')."""
    out = []
    noun = rf"\b(?i:{re.escape(unit)})\w*"
    if m := _GENDERED.fullmatch(unit):  # 'spokespeople': a spokesman, spokeswoman or spokesperson
        noun = rf"\b(?i:{re.escape(m.group(1))}(?:m[ae]n|wom[ae]n|persons?|people))\b"
    for m in re.finditer(rf"{noun},?\s+({_CAPS})(?:\s+and\s+({_CAPS}))?", sentence):
        out.append(Filler(m.group(1), UNIT, m.start(1), m.end(1)))
        if m.group(2) and person and several:  # 'presenter Bruce Forsyth and Tess Daly host'
            out.append(Filler(m.group(2), UNIT, m.start(2), m.end(2)))
    if person:
        # An apposition after the name: 'Sergio Gera, the programme's chief co-ordinator,'.
        described = rf"(?:the|a|an)\s+(?:[\w'’-]+\s+){{0,3}}?{noun}(?:\s+[\w'’-]+)?"
        after = rf"\b({_CAPS}),\s+{described}\s*[,.;]"
        for m in re.finditer(after, sentence):
            out.append(Filler(m.group(1), UNIT, m.start(1), m.end(1)))
    between = rf"\s+(?:(?i:{re.escape(modifier)})\s+)?" if modifier else r"\s+"
    for m in re.finditer(rf"\b({_CAPS})(?:{between})({noun})", sentence):
        if person and m.group(2).lower().endswith("s") and not unit.endswith("s"):
            continue  # 'British and Commonwealth authors': where they are from, not who
        if m.group(1).endswith(("'s", "'", "’s", "’")):
            continue  # 'Kenteris' lawyer': whose lawyer, not who
        if m.start(1) > 0 or len(m.group(1).split()) > 1:  # not a sentence's capital opening
            # 'Linux-based' (one word to _CAPS) names Linux.
            end = m.end(1) - (len("-based") if m.group(1).endswith("-based") else 0)
            out.append(Filler(sentence[m.start(1) : end], UNIT, m.start(1), end))
    # What the thing is called: 'an extra chip called the trusted platform module (TPM)',
    # 'a film called The Return'.
    called = rf"{noun},?\s+(?:called|named|known\s+as|dubbed)\s+"
    phrase = r"(?:the\s+|an?\s+)?([a-z][\w'’-]*(?:\s+[a-z][\w'’-]*){0,4}?)(?=\s*[(,.;:!?\"”]|$)"
    for m in re.finditer(rf"{called}(?:({_CAPS})|{phrase})", sentence):
        k = 1 if m.group(1) else 2
        out.append(Filler(m.group(k), UNIT, m.start(k), m.end(k)))
    if modifier:
        # The question's word for the kind before another noun of the same kind ('Finnish
        # anti-virus lab F-Secure' for 'Which Finnish anti-virus company ...?').
        kinds = noun_kinds(unit)
        alike = rf"\b(?i:{re.escape(modifier)})\s+([a-z]+),?\s+({_CAPS})"
        for m in re.finditer(alike, sentence):
            if stem(m.group(1)) != unit and noun_kinds(m.group(1)) & kinds:
                out.append(Filler(m.group(2), UNIT, m.start(2), m.end(2)))
    out = [_without_full_stop(sentence, f) for f in out]
    return [f for f in out if f.text.split()[0].lower() not in STOP_WORDS]


def _agents(sentence: str, verbs: Sequence[tuple[str, str]]) -> list[Filler]:
    """Names written as who did what the question asks about, after its verb and 'by' ('The
    film, directed by Jean-Pierre Jeunet, ...' for 'Who directed ...?'), which a small model
    may not tag. Labelled UNIT: as sure as a name written beside the asked noun."""
    out = []
    for _, lemma in verbs:
        root = re.escape(verb_root(lemma))
        for m in re.finditer(rf"\b(?i:{root})\w*\s+by\s+({_CAPS})", sentence):
            out.append(Filler(m.group(1), UNIT, m.start(1), m.end(1)))
    return [_without_full_stop(sentence, f) for f in out]


def named_next(
    text: str, start: int, end: int, entities: Sequence[Entity], question: Question
) -> tuple[int, list[Filler]] | None:
    """The person the sentence after text[start:end] names for the role a 'who' question asks
    about (or the organisation, for 'which firm'), when text[start:end] gives the role without a
    name: news often describes someone first and names them next ('Kostas Kenteris' lawyer has
    called for the charges to be dropped. Gregory Ioannidis has submitted new evidence ...';
    '... plans in development by two US firms. ScanSoft and Gracenote are developing ...').
    The next sentence must open with the name as its subject (not 'John Smith, the prosecutor,
    ...', which gives another role); when the question asks for several, the names it opens
    with. Returns the next sentence's end and the names, labelled UNIT (named for the asked
    noun), with offsets into text[start:]; else None. `entities` are text's."""
    unit = question.unit
    if question.slot not in (Slot.PERSON, Slot.ORG) or not unit:
        return None
    sentence = text[start:end]
    if unit not in {stem(w) for w in words(sentence)} or _named_by_unit(sentence, unit, True):
        return None
    following = next(sentence_spans(text[end:]), None)
    if following is None:
        return None
    s, e = end + following[0], end + following[1]
    following_text, mine = text[s:e], in_span(entities, s, e)
    found = fillers(following_text, mine, question)
    labels = question.labels
    if question.slot is Slot.ORG:  # a small model often reads a firm's name as a product
        labels |= {NAME}
        found += capitalised_names(following_text, question.text, mine, question.slot)
        found += [Filler(x.text, NAME, x.start, x.end) for x in mine if x.label == "PRODUCT"]
        found.sort(key=lambda f: (f.start, f.label == NAME))
    elif question.slot is Slot.PERSON:  # ... and a person it has not seen as a body
        labels |= {NAME}
        found += [
            Filler(x.text, NAME, x.start, x.end)
            for x in mine
            if x.label in _CONFUSABLE
            and x.label != "PERSON"
            and len(x.text.split()) >= 2  # a first name and a last ('Herve Gaymard')
            and not _names_a_body(following_text, x.start, x.end)
        ]
        found.sort(key=lambda f: (f.start, f.label == NAME))
    if not found or found[0].start != 0 or found[0].label not in labels:
        return None
    # The opening run of people ('Doris Lessing and Ian McEwan have also been nominated')
    # when the question asks for several, else the first.
    run = [found[0]]
    for f in found[1:] if question.several else ():
        if not _JOINS.fullmatch(text[s + run[-1].end : s + f.start]) or f.label not in labels:
            break
        run.append(f)
    if text[s + run[-1].end : e].lstrip().startswith((",", "(", "-", "–")):
        return None
    shift = s - start
    return e, [Filler(f.text, UNIT, f.start + shift, f.end + shift) for f in run]


_JOINS = re.compile(r",?\s+(?:and\s+)?|,\s*")


def _without_full_stop(sentence: str, f: Filler) -> Filler:
    """A name that ends its sentence, without the sentence's full stop ('drug Tysabri.')."""
    if f.text.endswith(".") and not sentence[f.end :].strip() and len(f.text) > 1:
        return Filler(f.text[:-1], f.label, f.start, f.end - 1)
    return f


# A person named after a role and a preposition ('an advisor to President Vladimir Putin',
# 'the wife of John Smith') describes someone else in the sentence, not the answer.
_ROLE_BEFORE = re.compile(
    r"\b(?:advis[eo]r|aide|secretary|spokes(?:man|woman|person)|minister|deputy|envoy|"
    r"ambassador|assistant|lawyer|attorney|representative|wife|husband|son|daughter|"
    r"father|mother|brother|sister|friend|partner|successor|predecessor|chief|head|"
    r"director|manager|coach|boss|member|counsel|adviser)\s+(?:to|of|for)\s+"
    r"(?:the\s+)?(?:[A-Z][\w.-]*\s+)*$"
)


# A person written after a work and 'by' ('the story by EB White', 'a novel by Ian McEwan')
# made it: an answer to who wrote, directed or made something, not to who else took part.
_WORKS = (
    r"story|stories|book|books|novel|novels|play|plays|poem|song|songs|album|film|films|"
    r"movie|painting|opera|musical|novella|memoir|biography|screenplay|script"
)
_WORK_BY = re.compile(rf"\b(?:{_WORKS})\s+by\s+$", re.I)
_MAKING = frozenset(
    stem(w)
    for w in """write wrote written author direct compose paint create pen produce make
    sing record publish draw adapt""".split()
)
_MAKERS = frozenset(
    stem(w)
    for w in """author writer director novelist composer painter artist playwright poet
    songwriter creator screenwriter producer singer""".split()
)


# 'A new book, Brown's Britain by Sunday Telegraph journalist ': a work, its title at most,
# then 'by' and what the maker is.
_MADE_BY = re.compile(rf"\b(?:{_WORKS})\b[^.;:!?]{{0,40}}?\bby\s+(?:[\w'’-]+\s+){{0,4}}$", re.I)


def made_by(sentence: str, f: Filler) -> bool:
    """Whether the name `f` is written as a work's maker ('a new book, Brown's Britain by
    Sunday Telegraph journalist Robert Peston'): for a question asking who made something,
    that states the making."""
    return bool(_MADE_BY.search(sentence[max(0, f.start - 100) : f.start]))


def asks_for_a_maker(question: Question) -> bool:
    """Whether a 'who' question asks who wrote, directed or made something ('Who wrote ...?',
    'Who is the author of ...?', 'By whom ...?')."""
    verbs = {stem(lemma) for _, lemma in question.predicates}
    return bool(verbs & _MAKING) or question.unit in _MAKERS or "by whom" in question.text.lower()


def _describes_another(sentence: str, f: Filler) -> bool:
    return bool(_ROLE_BEFORE.search(sentence[max(0, f.start - 80) : f.start]))


# Nouns that, written just before a name, make it a body's rather than a person's ('filtering
# firm Clearswift', 'the broadcaster Alter').
_BODY_NOUNS = frozenset(
    """firm company group broadcaster station channel newspaper paper magazine website site
    maker carrier retailer label studio network bank club party agency team insurer lender
    operator giant airline manufacturer developer publisher charity union""".split()
)


def _names_a_body(sentence: str, start: int, end: int) -> bool:
    """Whether the name at sentence[start:end] is a body's, not a person's: it is one word
    bodies' names end with ('United'), written after a noun for a body ('firm Clearswift'), or
    before a role or such a noun, as what the role belongs to ('United boss Sir Alex
    Ferguson', 'Alter Television station')."""
    from qa.answers.evidence import ends_like_body

    if ends_like_body(sentence[start:end]):
        return True
    before = re.search(r"([a-z]+)\s+$", sentence[max(0, start - 30) : start])
    if before and before.group(1) in _BODY_NOUNS:
        return True
    after = re.match(r"\s+([a-z]+)\b", sentence[end : end + 30])
    return bool(after and (after.group(1) in _BODY_NOUNS or after.group(1) in _ROLE_AFTER))


# Roles written after the name of what they belong to ('United boss', 'United fans'; a role
# in capitals is not read: 'Tom McCabe MSP' is a person).
_ROLE_AFTER = frozenset(
    """boss manager coach chief chairman president player players striker captain owner
    executive director spokesman spokeswoman spokesperson fans supporters members officials
    staff workers""".split()
)


def _usable(text: str, label: str, slot: Slot) -> bool:
    """Whether an entity can answer: a count is not a year, a date is not a bare weekday's
    'today', a name holds a capital letter."""
    if slot is Slot.COUNT and _YEAR.match(text.strip()):
        return False
    if slot is Slot.PERSON and any(c.isdigit() for c in text):
        return False  # 'Argentina 3-0': a score, not a name
    if label in ("PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"):
        return any(c.isupper() for c in text)
    if slot is Slot.DATE and label in ("DATE", "TIME"):
        if _is_duration(text):
            return False
        # A bare number the model read as a date is an age ('Mrs Hassan, 59, ...') or a day
        # without its month; a year ('2004') names a point in time.
        if text.strip().isdigit() and not _YEAR.match(text.strip()):
            return False
    return text.lower() not in ("today", "now", "currently")


_CLOCKED = re.compile(r"^\d+(?:[:.]\d+)+$")
_TIME_UNIT = re.compile(r"^\s*-?\s*(?:s|secs?|seconds?|mins?|minutes?|hrs?|hours?|days?)\b", re.I)


def _a_time(sentence: str, f: Filler) -> bool:
    """Whether a span answers 'what time': a time of day, or how long something took, in
    figures ('2:35.39', '9.87') or with a unit of time ('20.13secs', 'two minutes'); not a
    distance ('the 1,000m') or a date ('this summer')."""
    if f.label == "TIME":
        return True
    if f.label == "DATE":
        return False
    figure = re.match(r"\s*\d+(?:[:.,]\d+)*", f.text)
    if figure is None:
        return False
    after = f.text[figure.end() :] + sentence[f.end :]  # the model may tag '20.13secs' whole
    if _TIME_UNIT.match(after):
        return True
    return bool(_CLOCKED.match(figure.group(0).strip())) and not re.match(r"[A-Za-z]", after)


def _joined_times(sentence: str, found: list[Filler]) -> list[Filler]:
    """Times written one after the other joined into one ('two minutes, 35.39 seconds')."""
    out: list[Filler] = []
    for f in sorted(found, key=lambda f: f.start):
        if out and re.fullmatch(r",?\s*(?:and\s+)?", sentence[out[-1].end : f.start]):
            start = out[-1].start
            out[-1] = Filler(sentence[start : f.end], out[-1].label, start, f.end)
        else:
            out.append(f)
    return out


def _names_a_thing(sentence: str, f: Filler) -> bool:
    """Whether a bare number is part of a name ('Hall 25', 'Windows 95', 'Route 66'), not a
    count: it follows a capitalised word that does not open the sentence."""
    if not f.text.strip().replace(",", "").isdigit():
        return False
    before = re.search(r"(\S+)\s+$", sentence[: f.start])
    return bool(
        before
        and before.group(1)[:1].isupper()
        and before.group(1).isalpha()
        and before.group(1).lower() not in STOP_WORDS
        and before.start(1) > 0
    )


_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# A point in time: a number (a year, a day of the month, a clock time), a month, a weekday, or a
# word that places a span in time ('last week', 'next month', 'a year ago').
_POINT = re.compile(
    rf"\d|\b(?:(?:{_MONTHS})\w*|{_WEEKDAYS}|yesterday|today|tomorrow|tonight|ago|last|next|"
    r"this|previous|following|weekend|morning|afternoon|evening|night|spring|summer|autumn|"
    r"winter|christmas|easter|earlier|later|since|until|by|early|late|mid|end|start)\b",
    re.I,
)
_SPAN_OF_TIME = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?|"
    r"centuries|century)\s*$",
    re.I,
)
_COUNTED_TIME = re.compile(
    r"^\W*(?:\w+\s+)?\d[\d,.]*\s+(?:\w+\s+)?"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\s*$",
    re.I,
)


def _is_duration(text: str) -> bool:
    """Whether a DATE/TIME entity measures a span of time ('24 hours', 'just a month', 'their
    second year') rather than naming a point in time: it does not answer 'when'."""
    if _COUNTED_TIME.match(text):
        return True
    return bool(_SPAN_OF_TIME.search(text)) and not _POINT.search(text)


def fit(found: Sequence[Filler], question: Question, sentence: str = "") -> int:
    """How surely a sentence's fillers are of the asked kind: 2 when one is named beside the
    noun the question asks about ('which drug' - 'the drug Tysabri') or as who did what it asks
    about ('directed by Jean-Pierre Jeunet'); 1 when one is an entity
    the model read as that kind; 0 when all stand in (capitalised names the model read as
    another kind or not at all; for 'on what date', no day named; for 'where' or 'in which
    city', no place the sentence puts something in, at or near)."""
    if any(f.label == UNIT for f in found):
        return 2
    if sentence and question.slot is Slot.PLACE and asks_where(question.text):
        return int(any(_placed(sentence, f) for f in found))
    if question.slot is Slot.DATE and question.unit == "date":
        return int(any(is_calendar_date(f.text) for f in found))
    return int(any(f.label != NAME for f in found))


def is_calendar_date(text: str) -> bool:
    """Whether a date names a day: a month or a weekday ('20 January', 'Sunday', '3/4' is not
    read), as 'on what date' asks; '2004' and 'last year' are points in time but not dates."""
    return bool(re.search(rf"\b(?:(?:{_MONTHS})[a-z]*|{_WEEKDAYS})\b", text, re.I))


def names_a_day_or_year(text: str) -> bool:
    """Whether a date stands on its own: it names a day or a year ('1 February 1995', 'in
    2004'), not only a time relative to the report ('10 years ago', 'last week')."""
    return is_calendar_date(text) or any(_YEAR.match(w) for w in re.findall(r"\d+", text))


def _merge(found: list[Filler]) -> list[Filler]:
    """Overlapping spans merged into the longest, in sentence order."""
    out: list[Filler] = []
    # Of two equal spans, the one named beside the question's noun keeps that label.
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start), f.label != UNIT)):
        if out and f.start < out[-1].end:
            continue  # the longer span that starts first stands
        out.append(f)
    return out


_WHOSE = re.compile(r"\s*whose\b", re.I)


# A question about what a value was before a change ('How many colleges were there before
# ...?', 'What did the price rise from?').
_ASKS_BEFORE = re.compile(
    r"\b(?:before|previous(?:ly)?|original(?:ly)?|formerly|used to|from\s*\??\s*$)", re.I
)


def _changed_to(sentence: str, found: list[Filler], change: bool = False) -> list[Filler]:
    """Of a change written 'from X to Y' ('increase the number of colleges from 350 to
    400'), Y: what the value is after it, which a question asks for unless it asks what
    came before (_ASKS_BEFORE). A question about the `change` itself ('How much did sales
    rise?') is answered by the whole ('from £3m to £5m')."""
    out: list[Filler] = []
    skip = False
    for f, nxt in itertools.zip_longest(found, found[1:]):
        if skip:
            skip = False
            continue
        opening = re.search(r"\bfrom\s+$", sentence[: f.start])
        if nxt is None or not opening or not re.fullmatch(r"\s+to\s+", sentence[f.end : nxt.start]):
            out.append(f)
        elif change:
            start = opening.start()
            out.append(Filler(sentence[start : nxt.end], f.label, start, nxt.end))
            skip = True
    return out


# What follows a sum in brackets: the same sum in other currencies ('$3.3bn (£1.8bn)',
# '160m euros ($208m; £111m)').
_BRACKETED = re.compile(r"\s*\(([^()]{1,60})\)")


def _with_conversions(sentence: str, found: list[Filler]) -> list[Filler]:
    """Each sum with the conversions bracketed after it as one filler ('$3.3bn (£1.8bn)'):
    the report gives one sum, first as it was stated, so a conversion is no answer of its own
    (nor a second value to tell apart from the first)."""
    out: list[Filler] = []
    covered = -1
    for f in found:
        if f.start < covered:
            continue
        m = _BRACKETED.match(sentence, f.end) if f.label == "MONEY" else None
        parts = [x.strip() for x in re.split(r"[;,/]|\bor\b", m.group(1))] if m else []
        if m and parts and all(_AMOUNT.fullmatch(x) for x in parts):
            out.append(Filler(sentence[f.start : m.end()], f.label, f.start, m.end()))
            covered = m.end()
        else:
            out.append(f)
    return out


_UNIT_WINDOW = 4


def _with_unit(sentence: str, f: Filler, unit: str, terms: Sequence[str] = ()) -> Filler | None:
    """A count followed within a few words by its unit, extended over it ('41 new cases'),
    or, joined to its noun by a hyphen, by two more of the question's `terms`, which describe
    what it counts in other words ('a record 49-match unbeaten league run' for 'how many games
    had the unbeaten league run lasted'); else None."""
    after = list(re.finditer(r"[\w'’]+", sentence[f.end :]))[:_UNIT_WINDOW]
    described = []
    running = True  # the words describing the count end where a phrase or clause begins
    for m in after:
        if stem(m.group(0)) == unit or m.group(0).lower() == unit:
            end = f.end + m.end()
            return Filler(sentence[f.start : end], f.label, f.start, end)
        running = running and m.group(0).lower() not in STOP_WORDS
        if running and stem(m.group(0)) in terms and not m.group(0)[0].isupper():
            described.append(m)
    # Only a count joined to its noun ('49-match ...') is described by the words after it:
    # 'five Cesar awards' counts awards, whatever else the question asks about them.
    if len(described) >= 2 and sentence[f.end : f.end + 1] == "-":
        end = f.end + described[-1].end()
        return Filler(sentence[f.start : end], f.label, f.start, end)
    return None


_WHERE = re.compile(r"\s*(?:where\b|(?:in|at|near|from)\s+(?:which|what)\b)", re.I)
# Words before a place where something is or happens ('in Perth', 'held in central London').
_PLACED = re.compile(
    r"\b(?:[Ii]n|[Aa]t|[Nn]ear|outside|inside|across|throughout|around)\s+(?:the\s+)?"
    r"(?:[a-z]+\s+)?$"
)


def asks_where(question: str) -> bool:
    """Whether a question asks where something is or happened ('Where ...', 'In which city
    ...'), not which place did something ('Which country won ...')."""
    return bool(_WHERE.match(question))


def _placed(sentence: str, f: Filler) -> bool:
    """Whether a sentence puts something in, at or near a place ('final in Perth', 'held in
    central London')."""
    return bool(_PLACED.search(sentence[max(0, f.start - 30) : f.start]))


# A share price ('Shares in X closed down 19.84% at 151.5 pence') is what a share costs, not
# what a deal is worth, a fine or a fee: it answers only a question about prices or shares.
_SHARES = re.compile(r"\b(?:shares?|stocks?)\b", re.I)
_CLAUSE = r"(?:[^.;]|\.(?=\d))"  # within a clause (a decimal point does not end one)
_PRICE_MOVE = re.compile(
    rf"\b(?:shares?|stocks?)\b{_CLAUSE}{{0,60}}?\b(?:closed|closing|opened|ended|finished|"
    r"traded|trading|rose|risen|fell|fallen|dropped|climbed|jumped|slipped|sank|gained|lost|"
    rf"down|up)\b{_CLAUSE}{{0,40}}\b(?:at|to)\s*$",
    re.I,
)


def _asks_a_price(question: str) -> bool:
    return bool(_SHARES.search(question) or re.search(r"\bprices?\b", question, re.I))


def _share_price(sentence: str, f: Filler) -> bool:
    """Whether an amount is a price the shares named before it move to or close at ('Profits
    rose to £5m, sending shares up' gives no share price)."""
    return bool(_PRICE_MOVE.search(sentence[: f.start]))


def _counts_another_kind(sentence: str, f: Filler, unit: str) -> bool:
    """Whether the noun right after a count is of another kind than the asked unit: a kind
    of name both have, and none in common ('two firms' is no count of patients; 'halls' and
    'buildings' share none, so '27 buildings' may count halls)."""
    after = re.match(r"\s+([A-Za-z]+)", sentence[f.end :])
    if not after:
        return False
    theirs, asked = noun_kinds(after.group(1)), noun_kinds(unit)
    return bool(theirs and asked and not theirs & asked)


def _asked(question: str) -> frozenset[str]:
    return frozenset(
        w.lower().removesuffix("'s").removesuffix("’s")
        for w in words(question)
        if w.lower() not in STOP_WORDS
    )


def _is_asked(text: str, asked: frozenset[str]) -> bool:
    """Whether a span is what the question names: all its words are in the question."""
    ws = [w.lower() for w in words(text) if w.lower() not in STOP_WORDS]
    return bool(ws) and all(w in asked or w.removesuffix("'s") in asked for w in ws)


# Slots a name answers: when the model tags no entity in a sentence, its capitalised names
# stand in (a small model misses names it has not seen: 'Spears', 'Vard').
NAME_SLOTS = frozenset({Slot.PERSON, Slot.ORG, Slot.THING, Slot.PLACE})

# A name written after one of these may stand in for a place ('found in a street in Mayfair').
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|across|throughout)\s+(?:the\s+)?$", re.I)


# Entity labels a small model may give a name of another kind ('Spears' as an organisation):
# their spans may still stand in for a name; a place, a date or a number may not.
_CONFUSABLE = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT"})


def capitalised_names(
    sentence: str, question: str, entities: Sequence[Entity], slot: Slot
) -> list[Filler]:
    """Runs of capitalised words in `sentence` the question does not name and the model did
    not read as a place, date or number, as fillers; for a person, only names that may be a
    person's ('Britney Spears', 'Spears'; not 'Group B'); for a place, only names written
    where a place is ('in Mayfair')."""
    from qa.answers.evidence import _may_be_person, names_in

    asked = _asked(question)
    out = []
    for name in names_in(sentence, titles=False):
        start = sentence.find(name.text)
        end = start + len(name.text)
        if start < 0:
            continue
        filler = _tidy(sentence, Filler(name.text, NAME, start, end))
        if _is_asked(filler.text, asked):  # 'Prof Reddy' where the question names 'Dr Reddy'
            continue
        if any(e.start < end and start < e.end and e.label not in _CONFUSABLE for e in entities):
            continue
        if slot is Slot.PERSON and (
            (len(name.terms) > 1 and not _may_be_person(name.text))
            or _names_a_body(sentence, filler.start, filler.end)
            or any(c.isdigit() for c in filler.text)
        ):
            continue
        if slot is Slot.PLACE and not _LOCATIVE.search(sentence[max(0, start - 20) : start]):
            continue
        out.append(filler)
    return out


def join_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


class EntityCache:
    """The entities of passages, read by a spaCy pipeline once per passage text and kept for
    the most recent CACHE_PASSAGES passages (a question's evidence overlaps the last one's)."""

    def __init__(self, reader: Callable[[list[str]], list[list[Entity]]]) -> None:
        self._reader = reader
        self._cache: OrderedDict[str, list[Entity]] = OrderedDict()
        self._lock = threading.Lock()

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text (offsets in that text)."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self._reader(missing), strict=True))
        with self._lock:
            for text in missing:
                self._cache[text] = known[text]
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > CACHE_PASSAGES:
                self._cache.popitem(last=False)
        return [known[t] for t in texts]


def in_span(entities: Sequence[Entity], start: int, end: int) -> list[Entity]:
    """The entities inside text[start:end], with offsets made relative to `start`."""
    return [
        Entity(e.text, e.label, e.start - start, e.end - start)
        for e in entities
        if e.start >= start and e.end <= end
    ]


# -- the reason a sentence gives ------------------------------------------------------------

# Words that open a cause: a clause ('because the firm ...', 'as costs rose'), a phrase
# ('because of', 'due to', 'after a patient's death'), or grounds ('on competition grounds').
_CAUSE_MARKS = frozenset({"because", "since", "as"})
_CAUSE_PHRASES = frozenset({"because", "due", "owing", "thanks"})
_CAUSE_PREPS = frozenset({"after", "amid", "following"})
_GROUNDS = frozenset({"ground", "grounds", "basis"})
_WORRIES = frozenset({"concern", "fear", "worry", "suspicion", "belief"})
_PURPOSE_HEADS = frozenset({"use", "design", "aim", "intend", "mean"})
MAX_REASON_WORDS = 30


def reason_spans(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Where a sentence (its tagged words, qa.nlp) gives a reason, as (start, end) offsets,
    surest first: an explicit cause ('because ...', 'due to ...', 'on ... grounds'), a worry
    ('concerns that ...'), an event it followed or a deed it punished ('after ...', 'fined
    for breaching ...'), a purpose ('used to prevent ...'). Spans over MAX_REASON_WORDS words
    are left out."""
    children = _children(tokens)

    def below(i: int) -> list[int]:
        out, todo = [], [i]
        while todo:
            j = todo.pop()
            out.append(j)
            todo.extend(children.get(j, ()))
        return out

    def span(first: int, root: int) -> tuple[int, int]:
        idx = [j for j in below(root) if j >= first]
        return tokens[first].start, max(tokens[j].end for j in idx)

    found: list[tuple[int, int, int]] = []  # (rank, start token, root token)
    for i, t in enumerate(tokens):
        low, kids = t.text.lower(), children.get(i, [])
        if low in _CAUSE_MARKS and t.dep == "mark" and 0 <= t.head != i:
            found.append((0, i, t.head))
        elif low in _CAUSE_PHRASES and t.dep in ("prep", "amod", "advmod", "mark") and kids:
            found.append((0, i, i))
        elif (
            t.dep == "prep"
            and low in ("on", "for")
            and any(
                tokens[k].lemma.lower() in _GROUNDS or tokens[k].text.lower() in _GROUNDS
                for k in kids
            )
        ):
            found.append((1, i, i))
        elif (
            t.lemma.lower() in _WORRIES
            and t.pos == "NOUN"
            and any(
                tokens[k].dep in ("acl", "ccomp") and _has_mark(tokens, children, k, "that")
                for k in kids
            )
        ):
            found.append((2, i, i))
        elif t.dep == "prep" and _followed_or_punished(tokens, low, kids):
            found.append((3, i, i))
        elif low in _CAUSE_PREPS and t.dep == "mark" and 0 <= t.head != i:
            found.append((3, i, t.head))  # a clause: 'after foreign investors criticised ...'
        elif t.dep in ("advcl", "xcomp") and t.pos == "VERB":
            to = [k for k in kids if tokens[k].dep == "aux" and tokens[k].text.lower() == "to"]
            head = tokens[t.head] if 0 <= t.head < len(tokens) else t
            if to and (t.dep == "advcl" or head.lemma.lower() in _PURPOSE_HEADS):
                found.append((4, to[0], i))
    out = []
    for _, first, root in sorted(found):
        start, end = span(first, root)
        if sum(start <= tok.start < end for tok in tokens) <= MAX_REASON_WORDS:
            out.append((start, end))
    return out


def _followed_or_punished(tokens: Sequence[Token], word: str, kids: list[int]) -> bool:
    """'after ...', 'amid ...', or 'for' with a deed ('fined for breaching ...')."""
    if word in _CAUSE_PREPS:
        return bool(kids)
    return word == "for" and any(tokens[k].dep == "pcomp" for k in kids)


def _children(tokens: Sequence[Token]) -> dict[int, list[int]]:
    """Each word's dependents in the parse, by index."""
    children: dict[int, list[int]] = {}
    for i, t in enumerate(tokens):
        if t.head != i:
            children.setdefault(t.head, []).append(i)
    return children


def _has_mark(tokens: Sequence[Token], children: dict[int, list[int]], i: int, mark: str) -> bool:
    return any(
        tokens[k].dep == "mark" and tokens[k].text.lower() == mark for k in children.get(i, ())
    )


# -- whether a sentence states what the question asks was done -------------------------------

# A question about who wins or gets an award is not answered by who is nominated for it
# ('X is among the nominees for the top prize' for 'Who won the prize?'): being in the running
# is not the outcome, however alike the sentences read.
_AWARDS = frozenset(
    "award prize trophy medal honour honor title cup oscar bafta grammy emmy".split()
)
_IN_THE_RUNNING = re.compile(
    r"\b(?:nominee|nominated|nomination|short-?list|contender|in the running|vying|up for)",
    re.I,
)
_OUTCOME = re.compile(
    r"\b(?:w[io]ns?|winners?|winning|awarded|receiv\w*|collect\w*|scoop\w*|picked up|"
    r"took home|tak(?:es|ing) home|presented with|honou?red|given|gets|got|getting|earn\w*)\b",
    re.I,
)


def may_name_the_answer(question: Question, sentence: str) -> bool:
    """Whether a sentence may say who or what the question asks for at all: it names the
    role the question asks who holds (holds_role), and does not only name who is in the
    running for what the question asks who won (only_in_the_running)."""
    return holds_role(question, sentence) and not only_in_the_running(question, sentence)


def only_in_the_running(question: Question, sentence: str) -> bool:
    """Whether a sentence only names who is nominated or shortlisted for an award while the
    question asks who won or gets one."""
    if not _OUTCOME.search(question.text):
        return False
    if not any(stem(w) in _AWARDS for w in words(question.text.lower())):
        return False
    return bool(_IN_THE_RUNNING.search(sentence)) and not _OUTCOME.search(sentence)


# Verbs and adjectives whose complement is wanted, planned or expected, not done ('he would
# like to succeed Keegan', 'is keen to buy', 'hopes to win'), and modals of what may happen.
_WISHES = """want like love hope wish plan intend aim seek try attempt consider expect propose
    threaten offer aspire prefer keen eager poised""".split()
_MAY = frozenset({"could", "might", "may"})


def _same_word(word: str, lemma: str) -> bool:
    """Whether `word` is a form of `lemma` ('hopes', 'hoped' of 'hope'; 'fined' of 'fine'):
    the small pipeline's lemmas of unseen forms are unreliable ('hopes' -> 'hop')."""
    w, root = word.lower(), lemma.lower()
    if w == root or stem(w) == stem(root):
        return True
    base = root[:-1] if root.endswith("e") else root  # 'hop' of 'hope': 'hoped', 'hoping'
    # 'tried' of 'try', 'planned' of 'plan'
    stems = {root, base, root[:-1] + "i" if root.endswith("y") else root, root + root[-1:]}
    return any(w == s + end for s in stems for end in _ENDINGS)


_ENDINGS = ("s", "es", "d", "ed", "ing")


def unasserted(
    tokens: Sequence[Token], verbs: Sequence[tuple[str, str]], every: bool = True
) -> bool:
    """Whether every form (with `every` false: any form) of the question's verbs ((as
    written, lemma) pairs) in a parsed sentence is wanted, planned, expected, possible or
    denied rather than stated: 'Pearce would like to succeed Keegan' does not say who
    succeeded him; 'the firm may be fined £5m' does not say how much it was fined. False when
    the sentence holds none of them."""
    found = [
        i
        for i, t in enumerate(tokens)
        if t.pos == "VERB"
        and any(t.text.lower() == w.lower() or _same_word(t.text, lemma) for w, lemma in verbs)
    ]
    children = _children(tokens)
    unreal = [_in_unreal_frame(tokens, children, i) for i in found]
    return bool(found) and (all(unreal) if every else any(unreal))


def _in_unreal_frame(tokens: Sequence[Token], children: dict[int, list[int]], i: int) -> bool:
    seen = set()
    while i not in seen:
        seen.add(i)
        for k in children.get(i, ()):
            child = tokens[k]
            if child.dep == "neg" or (child.dep == "aux" and child.text.lower() in _MAY):
                return True
        token = tokens[i]
        if token.dep != "xcomp" or token.head == i:
            return False
        if any(_same_word(tokens[token.head].text, w) for w in _WISHES):
            return True
        i = token.head
    return False


def asked_subject(tokens: Sequence[Token]) -> frozenset[str]:
    """The words of the names the question asks a value of, lowercased: those between its
    auxiliary and its verb ('leonardo', 'dicaprio' in 'How much money did Leonardo DiCaprio
    pledge to Unicef?'; 'care', 'international', 'margaret', 'hassan' in 'On what date was
    Care International's Margaret Hassan abducted?'); empty when no name stands there."""
    aux = next((i for i, t in enumerate(tokens) if t.text.lower() in AUXILIARIES and i > 0), None)
    if aux is None:
        return frozenset()
    names = []
    for t in tokens[aux + 1 :]:
        if t.pos in ("VERB", "AUX", "ADP") or t.text in (",", "?"):
            break
        if t.pos == "PROPN":
            names.append(t.text.lower())
    return frozenset(names)


def value_of_another(tokens: Sequence[Token], subject: frozenset[str], f: Filler) -> bool:
    """Whether the value `f` of a parsed sentence is stated of another name than the
    question's `subject`: the first named subject up its verbs shares no word with it
    ('Actress Sandra Bullock has donated $1m ... and actor Leonardo DiCaprio pledged a
    "sizable" contribution' for how much DiCaprio pledged). A pronoun's verb is passed for
    the verb it reports ('Standard Chartered said it would spend $3.3bn'); a subject that is
    a common noun ('the bank') may be anyone's, so the value is not taken for another's."""
    if not subject:
        return False
    at = next((i for i, t in enumerate(tokens) if t.start <= f.start < t.end), None)
    children = _children(tokens)
    seen: set[int] = set()
    i = at
    while i is not None and i not in seen:
        seen.add(i)
        if tokens[i].pos in ("VERB", "AUX"):
            subjects = [c for c in children.get(i, []) if tokens[c].dep in ("nsubj", "nsubjpass")]
            if subjects:
                first = subjects[0]
                if tokens[first].pos == "PROPN":
                    name = _name_words(tokens, children, first)
                    return bool(name) and not name & subject
                if tokens[first].pos != "PRON":
                    return False
        if tokens[i].head == i:
            break
        i = tokens[i].head
    return False


def _name_words(tokens: Sequence[Token], children: dict[int, list[int]], at: int) -> frozenset[str]:
    """The words of the name at `at` with its compound words ('Sandra Bullock'), lowercased."""
    parts = [at] + [k for k in children.get(at, []) if tokens[k].dep == "compound"]
    return frozenset(tokens[k].text.lower() for k in parts if tokens[k].pos == "PROPN")

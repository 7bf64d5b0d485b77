"""What a question asks for: the slot an answer must fill (a person, an amount, a date, a place,
an organisation, a reason, a yes or no) and the words that distinguish what is asked.

Read from the question's grammar (its question word and the noun after 'which' / 'what' /
'how many'), never from the archive: the answerer then looks for a sentence that fills the slot
(qa.answers.slots) instead of the sentence that merely resembles the question.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from qa.nlp import Token
from qa.text import STOP_WORDS, content_terms, stem, words


class Slot(StrEnum):
    """The kind of answer a question asks for."""

    PERSON = "person"
    ORG = "organisation"
    PLACE = "place"
    DATE = "date"
    MONEY = "amount"
    COUNT = "count"
    PERCENT = "percentage"
    QUANTITY = "quantity"
    THING = "name"  # a named thing of another kind: a film, a product, a law, an event
    REASON = "reason"
    CONTENT = "content"  # what someone said, discussed, did, or what happened
    YESNO = "yes/no"


# The spaCy entity labels (qa.nlp) that can fill each slot.
LABELS: dict[Slot, frozenset[str]] = {
    Slot.PERSON: frozenset({"PERSON"}),
    Slot.ORG: frozenset({"ORG"}),
    Slot.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    Slot.DATE: frozenset({"DATE", "TIME"}),
    Slot.MONEY: frozenset({"MONEY"}),
    Slot.COUNT: frozenset({"CARDINAL", "QUANTITY", "MONEY"}),
    Slot.PERCENT: frozenset({"PERCENT"}),
    Slot.QUANTITY: frozenset({"QUANTITY", "CARDINAL", "DATE", "TIME", "PERCENT", "MONEY"}),
    Slot.THING: frozenset(
        {"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "FAC", "GPE", "LAW", "PERSON", "NORP", "LOC"}
    ),
}
# Slots whose answer is a name or a value read from a sentence.
ENTITY_SLOTS = frozenset(LABELS)
VALUE_SLOTS = frozenset({Slot.DATE, Slot.MONEY, Slot.COUNT, Slot.PERCENT, Slot.QUANTITY})


def _nouns(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.split())


# Nouns that say which kind of name a 'which ...' / 'what ...' question asks for. General
# English, not any archive's wording.
_NOUN_SLOTS: tuple[tuple[Slot, frozenset[str]], ...] = (
    (
        Slot.PERSON,
        _nouns(
            """person people man woman men women individual player minister politician official
            executive chief boss actor actress singer star director manager coach leader
            president chairman chairwoman candidate author writer artist footballer athlete
            striker captain spokesman spokeswoman spokesperson spokespeople spokesmen
            spokeswomen chairperson chairmen businessman businesswoman lawyer judge founder ceo
            celebrity musician rapper comedian presenter host journalist reporter rival
            opponent winner mp chancellor secretary analyst economist expert investor
            entrepreneur owner driver quarterback receiver goalkeeper defender midfielder
            batsman bowler referee governor senator mayor king queen prince princess
            councillor councilor officer doctor scientist researcher professor student teacher
            chef designer producer boxer golfer cyclist runner rider jockey skipper veteran
            teenager child son daughter wife husband father mother brother sister
            defendant witness victim suspect prosecutor detective actor whistleblower patient
            successor predecessor deputy envoy ambassador advisor adviser aide negotiator
            msp mep mla lawmaker legislator peer lord lady bishop archbishop commander general
            soldier pilot entertainer dancer comic novelist poet playwright filmmaker
            photographer broadcaster anchor tycoon billionaire millionaire banker trader
            campaigner activist protester fan supporter voice voter coordinator
            co-ordinator organiser organizer"""
        ),
    ),
    (
        Slot.ORG,
        _nouns(
            """company firm business group organisation organization body agency bank party
            team club side band broadcaster network channel airline carrier maker manufacturer
            retailer shipyard yard union regulator court government department ministry
            institution university college school newspaper paper publisher studio label
            brand operator provider supplier chain giant startup exchange fund charity
            watchdog council committee authority association federation league conglomerate
            insurer lender developer owner buyer bidder partner sponsor distributor
            competitor rival consortium outlet station service bidder investor lab
            laboratory"""
        ),
    ),
    (
        Slot.PLACE,
        _nouns(
            """country city town nation state region place venue stadium ground capital
            continent area location county province island village port airport district
            street building site arena circuit course constituency destination territory
            neighbourhood neighborhood border suburb borough cinema theatre theater hotel
            museum gallery cathedral prison palace castle park square"""
        ),
    ),
    (Slot.DATE, _nouns("year date day month week decade century season")),
    # A time is a time of day or a date ('What time does the show start?'), or how long
    # something took ('her winning time'): a measure that spans of time answer.
    (Slot.QUANTITY, _nouns("time duration distance length height weight speed temperature")),
    (
        Slot.MONEY,
        _nouns(
            """price value amount sum fee fine salary cost budget deficit revenue profit loss
            wage bid offer compensation damages tax debt pay payout valuation worth turnover
            sales earnings income investment bonus funding subsidy grant settlement"""
        ),
    ),
    (Slot.PERCENT, _nouns("percentage proportion share rate percent")),
    (Slot.COUNT, _nouns("number total count")),
    (Slot.REASON, _nouns("reason cause motive explanation")),
    (
        Slot.THING,
        _nouns(
            """film movie album song book show programme program series game title novel play
            single track record documentary musical prize trophy competition tournament event
            championship cup product device phone console gadget software app model car
            vehicle drug technology system platform browser chip processor computer laptop
            handset camera format standard law bill act treaty rule regulation legislation
            policy plan scheme project deal contract name word nickname character role
            award"""
        ),
    ),
)


def noun_kinds(word: str) -> frozenset[Slot]:
    """The kinds of name a noun stands for ('firms' an organisation, 'patients' a person;
    'owner' either), empty for a noun of no listed kind ('halls')."""
    w = stem(word)
    return frozenset(slot for slot, nouns in _NOUN_SLOTS if w in nouns)


_AUX = (
    "is was are were do does did has have had can could will would should shall may might must"
).split()
AUXILIARIES = frozenset(_AUX)  # the words a question's verb may lean on ('did X pledge')
_QWORD = re.compile(r"\b(who|whom|whose|which|what|when|where|why|how)\b", re.I)
# 'How much' asks for an amount of money unless a noun of another measure follows.
_NOT_MONEY = _nouns("of time longer further more weight space oil water data energy power")
_MEASURES = frozenset("long old far big large tall high heavy deep wide fast often soon".split())
# 'What did X say / discuss / ...' asks for what was said or done.
_REPORTING_VERBS = _nouns(
    """say said discuss talk speak warn tell announce reveal claim report describe suggest
    argue propose plan promise decide agree ask call accuse criticise criticize demand
    explain recommend urge happen do mean include involve show find"""
)


@dataclass(frozen=True)
class Question:
    """What a question asks for.

    `slot` is the kind of answer; `unit` the stemmed noun a count or amount is of ('cases' in
    'How many cases ...'), or the noun naming what a 'which' question asks for ('shipyard');
    `terms` the question's content terms without its question words; `alternatives` the two
    options of an 'X or Y?' question ('consistent or inconsistent'); `predicates` its verbs
    (not auxiliaries), which a sentence answering it must state or paraphrase: 'Who won the
    prize?' is not answered by 'X was shortlisted for the prize'.
    """

    text: str
    slot: Slot | None
    unit: str | None = None
    terms: tuple[str, ...] = ()
    alternatives: tuple[str, str] | None = None
    predicates: tuple[tuple[str, str], ...] = ()  # its verbs: (as written, lemma) ('won', 'win')
    several: bool = False  # asks for more than one ('Which authors ...', 'Who are the ...')
    # The role a 'Who is Cameroon's finance minister?' question asks who holds ('finance
    # minister', as written), which a sentence must name to say who holds it.
    role: str | None = None
    # The words that describe the asked noun ('sunday', 'telegraph' in 'Which Sunday Telegraph
    # journalist ...'), stemmed: not required of an answer's sentence, which may name the
    # answer without them, but they distinguish one that restates them.
    described: tuple[str, ...] = ()

    @property
    def labels(self) -> frozenset[str]:
        """The entity labels that fill the slot (empty for reasons, content, yes/no)."""
        return LABELS.get(self.slot, frozenset()) if self.slot else frozenset()

    @property
    def wants_entity(self) -> bool:
        return self.slot in ENTITY_SLOTS

    @property
    def wants_value(self) -> bool:
        return self.slot in VALUE_SLOTS


@lru_cache(maxsize=1024)
def read_question(text: str, tokens: tuple[Token, ...] = ()) -> Question:
    """The slot, unit and terms of `text` (see Question). `tokens` (qa.nlp: the question's
    words with their parts of speech) find the noun a 'how many' or 'which' question is about;
    without them a simpler reading of the words is used."""
    alternatives = _alternatives(text)
    slot, unit = _slot(text)
    headed = _determined_noun(tokens)
    if headed is not None and slot in _NAME_KINDS:
        slot, unit = headed
    verb = _verb_after_what(text, tokens)
    if verb is not None:
        # 'What happened ...', 'What caused ...': the question word is the subject of a verb.
        slot, unit = (Slot.REASON if verb in _CAUSE else Slot.CONTENT), None
    if tokens and slot in (Slot.COUNT,):
        unit = _tagged_head(text, tokens) or unit
    if slot is Slot.PERSON and unit is None:
        unit = _role(text)
    role = None
    if slot is Slot.PERSON and tokens and not _SEVERAL.match(text):
        held = _copula_noun(tokens, "who")
        if held is not None and held[0] is Slot.PERSON and held[1] not in _ANYONE:
            unit = held[1]
            role = " ".join(w for w in (stem(kind_modifier(text, unit)), unit) if w)
    kind: frozenset[str] | None = None
    if slot is Slot.CONTENT and verb is None and tokens:
        # 'What was Kelly Holmes' winning time ...', 'What is the US price of ...': the noun
        # the copula asks about, past its possessive and modifiers (which are not the kind of
        # answer asked for but whose: they distinguish the question).
        copula = _copula_noun(tokens)
        if copula is not None:
            (slot, unit), kind = copula, frozenset({copula[1]})
    verbs = [i for i, t in enumerate(tokens) if _is_verb(tokens, i) and t.text.lower() not in _AUX]
    # The verbs of the main clause, when it has one ('Which fee is X getting ... for developing
    # snacks?' asks what X gets; the snacks' developing identifies them).
    main = [i for i in verbs if _in_main_clause(tokens, i)] or verbs
    predicates = tuple(
        dict.fromkeys(
            (tokens[i].text.lower(), tokens[i].lemma.lower())
            for i in main
            if tokens[i].lemma.lower() not in _LIGHT
        )
    )
    # 'Which pop star ...': the words naming the kind of answer are not what the answer's
    # sentence says (it names Britney Spears, not a pop star).
    if kind is None:
        kind = _kind_words(text, unit) if slot is not Slot.COUNT else frozenset()
    skip = _QUESTION_TERMS | kind
    terms = tuple(t for t in content_terms(text) if t not in skip)
    described = tuple(t for t in content_terms(text) if t in kind - {unit} - _QUESTION_TERMS)
    several = bool(_SEVERAL.match(text)) or any(
        t.tag in ("NNS", "NNPS") and stem(t.text) == unit for t in tokens
    )
    return Question(text, slot, unit, terms, alternatives, predicates, several, role, described)


# Relations that make a verb part of a modifier: what identifies a thing the question names
# ('for developing Hoodia snacks', 'before Carnival warned', 'the film starring Julia
# Roberts'), which the answer's sentence need not restate, not what the question asks.
_MODIFIER_DEPS = frozenset({"advcl", "pcomp", "acl"})
_DO = frozenset({"did", "does", "do", "will", "would", "can", "could"})


def _in_main_clause(tokens: Sequence[Token], i: int) -> bool:
    """Whether the word at `i` belongs to the question's main clause, or a clause reported or
    relative to it, rather than to a modifier (_MODIFIER_DEPS)."""
    seen: set[int] = set()
    while i not in seen and 0 <= i < len(tokens):
        seen.add(i)
        if tokens[i].dep in _MODIFIER_DEPS:
            return False
        if tokens[i].head == i:
            return True
        i = tokens[i].head
    return True


def _is_verb(tokens: Sequence[Token], i: int) -> bool:
    """A verb, or the word a 'did' / 'will' makes one though the tagger read it otherwise
    ('did the ship limp back')."""
    if tokens[i].pos == "VERB":
        return True
    return tokens[i].dep == "ROOT" and any(
        t.head == i and t.dep == "aux" and t.text.lower() in _DO for t in tokens
    )


_HOW_MANY_ASKED = re.compile(
    r"^\s*(?:(?:which|what)|(?:who|what|which)\s+(?:are|were)\s+the)\s+(two|three|four|five|six)\b",
    re.I,
)


def names_asked(text: str) -> int | None:
    """How many names a question asks for when it says ('Which two firms ...' 2, 'Who are
    the three winners?' 3), else None."""
    m = _HOW_MANY_ASKED.match(text)
    return ["two", "three", "four", "five", "six"].index(m.group(1).lower()) + 2 if m else None


_SEVERAL = re.compile(r"^\s*(?:who|what|which)\s+(?:are|were)\b|^\s*(?:which|what)\s+two\b", re.I)


_CAUSE = frozenset("cause lead prompt trigger drive spark force".split())


def _verb_after_what(text: str, tokens: Sequence[Token]) -> str | None:
    """The lemma of a verb right after an opening 'what' ('What happened'), else None."""
    m = _QWORD.search(text)
    if not m or m.group(1).lower() != "what" or _opening_verb(text) is not None:
        return None
    nxt = next((t for t in tokens if t.start >= m.end()), None)
    if nxt is not None and nxt.pos == "VERB":
        return nxt.lemma.lower()
    return None


# Verbs that say little of their own ('Who is set to lead ...', 'Which firm is going to ...').
_LIGHT = frozenset("be have do get make set go take say report tell accord include put".split())
_ROLE = re.compile(r"^\s*(?:who|whom)\s+(?:is|was|are|were)\s+(?:the|a|an)\s+(\w+)", re.I)


def _role(text: str) -> str | None:
    """The role a 'Who is the lawyer ...' question names ('lawyer'), when it names one."""
    m = _ROLE.match(text)
    if not m:
        return None
    s = stem(m.group(1))
    return s if any(s in nouns for slot, nouns in _NOUN_SLOTS if slot is Slot.PERSON) else None


# Person nouns that name no role: 'Who is the individual that ...' asks who, not who holds a role.
_ANYONE = _nouns("person people individual man woman men women figure one")


def kind_modifier(question: str, unit: str) -> str:
    """The question's word right before its noun `unit` when it says what kind the noun is
    ('operating' in 'What operating system ...', 'finance' in 'Who is Cameroon's finance
    minister?'), else ''."""
    ws = words(question)
    for before, w in itertools.pairwise(ws):
        if stem(w) == unit and before.islower() and before not in STOP_WORDS:
            return before
    return ""


def _copula_noun(tokens: Sequence[Token], wh: str = "what") -> tuple[Slot, str] | None:
    """The slot and unit of the noun a 'What is / was ...' question asks about ('time' in
    'What was Kelly Holmes' winning time in the 1,000m?', 'price' in 'What is the US price of
    ...'): the head of the noun phrase after the copula, past its possessors and modifiers,
    when that noun says a kind of answer. None for 'What is the film about?' (the 'what' is
    the preposition's object). Read from the words' tags, not the parse, which reads 'was her
    winning time' as a verb."""
    if len(tokens) < 3 or tokens[0].text.lower() != wh or tokens[1].lemma.lower() != "be":
        return None
    words_ = [t for t in tokens if t.pos != "PUNCT" or t.tag == "POS"]
    if words_[-1].pos == "ADP":
        return None
    for i, t in enumerate(words_[2:], start=2):
        nxt = words_[i + 1] if i + 1 < len(words_) else None
        if t.pos in ("DET", "PRON", "PROPN", "PART", "ADJ", "NUM") or t.tag in ("VBG", "VBN"):
            continue
        if t.pos != "NOUN":
            return None
        if nxt is not None and (nxt.pos == "NOUN" or nxt.tag == "POS"):
            continue  # 'council tax rise', 'the company's sales'
        slot, unit = _noun_slot([t.text.lower()])
        return (slot, unit) if slot is not None and unit is not None else None
    return None


def _kind_words(text: str, unit: str | None) -> frozenset[str]:
    """The stems from a 'which' / 'what' to the noun that says what kind of answer is wanted
    ('pop star' in 'Which pop star was ...')."""
    m = _QWORD.search(text)
    if not m or not unit or m.group(1).lower() not in ("which", "what"):
        return frozenset()
    out = []
    for w in words(text[m.end() :])[:5]:
        out.append(stem(w))
        if stem(w) == unit:
            return frozenset(out)
    return frozenset()


_NAME_KINDS = frozenset({Slot.PERSON, Slot.ORG, Slot.PLACE, Slot.THING})


def _determined_noun(tokens: Sequence[Token]) -> tuple[Slot, str] | None:
    """The slot and unit of the noun phrase after the question's 'which' / 'what': its last
    noun, read from the words' tags ('captains' in 'Which Six Nations captains were picked
    ...?', where the first listed noun is 'nations'), when that noun names a kind of name;
    None otherwise."""
    at = next((i for i, t in enumerate(tokens) if _QWORD.fullmatch(t.text)), None)
    if at is None or tokens[at].text.lower() not in ("which", "what"):
        return None  # ('Where is the centre at which France coach ...' asks for a place)
    head = None
    for t in tokens[at + 1 :]:
        if t.pos == "NOUN":
            head = t
        elif t.pos not in ("ADJ", "PROPN", "NUM") and t.text != "-":
            break
    if head is None:
        return None
    kinds = noun_kinds(head.text) & _NAME_KINDS
    return (next(iter(kinds)), stem(head.text)) if len(kinds) == 1 else None


def _tagged_head(text: str, tokens: Sequence[Token]) -> str | None:
    """The noun after 'how many' (the last noun of the phrase that follows it)."""
    lowered = text.lower()
    at = lowered.find("how many")
    if at < 0:
        return None
    head = None
    for t in tokens:
        if t.start < at + len("how many"):
            continue
        if t.pos in ("NOUN", "PROPN"):
            head = t.text
        elif head is None and t.text.lower() == "of":
            continue  # 'how many of the workers'
        elif t.pos not in ("ADJ", "NUM", "ADV", "DET", "PUNCT") or head is not None:
            break
    return stem(head) if head else None


_QUESTION_TERMS = frozenset({"who", "whom", "whose", "which", "what", "when", "where", "why"})
_ALTERNATIVE = re.compile(r"\b(\w+(?:\s+\w+)?)\s+or\s+(\w+(?:\s+\w+)?)\s*\??\s*$", re.I)
_PAIR = re.compile(r"\b(\w+)\s+or\s+(\w+)\b")
_NEGATING = ("in", "dis", "un", "non", "im", "ir", "il")
# Words that say reports differ, or agree (a question's 'was there a change', 'remain
# consistent'); qa.answers.yesno reads them too.
CHANGE_WORDS = re.compile(
    r"\b(change[ds]?|changing|shift(?:ed)?|inconsisten\w*|contradict\w*|differ\w*|"
    r"disagree\w*|conflict\w*|discrepanc\w*|evolv\w*)\b",
    re.I,
)
SAME_WORDS = re.compile(
    r"\b(consisten\w*|same|similar\w*|agree\w*|align\w*|remain\w*|unchanged|uniform\w*|"
    r"coheren\w*|in line)\b",
    re.I,
)


def _alternatives(text: str) -> tuple[str, str] | None:
    """The two options an 'X or Y' question offers, as written:
    - two words joined by 'or' that end it ('... consistent or inconsistent?');
    - anywhere, a word and its negation ('did X agree or disagree with ...', 'show an
      agreement or disagreement');
    - a yes/no clause that says the reports agree (or differ) and an ', or ...' clause that
      says the other ('Does A align with B, or do they present differing views?': align,
      differing)."""
    m = _ALTERNATIVE.search(text)
    if m:
        a, b = m.group(1).split()[-1], m.group(2).split()[0]
        if a.lower() in _AUX or b.lower() in _AUX or a.lower() == b.lower():
            return None
        return a, b
    for m in _PAIR.finditer(text):
        a, b = m.group(1), m.group(2)
        if _negates(a, b) or _negates(b, a):
            return a, b
    head, sep, tail = text.rpartition(", or ")
    if not sep or _opening_verb(head) is None:
        return None
    # 'remained consistent': the adjective names the option, not 'remain'.
    same = sorted(SAME_WORDS.finditer(head), key=lambda w: w.group(0).lower().startswith("remain"))
    first = min(
        (w for w in (same[0] if same else None, CHANGE_WORDS.search(head)) if w),
        key=lambda w: w.start(),
        default=None,
    )
    if first is None:
        return None
    other = (CHANGE_WORDS if first.re is SAME_WORDS else SAME_WORDS).search(tail)
    if other is None:
        return None
    return first.group(0), other.group(0)


def _negates(word: str, other: str) -> bool:
    """Whether `word` is `other` negated by a prefix ('inconsistent', 'disagree')."""
    w, o = word.lower(), other.lower()
    return any(w == p + o for p in _NEGATING)


def _slot(text: str) -> tuple[Slot | None, str | None]:
    """The slot and unit of a question, from its first question word or its opening verb."""
    first = _opening_verb(text)
    m = _QWORD.search(text)
    if first is not None and (m is None or m.start() > first):
        return Slot.YESNO, None
    if m is None:
        return None, None
    word = m.group(1).lower()
    after = words(text[m.end() :])
    lowered = [w.lower() for w in after]
    before = words(text[: m.start()])[-1:]
    match word:
        case "who" | "whom" | "whose":
            return Slot.PERSON, None
        case "when":
            return Slot.DATE, None
        case "where":
            return Slot.PLACE, None
        case "why":
            return Slot.REASON, None
        case "how":
            return _how(lowered)
    # which / what
    if before and before[0].lower() in ("in", "on", "at", "during", "from", "since", "by"):
        slot, unit = _noun_slot(lowered[:4])
        if slot is not None:
            return slot, unit
        if before[0].lower() in ("in", "at", "from") and word == "which":
            return Slot.PLACE, None  # 'In which part of London ...
    if lowered[:1] and lowered[0] in _AUX:
        # 'What is the value of the deal?', 'What was the name of the ship?'
        rest = [w for w in lowered[1:6] if w not in ("the", "a", "an")]
        if rest and stem(rest[0]) in ("name",) and "of" in rest[:2]:
            slot, unit = _noun_slot(rest[2:5])
            return (slot or Slot.THING), unit
        slot, unit = _noun_slot(rest[:1])
        if slot is not None and rest[1:2] in (["of"], ["for"], ["behind"], ["that"], []):
            return slot, unit
        if any(stem(w) in _REPORTING_VERBS for w in lowered[1:8]):
            return Slot.CONTENT, None
        return Slot.CONTENT, None
    slot, unit = _noun_slot(lowered[:4])
    if slot is not None:
        return slot, unit
    # 'Which of the ...', 'What else ...': a name of some kind.
    return (Slot.THING if word == "which" else Slot.CONTENT), None


def _how(after: list[str]) -> tuple[Slot | None, str | None]:
    if not after:
        return Slot.CONTENT, None
    nxt = after[0]
    if nxt == "many":
        return Slot.COUNT, _head_noun(after[1:])
    if nxt == "much":
        noun = after[1] if len(after) > 1 else ""
        if stem(noun) in _NOT_MONEY:
            return Slot.QUANTITY, stem(noun)
        if any(stem(w) in _CHANGE for w in after[1:10]):
            return Slot.QUANTITY, None  # 'how much will the economy grow': 5.7%, or £3bn
        return Slot.MONEY, None
    if nxt in _MEASURES:
        return Slot.QUANTITY, nxt
    return Slot.CONTENT, None


# Verbs of change: 'how much' they ask for is by how much (a percentage as well as a sum).
_CHANGE = _nouns(
    """grow grew grown rise rose risen fall fell fallen increase decrease drop climb shrink
    shrank shrunk expand contract decline jump slump slip surge soar plunge gain"""
)


def asks_change(text: str) -> bool:
    """Whether a question asks how much something changed ('How much did sales rise?')."""
    return any(stem(w) in _CHANGE for w in words(text))


_NOT_NOUN = AUXILIARIES | frozenset("of the a an did do does more than in on at to for".split())


def _head_noun(after: list[str]) -> str | None:
    """The noun a count is of: the last word of the phrase after 'how many', which ends at an
    auxiliary or a past-tense verb ('how many progressive Democrats sent ...' -> 'democrat')."""
    phrase: list[str] = []
    for w in after[:5]:
        if w in _NOT_NOUN or (phrase and w.endswith("ed") and len(w) > 4):
            break
        phrase.append(w)
    return stem(phrase[-1]) if phrase else None


def _noun_slot(after: list[str]) -> tuple[Slot | None, str | None]:
    """The slot named by the first noun among `after` that says one ('which French company')."""
    for w in after:
        s = stem(w)
        for slot, nouns in _NOUN_SLOTS:
            if s in nouns or w in nouns:
                return slot, s
    return None, None


def _opening_verb(text: str) -> int | None:
    """Where a yes/no question's verb opens it ('Did ...', 'Between A and B, was there ...'),
    or None: the first word, or the first word of a clause after a comma, is an auxiliary."""
    tokens = list(re.finditer(r"[A-Za-z']+", text))
    if not tokens:
        return None
    if tokens[0].group(0).lower() in _AUX:
        return tokens[0].start()
    for comma in re.finditer(r",[\"'”’]?\s*", text):
        nxt = next((t for t in tokens if t.start() >= comma.end()), None)
        if nxt is not None and nxt.start() == comma.end() and nxt.group(0).lower() in _AUX:
            return nxt.start()
    return None


# -- the question as a clause: 'No article in the archive says what Sullivan ate' -----------

_PAST = dict(
    pair.split(":")
    for pair in """be:was become:became begin:began bring:brought build:built buy:bought
    catch:caught choose:chose come:came cost:cost cut:cut do:did draw:drew drink:drank drive:drove
    eat:ate fall:fell feel:felt fight:fought find:found fly:flew forget:forgot get:got give:gave
    go:went grow:grew have:had hear:heard hide:hid hit:hit hold:held hurt:hurt keep:kept
    know:knew lay:laid lead:led leave:left lend:lent let:let lose:lost make:made mean:meant
    meet:met pay:paid put:put quit:quit read:read ride:rode ring:rang rise:rose run:ran say:said
    see:saw seek:sought sell:sold send:sent set:set shake:shook shoot:shot show:showed shut:shut
    sing:sang sink:sank sit:sat sleep:slept speak:spoke spend:spent stand:stood steal:stole
    strike:struck swim:swam take:took teach:taught tell:told think:thought throw:threw
    understand:understood wake:woke wear:wore win:won withdraw:withdrew write:wrote""".split()
)


def _past(verb: str) -> str:
    v = verb.lower()
    if v in _PAST:
        return _PAST[v]
    if v.endswith("e"):
        return v + "d"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ied"
    return v + "ed"


def _third_person(verb: str) -> str:
    v = verb.lower()
    if v in ("have", "be"):
        return {"have": "has", "be": "is"}[v]
    if v.endswith(("s", "x", "z", "ch", "sh", "o")):
        return v + "es"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ies"
    return v + "s"


_RELATIVE = frozenset("that who which whose whom where".split())


def asked_clause(text: str, tokens: Sequence[Token] = ()) -> str | None:
    """A wh-question as the clause a sentence about it needs: 'who won the prize' for 'Who won
    the prize?', 'what Sullivan ate for breakfast' for 'What did Sullivan eat for breakfast?',
    'how much Intel was fined' for 'How much was Intel fined?'; None when it is not one that
    can be turned (the caller quotes it)."""
    q = " ".join(text.split()).rstrip("?").strip()
    if not _QWORD.match(q) or not tokens:
        return None
    words_ = [t for t in tokens if t.pos != "PUNCT" and t.start < len(q)]
    first = next((i for i, t in enumerate(words_) if t.pos in ("AUX", "VERB")), None)
    if first is None or first == 0:
        return None
    wh = q[: words_[first].start].strip()
    aux = words_[first]
    if aux.pos == "VERB" or aux.text.lower() not in _AUX:
        return q[:1].lower() + q[1:]  # 'who won the prize': already in clause order
    verb = next((i for i in range(first + 1, len(words_)) if words_[i].pos == "VERB"), None)
    # The verb the auxiliary belongs to, past any clause inside the subject ('where does X,
    # the pensioner who said ..., live').
    own = tokens[aux.head] if 0 <= aux.head < len(tokens) else None
    if (
        own is not None
        and (own.pos == "VERB" or own.dep == "ROOT")  # the tagger may read 'live' as an adjective
        and own in words_
        and words_.index(own) > first
    ):
        verb = words_.index(own)
    # The subject ends at the next auxiliary or verb: 'when had the deal been signed' puts
    # 'had' before 'been signed'.
    after = next(
        (i for i in range(first + 1, len(words_)) if words_[i].pos in ("AUX", "VERB")), None
    )
    if after == first + 1:
        return q[:1].lower() + q[1:]  # 'how many passengers were booked ...', '... had been'
    if verb is not None and after is not None and after < verb and aux.lemma.lower() != "do":
        verb = after
    if (
        verb is not None
        and aux.lemma.lower() == "be"
        and any(w.text.lower() in _RELATIVE for w in words_[first + 1 : verb])
    ):
        verb = None  # 'who the individual that was once likened to X is': 'is' is the copula
    if verb is None:
        if aux.lemma.lower() != "be" or first + 1 >= len(words_):
            return None
        rest = q[words_[first + 1].start :]  # 'who the chief executive of X is'
        last = words_[-1]
        if len(words_) > first + 2 and (last.pos == "ADP" or last.text.lower() == "worth"):
            # 'how much the prize is worth', 'what the film is about'
            rest = (
                f"{q[words_[first + 1].start : last.start].rstrip()} {aux.text.lower()} {last.text}"
            )
            return f"{wh[:1].lower()}{wh[1:]} {rest}"
        return f"{wh[:1].lower()}{wh[1:]} {rest} {aux.text.lower()}"
    subject = q[words_[first + 1].start : words_[verb].start].strip()
    rest = q[words_[verb].start :]
    if aux.lemma.lower() == "do":
        head = words_[verb].text
        tail = rest[len(head) :]
        head = {"did": _past, "does": _third_person}.get(aux.text.lower(), str.lower)(head)
        rest = head + tail
    else:
        rest = f"{aux.text.lower()} {rest}"
    return f"{wh[:1].lower()}{wh[1:]} {subject} {rest}"

"""What the retrieved passages cover of a question: names, answer candidates, refusal reasons.

Shared by every answerer, so the decision to refuse rests on the evidence, never on the wording
of an answer: a question is answerable only when the passages mention the people, places and
organisations it names, and when some sentence matches it well enough.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.answers.citations import marker
from qa.answers.question import asked_clause
from qa.retrieval.understand import OutletMatcher, mention_clauses
from qa.text import STOP_WORDS, content_terms, stem, words
from qa.types import Answer, Passage

if TYPE_CHECKING:
    from qa.answers.question import Question
    from qa.nlp import Token

# Capitalised words that start a question or a clause and name nothing.
_NOT_NAMES = (
    STOP_WORDS
    | frozenset(
        """considering given between among following based regarding despite after before
    during since while within across per yes true false which what who whom whose when where
    why how is was are were does did do has have had can could would should will shall may
    might must the a an in on at by for from of to and or but as""".split()
    )
    | frozenset(
        # Connectives that open a sentence before a name: "However Purdy threw ..."
        """however moreover additionally furthermore meanwhile although though yet still instead
    thus therefore hence nevertheless nonetheless besides likewise similarly indeed notably
    ultimately finally overall using unlike like including amid whereas""".split()
    )
)
# Titles and roles written before a name, which they are not part of: "FTX CEO Sam
# Bankman-Fried" names FTX and Sam Bankman-Fried.
_TITLES = frozenset(
    """ceo cto cfo coo cmo founder co-founder cofounder chairman chairwoman chair president
    vice chief executive director minister prime secretary senator sen rep representative gov
    governor judge justice coach mr mrs ms dr sir king queen prince princess pope detective
    commissioner chancellor partner spokesperson spokesman spokeswoman attorney prosecutor
    mayor""".split()
)
_MONTHS_DAYS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday""".split()
)
_ENDS_NAME = frozenset(',;:?!()[]"“”')
_TOKEN = re.compile(r"[A-Za-z0-9][\w'’&.-]*")
_QUESTION_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


@dataclass(frozen=True)
class Name:
    """A run of capitalised words in a text ('Sam Bankman-Fried', 'Federal Reserve')."""

    text: str
    terms: tuple[str, ...]  # the stemmed lower-case words that identify it
    initial: bool = False  # a single word opening a sentence (may be any capitalised word)
    opens: bool = False  # the run opens a sentence (its first word is capitalised anyway)


def _clean(token: str) -> str:
    return token.strip(".,'’-&").replace("’", "'").removesuffix("'s")


def names_in(text: str, keep_initial: bool = False, titles: bool = True) -> list[Name]:
    """Runs of capitalised words in `text`, without question words, stop words or dates.

    Punctuation and lower-case words end a run. A run of one word at the start of a sentence is
    left out ('Housing prices rose'), since any first word is capitalised, unless
    `keep_initial` (then it is flagged `initial`). Titles before a name ('CEO', 'President')
    are left out of it, unless `titles` (then 'the 44th President' is a name too, as a
    question asking about one means it).
    """
    out: list[Name] = []
    run: list[str] = []
    run_at_start = False

    def flush() -> None:
        initial = run_at_start and len(run) == 1
        if run and (keep_initial or not initial):
            terms = tuple(stem(w) for t in run for w in words(t))
            out.append(Name(" ".join(run), terms, initial, run_at_start))
        run.clear()

    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        token = _clean(raw)
        before = text[max(0, match.start() - 3) : match.start()]
        at_start = match.start() == 0 or any(c in before for c in '.?!:;"“(\n')
        if at_start:
            flush()
        lower = token.lower()
        if (
            token[:1].isupper()
            and lower not in _NOT_NAMES
            and lower not in _MONTHS_DAYS
            and (titles or lower not in _TITLES)
        ):
            if not run:
                run_at_start = at_start
            run.append(token)
        else:
            flush()
        # Punctuation after a word ends a name ("According to the SEC, FTX was ..."), and so
        # does a possessive ("Sam Bankman-Fried's FTX" names two things).
        after = text[match.end() : match.end() + 1]
        if raw[-1:] in ",.;:?!" or after in _ENDS_NAME or raw.endswith(("'s", "’s")):
            flush()
    flush()
    return out


def vocabulary(passages: Sequence[Passage]) -> set[str]:
    """Stemmed lower-case words of the passages' texts, titles, outlets and wire copies."""
    vocab: set[str] = set()
    for p in passages:
        extra = " ".join(str(a.get("source") or "") for a in p.also)
        for w in words(f"{p.text} {p.title} {p.source or ''} {p.author or ''} {extra}"):
            vocab.add(stem(w))
    return vocab


def missing_names(
    question: str,
    passages: Sequence[Passage],
    outlets: Iterable[str] = (),
    vocab: set[str] | None = None,
) -> list[str]:
    """Names in `question` the evidence does not mention, so the question cannot be answered.

    A name is missing when fewer than half of its words occur in `passages` (texts, titles,
    outlets, bylines). Outlet names of the archive (`outlets`) are not required in the passages,
    only somewhere in the archive. `vocab` is vocabulary(passages), when already at hand.
    """
    vocab = vocabulary(passages) if vocab is None else vocab
    outlet_terms = {stem(w) for o in outlets for w in words(o)}
    missing = []
    for name in names_in(question):
        is_outlet = all(t in outlet_terms for t in name.terms)
        found = sum(t in vocab for t in name.terms)
        if not is_outlet and (found * 2 < len(name.terms) or found == 0):
            missing.append(name.text)
    return missing


def candidate_names(
    texts: Sequence[tuple[str, str, float]],
    question: str,
    outlets: Iterable[str] = (),
    context: Iterable[str] = (),
) -> list[tuple[str, float]]:
    """Names the evidence offers as the answer to `question`, best first.

    `texts` are (article id, text, weight). A name scores the sum over the articles that
    mention it of the best weight of its mentions there: a name several articles agree on wins.
    Names sharing a word with the question are left out (they are what is asked about, not the
    answer). Shorter forms are credited to the longest form seen ('Bankman-Fried' to
    'Sam Bankman-Fried'), among `texts`, else to the fuller form the `context` texts (the
    whole passages, their titles) use most.
    """
    asked = {stem(w) for w in words(question)}
    # Outlet names ('Sporting News') are where the evidence comes from, not an answer.
    outlet_names = {tuple(stem(w) for w in words(o) if w.lower() != "the") for o in outlets}
    per_name: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    surface: dict[tuple[str, ...], str] = {}
    initial: set[tuple[str, ...]] = set()
    full: set[tuple[str, ...]] = set()
    context = list(context)  # read twice: here and by _NameForms
    found = names_of([t for _, t, _ in texts], keep_initial=True, context=context)
    for (article, _, weight), names in zip(texts, found, strict=True):
        for name in names:
            (initial if name.initial else full).add(name.terms)
            if any(t in asked for t in name.terms) or all(t.isdigit() for t in name.terms):
                continue
            if name.terms in outlet_names:
                continue
            seen = per_name[name.terms]
            seen[article] = max(seen.get(article, 0.0), weight)
            surface.setdefault(name.terms, name.text)
    # A capitalised word opening a sentence counts only as a part of a longer name seen elsewhere
    # (in the texts, or in full in the context: 'Altman has been telling investors ...').
    forms = _NameForms(context)
    for terms in initial - full:
        if forms.fuller(terms) is None and not any(
            len(o) > len(terms) and _contains(o, terms) for o in full
        ):
            per_name.pop(terms, None)
    longest: dict[tuple[str, ...], tuple[str, ...]] = {}
    for terms in per_name:
        longer = [o for o in per_name if len(o) > len(terms) and _contains(o, terms)]
        if longer:
            longest[terms] = max(longer, key=lambda o: (len(per_name[o]), len(o)))
            continue
        fuller = forms.fuller(terms)
        longest[terms] = fuller or terms
        if fuller:
            surface.setdefault(fuller, forms.surface[fuller])
    totals: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    for terms, seen in per_name.items():
        target = totals[longest[terms]]
        for article, weight in seen.items():
            target[article] = max(target.get(article, 0.0), weight)
    ranked = sorted(
        ((surface[t], sum(seen.values())) for t, seen in totals.items()),
        key=lambda item: -item[1],
    )
    if _ASKS_PERSON.match(question):
        # 'Who' asks for a person: a first and last name, not 'FTX' or 'Alameda Research'.
        people = [item for item in ranked if _may_be_person(item[0])]
        ranked = people or [item for item in ranked if len(words(item[0])) >= 2]
    return ranked


# A question asking for a person: 'Who ...', 'Which individual ...'.
_ASKS_PERSON = re.compile(
    r"\s*(?:who|whom|whose|(?:which|what)\s+(?:individual|person|man|woman))\b", re.I
)


# Last words of the names of bodies, not of people ('Securities and Exchange Commission',
# 'Alameda Research', 'Mistral AI').
_BODY_WORDS = frozenset(
    stem(w)
    for w in """commission research ventures inc corp corporation co company companies group
    bank reserve association league council department court committee agency fund funds capital
    partners labs lab media sportsbook exchange times news post journal institute university
    college school foundation authority board office service services party fc united city
    club team ltd llc plc holdings systems technologies technology network networks studios
    records entertainment games sports motors airlines administration ministry government house
    senate congress parliament union federation bureau police army trust coalition alliance
    center centre museum hospital church society organization organisation industries markets
    securities investments ai""".split()
)
_ACRONYM = re.compile(r"^[A-Z0-9&]{2,}$")


def _may_be_person(name: str) -> bool:
    """Whether `name` could be a person's: two words or more, none an acronym ('FTX'), and
    not a body's name (ends_like_body)."""
    parts = words(name)
    return (
        len(parts) >= 2 and not any(_ACRONYM.match(w) for w in parts) and not ends_like_body(name)
    )


def mention_word(name: str) -> str | None:
    """The stem an article that mentions `name` is sure to use, whichever form it writes: a
    person's or a body's last name ('Bankman-Fried' for 'Sam Bankman-Fried'), but not a word
    bodies' names end with ('Alameda' for 'Alameda Research'). None for no words."""
    stems = [stem(w) for w in words(name)]
    while len(stems) > 1 and stems[-1] in _BODY_WORDS:
        stems.pop()
    return stems[-1] if stems else None


def ends_like_body(name: str) -> bool:
    """Whether `name` ends with a word bodies' names end with ('Manchester United', 'Labour
    Party')."""
    parts = words(name)
    return bool(parts) and stem(parts[-1]) in _BODY_WORDS


class _NameForms:
    """How often each name occurs in some texts, and how it is written there. Writers name
    people and bodies in full at first mention and shorten them after ('Britney Spears', then
    'Spears'), so the best sentences may hold only the short form."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()
        self.surface: dict[tuple[str, ...], str] = {}
        self.inside: set[tuple[str, ...]] = set()  # seen written after a sentence's opening
        for names in names_of(list(texts)):
            for found in names:
                if found.opens and _OPENER.fullmatch(found.text.split()[0]):
                    continue  # 'Technically Amazon ...': the sentence's first word, not the name's
                self.counts[found.terms] += 1
                self.surface.setdefault(found.terms, found.text)
                if not found.opens:
                    self.inside.add(found.terms)

    def fuller(self, terms: tuple[str, ...]) -> tuple[str, ...] | None:
        """The most frequent longer name ending with `terms` ('Spears' -> 'Britney Spears',
        'Commission' -> 'European Commission'), the shorter on a tie; None when there is none.
        For a one-word name that no longer one ends with, a longer one it opens and that is
        written at least as often, not only opening sentences: its short form ('Sam' in a
        quote, for 'Sam Altman'); one written more often is a name of its own ('Google', not
        'Google AI')."""
        n = len(terms)
        longer = [
            t
            for t in self.counts
            if len(t) > n and t[-n:] == terms and not _QUALIFIER.fullmatch(self.surface[t])
        ]
        if not longer and n == 1:
            own = self.counts[terms]
            longer = [
                t for t in self.inside if len(t) > n and t[:n] == terms and self.counts[t] >= own
            ]
        return max(longer, key=lambda t: (self.counts[t], -len(t))) if longer else None


# A sentence's first word that is not part of the name after it: an adverb ('Technically',
# 'Reportedly') or a negated auxiliary ("Didn't").
_OPENER = re.compile(r"[A-Z][a-z]{3,}ly|[A-Z][a-z]*n['’]t")
# A country's or bloc's initials before a name qualify it, they are not part of it ('US TikTok').
_QUALIFIER = re.compile(r"(?:US|USA|UK|EU|UN)\s+\S.*")


def names_of(
    texts: Sequence[str], keep_initial: bool = False, context: Sequence[str] = ()
) -> list[list[Name]]:
    """The names of each of `texts` (names_in, without titles), a name opening a sentence
    without its first word when the texts and `context` show that word is not part of it: the
    word is written in lower case there, the longer run never appears but at a sentence's
    start, and the rest is a name of its own ('Current Fed Chair' opening a sentence, 'the Fed'
    elsewhere, is 'Fed Chair'; 'New York Times' keeps 'New' when written mid-sentence too)."""
    every = [names_in(t, keep_initial=True, titles=False) for t in texts]
    seen = [n for names in every for n in names]
    seen += [n for t in context for n in names_in(t, keep_initial=True, titles=False)]
    inside = {n.terms for n in seen if not n.opens}
    runs = {n.terms for n in seen}
    lower = {w for t in (*texts, *context) for w in _TOKEN.findall(t) if w.islower()}

    def trimmed(n: Name) -> Name:
        first, _, rest = n.text.partition(" ")
        if not (n.opens and rest and first.lower() in lower and n.terms not in inside):
            return n
        terms = n.terms[len(words(first)) :]
        if not terms or (terms not in runs and not any(_contains(r, terms) for r in inside)):
            return n
        return Name(rest, terms, False, False)

    # (names_in without keep_initial leaves out exactly the runs flagged `initial`)
    return [[trimmed(n) for n in names if keep_initial or not n.initial] for names in every]


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


_KIND = r"(?:article|report|piece|story|column|editorial|review|post|op-ed|feature)s?"
_CAP = r"[A-Z][\w'’&.-]*(?:\s+(?:of\s+|&\s+)?[A-Z][\w'’&.-]*)*"
# How questions name the outlet of an article: 'a CNBC article', 'an article from Bloomberg',
# 'another in The Guardian', 'The Wall Street Journal's first article', 'reported by Wired'.
# ('an article on X' and 'according to X' are left out: X is as often a topic or a person.)
_OUTLET_PATTERNS = (
    re.compile(rf"\ban?\s+({_CAP})\s+{_KIND}\b"),
    re.compile(rf"\b{_KIND}\s+(?:from|by|in)\s+(?:the\s+|The\s+)?({_CAP})"),
    re.compile(rf"\b(?:another|one)\s+(?:from|by|in)\s+(?:the\s+|The\s+)?({_CAP})"),
    re.compile(rf"\b({_CAP})(?:'s|’s)\s+(?:\w+\s+)?{_KIND}\b"),
    re.compile(rf"\b(?:reported|published|covered)\s+(?:by|in)\s+(?:the\s+|The\s+)?({_CAP})"),
)


def outlet_mentions(question: str) -> list[str]:
    """Names the question uses as the outlet of an article ('a CNBC article', 'a report by X')."""
    found = []
    for pattern in _OUTLET_PATTERNS:
        for match in pattern.finditer(question):
            name = re.sub(r"^(?:The|the)\s+", "", match.group(1).strip())
            first = name.split()[0].lower() if name else ""
            if first and first not in _NOT_NAMES and first not in _MONTHS_DAYS:
                found.append(name)
    return list(dict.fromkeys(found))


def unknown_outlets(question: str, outlets: Iterable[str]) -> list[str]:
    """Outlets the question asks about that publish nothing in the archive (`outlets`)."""
    known = [{stem(w) for w in words(o)} - {"the"} for o in outlets]
    missing = []
    for name in outlet_mentions(question):
        terms = {stem(w) for w in words(name)} - {"the"}
        if terms and not any(terms <= k or k <= terms for k in known if k):
            missing.append(name)
    return missing


REFUSAL = "No article in the archive"  # how every refusal opens
# 'Who ...', 'Which company ...', 'What institution ...', 'What is the name of ...': questions
# answered by a name. 'What did ...', 'What happened ...' ask for something else.
_NOT_NAME_NOUNS = (
    r"reason|impact|effect|significance|difference|purpose|role|status|outcome|result|results|"
    r"relationship|main|primary|overall|key|way|cause|nature|extent|trend|view|stance|focus"
)
_NAME_QUESTION = re.compile(
    r"^\s*(?:who|whom|whose|which|name\b|what\s+(?:is|was|are|were)\s+the\s+"
    rf"(?!(?:{_NOT_NAME_NOUNS})\b)[a-z-]+\b|"
    r"what\s+(?!(?:is|was|are|were|did|does|do|has|have|had|can|could|would|should|will|"
    r"happened|about|if)\b)[a-z-]+(?:\s+of\s+[a-z-]+)?(?:\s+|,)(?!(?:did|does|do)\b))",
    re.I,
)


def asks_for_name(question: str) -> bool:
    """Whether the question asks for a person, organisation, product or place by name."""
    return bool(_NAME_QUESTION.match(question))


def named_outlets(question: str, sources: Sequence[str]) -> list[tuple[str, int]]:
    """The outlets among `sources` the question names, with how many times, in question order."""
    counts: dict[str, int] = {}
    for _, _, source in _mentions(question, sources):
        counts[source] = counts.get(source, 0) + 1
    return list(counts.items())


def _mentions(question: str, sources: Sequence[str]) -> list[tuple[int, int, str]]:
    """Where the question names an outlet of `sources`: (first token, token after, outlet),
    by position among the question's word tokens, in question order.

    Outlets are found as the retriever finds them (qa.retrieval.understand.OutletMatcher: 'CNBC'
    names 'Cnbc | World Business News Leader', a capitalised mention only); a mention that fits
    several outlets ('The Independent') is credited to the first of them in `sources`.
    """
    order = list(dict.fromkeys(s for s in sources if s))
    if not order:
        return []
    starts = [m.start() for m in _QUESTION_TOKEN.finditer(question)]
    mentions: list[tuple[int, int, str]] = []
    for mention, group, offset in _matcher(tuple(sorted(order))).find_spans(question):
        first = bisect.bisect_left(starts, offset)
        after = bisect.bisect_left(starts, offset + len(mention))
        source = next(s for s in order if s in group)
        mentions.append((first, max(after, first + 1), source))
    return mentions


@lru_cache(maxsize=64)
def _matcher(sources: tuple[str, ...]) -> OutletMatcher:
    return OutletMatcher(sources)


def outlet_clauses(question: str, sources: Sequence[str]) -> list[tuple[str, str]]:
    """Each mention of an outlet of `sources` in the question, in order, with the part of the
    question about it (qa.retrieval.understand.mention_clauses, as the retriever reads it; the whole
    question when that part is too short to say anything). A mention that fits several outlets
    is credited to the first of them in `sources`."""
    order = list(dict.fromkeys(s for s in sources if s))
    if not order:
        return []
    spans = _matcher(tuple(sorted(order))).find_spans(question)
    clauses = mention_clauses(question, spans)
    return [
        (next(s for s in order if s in group), clause or question)
        for (_, group, _), clause in zip(spans, clauses, strict=True)
    ]


@dataclass(frozen=True)
class Claim:
    """One thing a question says of what it asks about ('planned to establish a board with
    experts'), with the outlet it attributes the claim to, when it names one in the claim."""

    text: str
    terms: frozenset[str]
    outlet: str | None


# Words that say where or how something was reported rather than what: a part of a question
# made of them and outlet names ('according to reports from The Verge and TechCrunch') claims
# nothing of its own.
_REPORTING = frozenset(
    stem(w)
    for w in """according report reported reports reporting article articles piece pieces story
    stories per cited citing suggest suggests suggested discuss discussed discusses discussing
    mention mentioned mentions covered coverage published recent recently state states stated
    claim claims claimed note noted notes highlighted highlights write writes wrote also another
    one two three four both several respectively latter former later earlier individual person
    company organization organisation entity""".split()
)
# Where a question's claims part: punctuation, the connectives that join clauses, and an 'and'
# that starts a clause ('... and is planning to appeal'), not one in a list ('Macs and chipsets').
_CLAIM_BREAK = re.compile(
    r"[,;:?()]|\s(?:while|whereas|whilst|but|although|though)\s|"
    r"\sand\s(?=(?:is|was|are|were|has|have|had|also|later|then|its|\w+ed)\b)",
    re.I,
)
# 'two articles from The Verge' asks for two of its articles.
_NUMBERS = {"two": 2, "three": 3, "four": 4}
_COUNTED = re.compile(
    rf"\b(two|three|four)\s+(?:\w+\s+)?{_KIND}\s+(?:from|by|in|of)\s+(?:the\s+)?$", re.I
)
MIN_CLAIM_TERMS = 3


def question_claims(question: str, sources: Sequence[str]) -> list[Claim]:
    """The claims of a question put together from several reports, in question order.

    The question is cut at punctuation and at clause connectives (never inside an outlet's
    name). A part with fewer than MIN_CLAIM_TERMS content words, once outlet names and
    reporting words are left out, continues the claim before it (or is dropped when first:
    'Which company'); a part that only names a report ('the report from The Verge on
    September 28, 2023') belongs to the part after it, which says what the report is about. A
    claim whose part names one outlet is that outlet's, unless the name is one of a list
    ('according to TechCrunch, Engadget and The Verge' attributes nothing).
    """
    tokens = list(_QUESTION_TOKEN.finditer(question))
    mentions = _mentions(question, sources)
    spans = [(tokens[a].start(), tokens[b - 1].end(), s) for a, b, s in mentions]
    listed = set()
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        if first != second and not set(content_terms(question[end:start])) - _REPORTING:
            listed |= {first, second}
    cuts = [0]
    for m in _CLAIM_BREAK.finditer(question):
        if not any(a <= m.start() < b for a, b, _ in spans):
            cuts += [m.start(), m.end()]
    cuts.append(len(question))
    parts: list[tuple[str, set[str], set[str]]] = []  # text, terms, outlets
    ahead: tuple[str, set[str], set[str]] = ("", set(), set())  # introduces the next part
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        inside = [(a, b, s) for a, b, s in spans if start <= a < end]
        text = question[start:end]
        for a, b, _ in sorted(inside, reverse=True):
            text = text[: a - start] + " " * (b - a) + text[b - start :]
        terms = set(content_terms(text)) - _REPORTING
        outlets = {s for _, _, s in inside}
        if ahead[0]:
            text, terms, outlets = f"{ahead[0]} {text}", ahead[1] | terms, ahead[2] | outlets
            ahead = ("", set(), set())
        if _introduces(text, terms, outlets):
            # 'the report from The Verge on September 28, 2023, concerning ...': the report
            # named here is what the next part says.
            ahead = (text, terms, outlets)
            continue
        if len(terms) >= MIN_CLAIM_TERMS or not parts:
            parts.append((" ".join(text.split()), terms, outlets))
        else:
            last = parts[-1]
            parts[-1] = (f"{last[0]} {' '.join(text.split())}", last[1] | terms, last[2] | outlets)
    if ahead[0]:  # the report named last is what the question said before it
        last = parts.pop() if parts else ("", set(), set())
        parts.append(
            (f"{last[0]} {' '.join(ahead[0].split())}", last[1] | ahead[1], last[2] | ahead[2])
        )
    claims = []
    for text, terms, outlets in parts:
        if len(terms) >= MIN_CLAIM_TERMS:
            own = outlets - listed
            claims.append(Claim(text, frozenset(terms), own.pop() if len(own) == 1 else None))
    return claims


_ATTRIBUTING = re.compile(r"^\W*(?:according|as|per|reported|cited|citing|says|said)\b", re.I)
_REPORT_NOUN = re.compile(rf"\b{_KIND}\b", re.I)


def _introduces(text: str, terms: set[str], outlets: set[str]) -> bool:
    """Whether a part of a question only names a report, for the next part to say what it is
    about: it names an outlet and a report ('and the article from Fortune on October 4, 2023'),
    says nothing else but a date, and does not attribute what came before it ('according to
    TechCrunch')."""
    said = {t for t in terms if not _is_date_term(t)}
    return (
        bool(outlets)
        and len(said) < MIN_CLAIM_TERMS
        and bool(_REPORT_NOUN.search(text))
        and not _ATTRIBUTING.match(text)
    )


def _is_date_term(term: str) -> bool:
    """Whether a content term is part of a date ('september', '28', '2023', '14th')."""
    return term in _MONTHS_DAYS or bool(re.fullmatch(r"\d+(?:st|nd|rd|th)?", term))


def mention_counts(question: str, sources: Sequence[str]) -> dict[str, int]:
    """How many articles the question asks of each outlet it names: one per mention, or as
    many as it says ('two articles from The Verge')."""
    tokens = list(_QUESTION_TOKEN.finditer(question))
    counts: dict[str, int] = {}
    for a, _, source in _mentions(question, sources):
        said = _COUNTED.search(question[: tokens[a].start()])
        counts[source] = counts.get(source, 0) + (_NUMBERS[said.group(1).lower()] if said else 1)
    return counts


def refusal_reason(
    question: str,
    passages: Sequence[Passage],
    outlets: Sequence[str],
    best_score: float,
    min_evidence: float,
    min_coverage: float,
    claims: int = 1,
) -> str | None:
    """Why the evidence does not answer `question`, or None when it may.

    In order: nothing retrieved; the question asks for articles of an outlet the archive does
    not hold; it names someone or something no retrieved passage mentions (a question of
    several `claims` only when a third of its names or more are missing: one detail of one
    claim, absent from the passages retrieved, does not make the rest unanswerable); fewer than
    `min_coverage` of its content words occur in the passages; no sentence of the passages
    matches it well enough (`best_score` below `min_evidence`).
    """
    if not passages:
        return "Nothing in the archive matches it."
    if outlets:
        unknown = unknown_outlets(question, outlets)
        if unknown:
            return f"The archive holds no articles from {_join(unknown)}."
    vocab = vocabulary(passages)
    missing = missing_names(question, passages, outlets, vocab)
    if missing and (claims < 2 or 3 * len(missing) >= len(names_in(question))):
        return f"{_MISSING}{_join(missing)}."
    terms = set(content_terms(question))
    covered = sum(t in vocab for t in terms) / len(terms) if terms else 1.0
    if covered < min_coverage:
        absent = sorted(t for t in terms if t not in vocab)[:5]
        return (
            f"{_UNCOVERED} in the retrieved articles "
            f"({covered:.0%} of its words do; missing: {', '.join(absent)})."
        )
    if best_score < min_evidence:
        return (
            f"No retrieved sentence states it (best evidence score {best_score:.2f}, "
            f"below {min_evidence:.2f})."
        )
    return None


def _join(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def closest_coverage(passages: Sequence[Passage], n: int = 3) -> list[str]:
    """'“Title” (Outlet, 2023-10-05)' for the first `n` distinct articles of `passages`."""
    seen: dict[str, str] = {}
    for p in passages:
        if p.article_id not in seen and len(seen) < n:
            meta = ", ".join(x for x in (p.source, (p.published_at or "")[:10]) if x)
            seen[p.article_id] = f"\u201c{p.title}\u201d" + (f" ({meta})" if meta else "")
    return list(seen.values())


def what_is_asked(question: str, tokens: Sequence[Token] = ()) -> str:
    """What a refusal says the archive lacks: 'says what Sullivan ate for breakfast' for 'What
    did Sullivan eat for breakfast?' (qa.answers.question.asked_clause, with the question's tagged
    words); a question that can't be turned is quoted whole."""
    clause = asked_clause(question, tokens)
    if clause is not None:
        return f"says {clause}"
    return f"answers \u201c{question.strip()}\u201d"


def refusal(
    question: str, passages: Sequence[Passage], reason: str, tokens: Sequence[Token] = ()
) -> Answer:
    """A refused Answer: says in words what the archive lacks; `reason` (with any scores) is
    kept apart for the evidence view. The closest coverage (titles, outlets, dates) is named
    only when the retrieved articles are about what the question names."""
    text = _in_words(question, reason, tokens)
    # Coverage is named when the articles are about what the question names and hold most of
    # its words (not when they lack what it asks: 'breakfast' in an article on diplomacy).
    about = _about(question, passages) and not reason.startswith(_UNCOVERED)
    closest = closest_coverage(passages) if about else []
    if closest:
        text += " The closest coverage: " + "; ".join(closest) + "."
    firsts: dict[str, Passage] = {}
    for p in passages:
        if len(firsts) < 3:
            firsts.setdefault(p.article_id, p)
    return Answer(
        question,
        text,
        [],
        refused=True,
        passages=list(passages),
        reason=reason,
        closest=list(firsts.values()) if about else [],
    )


def _in_words(question: str, reason: str, tokens: Sequence[Token] = ()) -> str:
    """What the archive lacks, for a person: the reason itself when it names what is missing
    (an outlet; a name, said of the articles found), else the question ('No article in the
    archive says who ...')."""
    if reason.startswith("The archive holds no articles from"):
        return reason
    if reason.startswith(_MISSING):
        # Only the articles retrieved were read: the archive may name it elsewhere.
        return "No article found for this question mentions " + reason.removeprefix(_MISSING)
    return f"No article in the archive {what_is_asked(question, tokens)}."


_UNCOVERED = "Most of what it asks about does not occur"
_MISSING = "None of the retrieved articles mentions "


def _about(question: str, passages: Sequence[Passage]) -> bool:
    """Whether the first retrieved articles mention every name the question uses (and it uses
    one; outlets it asks for are not counted): only then is what they say coverage of it."""
    outlets = {stem(w) for o in outlet_mentions(question) for w in words(o)}
    names = [n for n in names_in(question) if not n.initial and not set(n.terms) <= outlets]
    if not names or not passages:
        return False
    have = vocabulary(passages[:3])
    return all(sum(t in have for t in n.terms) * 2 >= len(n.terms) for n in names)


def declined(
    question: str,
    passages: Sequence[Passage],
    analysis: Question,
    index: int,
    start: int,
    end: int,
    tokens: Sequence[Token] = (),
) -> Answer:
    """A refused Answer for a question the archive covers but no retrieved sentence answers:
    says what is missing and quotes the closest sentence (passages[index].text[start:end]),
    cited, so the reader sees what the archive does say."""
    from qa.types import Citation

    p = passages[index]
    wanted = _WANTED.get(analysis.slot.value if analysis.slot else "", "the answer")
    reason = (
        f"No retrieved sentence gives {wanted} while stating what the question asks about "
        "(see the evidence)."
    )
    meta = ", ".join(x for x in (p.source or p.title, (p.published_at or "")[:10]) if x)
    quote = p.text[start:end].strip()
    text = (
        f"No article in the archive {what_is_asked(question, tokens)}. "
        f"The closest it comes: {meta}: \u201c{quote}\u201d {marker(1)}"
    )
    citation = Citation(1, p, p.text[start:end], p.start + start, p.start + end)
    return Answer(question, text, [citation], refused=True, passages=list(passages), reason=reason)


_WANTED = {
    "person": "who it was",
    "organisation": "which organisation it was",
    "place": "the place",
    "date": "the date",
    "amount": "the amount",
    "count": "the number",
    "percentage": "the percentage",
    "quantity": "the figure",
    "name": "the name",
}


# Values a question can ask for, and how to read them from a sentence.
def asks_for_value(question: str) -> bool:
    """Whether the question asks for a number, an amount or a date."""
    return bool(_VALUE_QUESTION.match(question))


_VALUE_QUESTION = re.compile(
    r"^\s*(?:how\s+(?:many|much|long|old)|when|what\s+(?:year|date|day|time|percentage|number|amount|price))\b",
    re.I,
)
_NUMBER = re.compile(
    r"[$€£]?\d[\d,]*(?:\.\d+)?\s*(?:%|percent|per cent|million|billion|trillion|thousand)?", re.I
)


def _values(text: str, question: str) -> set[str]:
    asked = set(_NUMBER.findall(question))
    out = set()
    for raw in _NUMBER.findall(text):
        value = " ".join(raw.lower().replace(",", "").split())
        if raw not in asked and not re.fullmatch(r"(19|20)\d\d", value.strip("$€£ ")):
            out.add(value)
    return out


def conflicting_values(question: str, quotes: Sequence[tuple[str, int, Passage]]) -> str | None:
    """When the cited articles give different values for what is asked, a sentence showing each.

    `quotes` are (quoted sentence, citation number, passage). Applies to questions asking for a
    number, amount or date; two quotes from different articles conflict when each holds such a
    value and they share none. Returns e.g. 'Reports differ: The Verge (2023-10-05) gives 12 [1];
    TechCrunch (2023-10-07) gives 15 [2].'
    """
    if not _VALUE_QUESTION.match(question):
        return None
    per_article: dict[str, tuple[set[str], int, Passage]] = {}
    for text, n, p in quotes:
        values = _values(text, question)
        if values and p.article_id not in per_article:
            per_article[p.article_id] = (values, n, p)
    found = list(per_article.values())
    if len(found) < 2 or set.intersection(*(v for v, _, _ in found)):
        return None
    parts = []
    for values, n, p in found:
        meta = ", ".join(x for x in (p.source, (p.published_at or "")[:10]) if x)
        parts.append(f"{meta or p.title} gives {' / '.join(sorted(values))} {marker(n)}")
    return "Reports differ: " + "; ".join(parts) + "."

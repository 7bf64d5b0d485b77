"""Yes/no questions: a verdict first (Yes, No, 'The reports disagree', 'The archive doesn't
say'), then the evidence for each part of the question.

Three kinds, told apart by the question's grammar:

- **order in time** ('Was the report from X published before the one from Y?', 'Did X report
  on A after Y discussed B?'): answered from the publication dates of the reports that best
  match each side of 'before' / 'after';
- **consistency** ('Was there a change in how X portrayed ...?', 'Did Y's report contradict
  ...?', '... consistent or inconsistent?'): two reports that both state what the question says
  of the subject agree; a report whose matching sentence negates what the other states
  disagrees;
- **claims** ('Did both X and Y report ...?', 'Does X suggest A, while Y reports B?'): Yes when
  a report of each outlet states its part; No when an outlet's retrieved report does not
  state it; 'The archive doesn't say' when no report of that outlet was found.

An 'X or Y?' question ('consistent or inconsistent?') is answered with the option the verdict
picks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.citations import marker
from qa.evidence import named_outlets
from qa.reading import LEXICAL_WEIGHT, SEMANTIC_WEIGHT, EvidenceReader, Reading, Sentence, overlap
from qa.store import iso_to_ts
from qa.text import content_terms
from qa.types import Answer, Citation, Passage

YES, NO = "Yes", "No"
DISAGREE = "The reports disagree"
UNKNOWN = "The archive doesn't say"
# A part of a question counts as stated by a report whose best sentence supports it this well
# (meaning and words, as sentences are scored for the whole question).
MIN_SUPPORT = 0.45

_ORDER = re.compile(
    r"\b(before|after|earlier than|later than|prior to|preceding|following|subsequent to|"
    r"subsequently to)\b",
    re.I,
)
_CHANGE = re.compile(
    r"\b(change[ds]?|changing|shift(?:ed)?|inconsisten\w*|contradict\w*|differ\w*|"
    r"disagree\w*|conflict\w*|discrepanc\w*|evolv\w*)\b",
    re.I,
)
_SAME = re.compile(
    r"\b(consisten\w*|same|similar\w*|agree\w*|align\w*|remain\w*|uniform\w*|coheren\w*|"
    r"in line)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(not|no|never|n't|denied|denies|deny|rejected|rejects|false|unlikely|without)\b", re.I
)
_POSITIVE_OPTIONS = frozenset(
    "consistent consistency same similar similarity agree agreement aligned align yes "
    "unchanged true".split()
)


def compose_yes_no(reading: Reading, chosen: list[Sentence], reader: EvidenceReader) -> Answer:
    """The verdict on a yes/no question, then the quotes of `chosen` (the best sentence of
    each report its parts call for)."""
    from qa.answer import _as_of, _attribution, _quote, cite

    passages = reading.passages
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    quotes = []
    for s in chosen:
        n = cite(numbers, citations, passages, s.passage, s.start, s.end)
        quotes.append(f"{_attribution(passages[s.passage])}: {_quote(s.text)} {marker(n)}")
    verdict, why = _verdict(reading, chosen)
    options = reading.analysis.alternatives
    if options and verdict in (YES, NO):
        verdict = _option(options, agree=verdict == YES)
    head = f"{verdict}." if not why else f"{verdict}: {why}"
    return Answer(
        reading.question,
        " ".join([head, *quotes, *_as_of(citations)]),
        citations,
        refused=False,
        passages=passages,
    )


def _verdict(reading: Reading, chosen: list[Sentence]) -> tuple[str, str]:
    """(verdict, a short reason in words or "")."""
    q = reading.question
    opening = _main_clause(q)
    order = _ORDER.search(q, opening)
    if order:
        answer = _order(reading, order)
        if answer is not None:
            return answer
    change = _CHANGE.search(q, opening)
    same = _SAME.search(q, opening)
    if change or same or reading.analysis.alternatives:
        agree = _agree(reading, chosen)
        if agree is None:
            return UNKNOWN, ""
        asks_change = change is not None and not (same and same.start() < change.start())
        if reading.analysis.alternatives:
            return (YES if agree else NO), ""
        if not agree:
            return (YES if asks_change else NO), ""
        return (NO if asks_change else YES), ""
    return _claims(reading)


_PREAMBLE = re.compile(
    r"\s*(?:after|before|between|following|considering|given|regarding)\b[^,]*,", re.I
)


def _main_clause(question: str) -> int:
    """Where the question's own clause starts: after an opening 'After X reported ..., ' or
    'Between A and B, ' (which only says which reports are meant)."""
    m = _PREAMBLE.match(question)
    return m.end() if m else 0


def _order(reading: Reading, match: re.Match[str]) -> tuple[str, str] | None:
    """Order in time: the report matching the part before 'before'/'after' against the one
    matching the part after it."""
    q = reading.question
    first, second = q[: match.start()], q[match.end() :]
    a = _best_report(reading, first)
    b = _best_report(reading, second)
    if a is None or b is None or a.article_id == b.article_id:
        return None
    ta, tb = iso_to_ts(a.published_at), iso_to_ts(b.published_at)
    if ta < 0 or tb < 0:
        return UNKNOWN, "the reports' dates are not known."
    later = match.group(1).lower() in (
        "after",
        "later than",
        "following",
        "subsequent to",
        "subsequently to",
    )
    holds = ta > tb if later else ta < tb
    da, db = (a.published_at or "")[:10], (b.published_at or "")[:10]
    why = f"the {a.source or a.title} report is dated {da}, the {b.source or b.title} one {db}."
    return (YES if holds else NO), why


def _best_report(reading: Reading, part: str) -> Passage | None:
    """The retrieved report that best matches a part of the question: of the outlet it names
    (if any), by the words of the part."""
    passages = reading.passages
    outlets = [o for o, _ in named_outlets(part, [p.source or "" for p in passages])]
    terms = set(content_terms(part))
    best: tuple[float, int] | None = None
    for rank, p in enumerate(passages):
        if outlets and p.source not in outlets:
            continue
        value = overlap(terms, f"{p.title} {p.text}") - 0.02 * rank
        if best is None or value > best[0]:
            best = (value, rank)
    return passages[best[1]] if best else None


def _agree(reading: Reading, chosen: Sequence[Sentence]) -> bool | None:
    """Whether the cited reports agree on what the question says of its subject: None when
    fewer than two reports are cited; False when one report's sentence negates what another's
    states; True otherwise when each states it well enough."""
    articles = {reading.passages[s.passage].article_id for s in chosen}
    if len(articles) < 2:
        return None
    negated = [bool(_NEGATION.search(s.text)) for s in chosen]
    return all(negated) or not any(negated)


def _claims(reading: Reading) -> tuple[str, str]:
    """Claims: Yes when each part is stated by a report of its outlet; No when an outlet's
    report does not state its part; the archive doesn't say when an outlet has no report."""
    claims = reading.claims or []
    sources = {p.source for p in reading.passages}
    if not claims:
        best = reading.scored[0].score if reading.scored else 0.0
        return (YES if best >= MIN_SUPPORT else NO), ""
    weakest = None
    for k, claim in enumerate(claims):
        if claim.outlet and claim.outlet not in sources:
            return UNKNOWN, f"no report from {claim.outlet} was found."
        support = max(
            (
                _claim_support(reading, k, s)
                for s in reading.scored
                if not claim.outlet or reading.passages[s.passage].source == claim.outlet
            ),
            default=0.0,
        )
        if weakest is None or support < weakest[0]:
            weakest = (support, claim)
    assert weakest is not None
    if weakest[0] >= MIN_SUPPORT:
        return YES, ""
    return NO, ""


def _claim_support(reading: Reading, k: int, s: Sentence) -> float:
    claim = reading.claims[k]
    sem = s.claims[k] if k < len(s.claims) else s.semantic
    return SEMANTIC_WEIGHT * sem + LEXICAL_WEIGHT * overlap(claim.terms, s.text)


def _option(options: tuple[str, str], agree: bool) -> str:
    """The option of an 'X or Y?' question that says the reports agree (or not)."""
    first, second = options
    positive = first.lower() in _POSITIVE_OPTIONS or first.lower().rstrip("t") in (
        _POSITIVE_OPTIONS
    )
    if second.lower() in _POSITIVE_OPTIONS:
        positive = False
    pick = first if positive == agree else second
    return pick[:1].upper() + pick[1:]

"""Yes/no questions: a verdict first (Yes, No, 'The reports disagree', 'The archive doesn't
say'), then the evidence for each part of the question.

Three kinds, told apart by the question's grammar:

- **order in time** ('Was the report from X published before the one from Y?', 'Did X report
  on A after Y discussed B?'): answered from the publication dates of the reports that best
  match each side of 'before' / 'after';
- **consistency** ('Was there a change in how X portrayed ...?', 'Did Y's report contradict
  ...?', '... consistent or inconsistent?'): when a report of each side is found, they are
  taken to agree: nothing here reads one report against another closely enough to find a
  contradiction, and the verdict says so ("the reports don't contradict each other on this");
- **claims** ('Did both X and Y report ...?', 'Does X suggest A, while Y reports B?'): Yes when
  a report of each outlet is about its part (its best sentence supports it at MIN_SUPPORT);
  No when an outlet's retrieved reports are not; 'The archive doesn't say' when no report of
  that outlet was found.

An 'X or Y?' question ('consistent or inconsistent?') is answered with the option the verdict
picks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answers.citations import marker
from qa.answers.evidence import named_outlets
from qa.answers.question import CHANGE_WORDS, SAME_WORDS
from qa.answers.reading import (
    LEXICAL_WEIGHT,
    SEMANTIC_WEIGHT,
    EvidenceReader,
    Reading,
    Sentence,
    overlap,
)
from qa.index.records import iso_to_ts
from qa.nlp import Token
from qa.text import content_terms
from qa.types import Answer, Citation, Passage

YES, NO = "Yes", "No"
DISAGREE = "The reports disagree"
UNKNOWN = "The archive doesn't say"
# A part of a question counts as stated by a report whose best sentence supports it this well
# (meaning and words, as sentences are scored for the whole question).
MIN_SUPPORT = 0.25

_ORDER = re.compile(
    r"\b(before|after|earlier than|later than|prior to|preceding|following|subsequent to|"
    r"subsequently to)\b",
    re.I,
)


def compose_yes_no(reading: Reading, chosen: list[Sentence], reader: EvidenceReader) -> Answer:
    """The verdict on a yes/no question, then the quotes of `chosen` (the best sentence of
    each report its parts call for)."""
    from qa.answers.extractive import _as_of, _attribution, _quote, cite

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
    order = _report_order(reading, opening)
    if order:
        answer = _order(reading, order)
        if answer is not None:
            return answer
    kind = _consistency(q, opening, reading.tokens)
    if kind is not None or reading.analysis.alternatives:
        if not _two_reports(reading, chosen):
            return UNKNOWN, ""
        # Two reports found on what the question asks: no reading of them here finds one
        # contradicting the other, so they are taken to agree (said as such).
        if kind == "change" and not reading.analysis.alternatives:
            return NO, "the reports don't contradict each other on this."
        return YES, "the reports agree on this."
    return _claims(reading)


_REPORTING_VERB = re.compile(
    r"\b(suggest\w*|report\w*|indicat\w*|discuss\w*|claim\w*|describ\w*|mention\w*|"
    r"impl\w*|stat(?:e|es|ed|ing)|say|says|said|argu\w*|note\w*|highlight\w*|attribut\w*|"
    r"credit\w*|predict\w*|portray\w*|present\w*|cover\w*)\b",
    re.I,
)


def _consistency(question: str, opening: int, tokens: Sequence[Token] = ()) -> str | None:
    """'change' or 'same' when the question asks whether reports agree ('was there a change in
    ...', 'did X contradict Y', 'remain consistent'): the word that says so comes before any
    verb of reporting. In 'Does X suggest a different approach than Y?' it is part of a claim
    (answered as claims). With the question's parse (`tokens`, qa.nlp), a negated word asks
    the opposite: 'was there no change' asks whether the reports agree."""
    change = CHANGE_WORDS.search(question, opening)
    same = SAME_WORDS.search(question, opening)
    first = min((m for m in (change, same) if m), key=lambda m: m.start(), default=None)
    if first is None:
        return None
    reporting = _REPORTING_VERB.search(question, opening)
    if reporting is not None and reporting.start() < first.start():
        return None
    kind = "change" if first is change else "same"
    word = next((k for k, t in enumerate(tokens) if t.start == first.start()), None)
    if word is not None and _negated(tokens, word):
        kind = "same" if kind == "change" else "change"
    return kind


def _negated(tokens: Sequence[Token], i: int) -> bool:
    """Whether word i, or the verb it belongs to, is negated ('no change', 'did not change')."""
    heads = {i, tokens[i].head}
    return any(
        t.head in heads and j != i and (t.dep == "neg" or t.text.lower() in ("no", "never"))
        for j, t in enumerate(tokens)
    )


_PREAMBLE = re.compile(
    r"\s*(?:after|before|between|following|considering|given|regarding)\b[^,]*,", re.I
)


_REPORT_AHEAD = re.compile(
    r"\s+(?:the|a|an|its|their|this|that)?\s*(?:[\w'’-]+\s+){0,3}?"
    r"(?:report|reports|article|articles|story|stories|coverage|piece|publication|post)\b",
    re.I,
)


_DATE_AHEAD = re.compile(
    r"\s+(?:the\s+)?(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|'\d)",
    re.I,
)


def _report_order(reading: Reading, opening: int) -> re.Match[str] | None:
    """A 'before' / 'after' of the question's own clause that compares two reports: what
    follows it names an outlet or a report ('after The Verge discussed ...', 'before the
    article from ...'), not an event ('returned after an injury')."""
    sources = [p.source or "" for p in reading.passages]
    for m in _ORDER.finditer(reading.question, opening):
        ahead = reading.question[m.end() : m.end() + 60]
        if _DATE_AHEAD.match(ahead):
            continue  # 'the report published after December 5': a date, not another report
        if _REPORT_AHEAD.match(ahead) or named_outlets(ahead[:40], sources):
            return m
    return None


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


def _two_reports(reading: Reading, chosen: Sequence[Sentence]) -> bool:
    """Whether the answer cites two reports or more (what a comparison needs)."""
    return len({reading.passages[s.passage].article_id for s in chosen}) >= 2


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
    """The option of an 'X or Y?' question that says the reports agree (or not), as an
    adjective ('similarly' is answered 'Similar')."""
    first, second = options
    positive = _says_same(first) and not _says_same(second)
    pick = first if positive == agree else second
    if pick.lower().endswith("ly") and len(pick) > 5:
        pick = pick[:-2]
    return pick[:1].upper() + pick[1:]


def _says_same(word: str) -> bool:
    if word.lower() in ("yes", "true", "unchanged"):
        return True
    return SAME_WORDS.fullmatch(word) is not None and CHANGE_WORDS.fullmatch(word) is None

"""News-aware question understanding: outlets and dates a question mentions.

Outlets are matched against the outlets present in the archive (not a fixed list), so
"The Independent" finds "The Independent - Sports" and "CBS Sports" finds "CBSSports.com".
Dates ("on October 5, 2023", "in October 2023", "last week", "on October 14th") become
publication-date ranges, relative expressions and days without their year read against an
as-of date (default: the newest article).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SPLITS = re.compile(r"\s+[-|:–]\s+|\s*\|\s*|:\s+")
_DOMAIN = re.compile(r"\.(com|org|net|co\.uk|co|io|news)$", re.I)
MAX_NGRAM = 8

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_FIRST = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_MONTH_FIRST = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+)(\d{{4}})\b", re.I
)
# A day without its year ('on October 14th', 'the 5th of November'): read in the year of the
# as-of date, or the year before when that day is still to come.
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*,?\s*\d)", re.I)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?!\s*,?\s*\d)", re.I
)
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_RELATIVE = {
    "yesterday": (1, 1),
    "today": (0, 0),
    "last week": (7, 0),
    "past week": (7, 0),
    "this week": (7, 0),
    "last month": (31, 0),
    "past month": (31, 0),
}


@dataclass(frozen=True)
class Analysis:
    """What a question says about where and when its evidence was published.

    `outlets` lists every mention in order (an outlet named twice, for two of its articles, is
    listed twice). `clauses` maps a mention's position in `outlets` to the part of the question
    about that article ("... the TechCrunch article suggests X, while The Guardian discusses Y"
    gives TechCrunch "X" and The Guardian "Y"); absent when the part is too short to search on.
    """

    outlets: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    dates: list[tuple[int, int]] = field(default_factory=list)
    clauses: dict[int, str] = field(default_factory=dict)

    @property
    def sources(self) -> frozenset[str]:
        """Every archive outlet any mention refers to."""
        return frozenset().union(*(group for _, group in self.outlets))


def _compact(tokens: Iterable[str]) -> str:
    return "".join(t.lower() for t in tokens)


class OutletMatcher:
    """Finds mentions of the archive's outlets in a question."""

    def __init__(self, sources: Iterable[str]) -> None:
        self._keys: dict[str, set[str]] = {}
        for source in sources:
            for alias in _aliases(source):
                self._keys.setdefault(alias, set()).add(source)

    def find(self, question: str) -> list[tuple[str, frozenset[str]]]:
        """(mention, outlets) pairs in order of appearance."""
        return [(m, g) for m, g, _ in self.find_spans(question)]

    def find_spans(self, question: str) -> list[tuple[str, frozenset[str], int]]:
        """(mention, outlets, offset) triples in order of appearance; longest mentions win."""
        tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(question)]
        taken = [False] * len(tokens)
        found: list[tuple[str, frozenset[str], int]] = []
        for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
            for i in range(len(tokens) - n + 1):
                if any(taken[i : i + n]):
                    continue
                words = [t for t, _ in tokens[i : i + n]]
                key = _compact(words)
                if key not in self._keys or not _capitalised(words):
                    continue
                mention = question[tokens[i][1] : tokens[i + n - 1][1] + len(words[-1])]
                found.append((mention, frozenset(self._keys[key]), tokens[i][1]))
                taken[i : i + n] = [True] * n
        return sorted(found, key=lambda t: t[2])


def _capitalised(words: list[str]) -> bool:
    """Outlet names are proper nouns: every mention starts with a capital or a digit."""
    first = words[0]
    if first.lower() == "the" and len(words) > 1:
        first = words[1]
    return first[0].isupper() or first[0].isdigit()


def _aliases(source: str) -> set[str]:
    """Compact lower-case spellings a question may use for `source`."""
    variants = {source, _SPLITS.split(source)[0]}
    out = set()
    for variant in variants:
        variant = _DOMAIN.sub("", variant.strip())
        tokens = _TOKEN.findall(variant)
        if not tokens:
            continue
        out.add(_compact(tokens))
        if tokens[0].lower() == "the" and len(tokens) > 1:
            out.add(_compact(tokens[1:]))
    return {a for a in out if len(a) >= 3}


def _day(year: int, month: int, day: int) -> tuple[int, int] | None:
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    # A day in any time zone: allow half a day either side of UTC.
    return int((start - timedelta(hours=12)).timestamp()), int(
        (start + timedelta(days=1, hours=12)).timestamp()
    )


def find_dates(question: str, as_of: datetime | None = None) -> list[tuple[int, int]]:
    """Publication-date ranges (epoch seconds) the question mentions."""
    ranges: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    for pattern, order in ((_DAY_FIRST, "dmy"), (_MONTH_FIRST, "mdy"), (_ISO, "ymd")):
        for m in pattern.finditer(question):
            if order == "dmy":
                day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
            elif order == "mdy":
                month, day, year = _MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3))
            else:
                year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            rng = _day(year, month, day)
            if rng:
                ranges.append(rng)
                spans.append(m.span())
    if as_of is not None:
        for pattern, order in ((_MONTH_DAY, "md"), (_DAY_MONTH, "dm")):
            for m in pattern.finditer(question):
                name = m.group(1 if order == "md" else 2)
                taken = any(s <= m.start() < e or m.start() <= s < m.end() for s, e in spans)
                if taken or not name[0].isupper():  # 'prices may 20' names no day
                    continue
                month = _MONTHS[name.lower()]
                day = int(m.group(2 if order == "md" else 1))
                rng = _day(as_of.year, month, day)
                if rng and rng[0] > as_of.timestamp():
                    rng = _day(as_of.year - 1, month, day)
                if rng:
                    ranges.append(rng)
                    spans.append(m.span())
    ranges = _join_between(question, spans, ranges)
    for m in _MONTH_YEAR.finditer(question):
        if any(s <= m.start() < e for s, e in spans):
            continue
        month, year = _MONTHS[m.group(1).lower()], int(m.group(2))
        last = calendar.monthrange(year, month)[1]
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year, month, last, 23, 59, 59, tzinfo=UTC)
        ranges.append((int(start.timestamp()), int(end.timestamp())))
    if as_of is not None:
        lowered = question.lower()
        for phrase, (back, ahead) in _RELATIVE.items():
            if phrase in lowered:
                midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
                start = midnight - timedelta(days=back)
                end = midnight + timedelta(days=1 + ahead)
                ranges.append((int(start.timestamp()), int(end.timestamp())))
    return ranges


_BETWEEN_BEFORE = re.compile(r"\b(?:between|from)\s*$", re.I)
_BETWEEN_MIDDLE = re.compile(r"^\s*(?:and|to|until|through|-|–)\s*$", re.I)


def _join_between(
    question: str, spans: list[tuple[int, int]], ranges: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """'between October 8, 2023 and October 14, 2023' as one range instead of two days."""
    pairs = sorted(zip(spans, ranges, strict=True))
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(pairs):
        (s1, e1), r1 = pairs[i]
        if i + 1 < len(pairs):
            (s2, _), r2 = pairs[i + 1]
            if _BETWEEN_BEFORE.search(question[:s1]) and _BETWEEN_MIDDLE.match(question[e1:s2]):
                out.append((r1[0], r2[1]))
                i += 2
                continue
        out.append(r1)
        i += 1
    return out


def date_phrases(question: str) -> list[tuple[int, int]]:
    """Character spans of the dates in `question` (days, months, 'between X and Y')."""
    spans = [
        m.span()
        for p in (_DAY_FIRST, _MONTH_FIRST, _ISO, _MONTH_YEAR)
        for m in p.finditer(question)
    ]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


MIN_CLAUSE_TERMS = 4


def mention_clauses(
    question: str, spans: list[tuple[str, frozenset[str], int]]
) -> list[str | None]:
    """For each outlet mention (OutletMatcher.find_spans), the part of the question about it:
    from the mention to the next one; None when that part is too short to say anything. The
    one reading of a question's outlet clauses, for the retriever and the answerer alike."""
    from qa.text import content_terms

    out: list[str | None] = []
    for i, (mention, _, start) in enumerate(spans):
        end = spans[i + 1][2] if i + 1 < len(spans) else len(question)
        clause = question[start + len(mention) : end].strip(" ,;?")
        out.append(clause if len(content_terms(clause)) >= MIN_CLAUSE_TERMS else None)
    return out


def outlet_clauses(question: str, spans: list[tuple[str, frozenset[str], int]]) -> dict[int, str]:
    """The clause of each mention of a question that names two outlets or more (with one, the
    whole question is about it)."""
    if len(spans) < 2:
        return {}
    return {i: c for i, c in enumerate(mention_clauses(question, spans)) if c is not None}


def analyse(question: str, outlets: OutletMatcher, as_of: datetime | None = None) -> Analysis:
    """Outlets, their clauses and dates mentioned in `question`."""
    spans = outlets.find_spans(question)
    return Analysis(
        outlets=[(m, g) for m, g, _ in spans],
        dates=find_dates(question, as_of),
        clauses=outlet_clauses(question, spans),
    )

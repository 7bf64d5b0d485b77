"""Follow-up questions made standalone, keeping the conversation's people, outlets and period.

"Who did Sullivan reportedly speak with?" then "What did he warn them about?" becomes
"What did Sullivan warn them about?"; "and the week after?" after a question about October 5,
2023 becomes that question asked between October 6 and October 12, 2023. The rules, in order:

1. A question that refers back to nothing and names someone or something, or says enough on
   its own (three content words or more), stands alone.
2. A shift of period ("and the week after?", "a month earlier?") repeats the previous
   standalone question with its dates replaced by the shifted period.
3. Otherwise the question gets the previous question's context: 'he'/'she' and their forms are
   replaced by the person the conversation is about; the names, outlets and dates of the previous
   question that this one lacks are added ("..., about Jake Sullivan, in October 2023?").

With an LLM answerer, the model rewrites the question instead, and these rules are the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from qa.answers.evidence import Name, names_in
from qa.retrieval.understand import date_phrases, find_dates
from qa.text import content_terms

Message = dict[str, str]

_REFERS_BACK = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|it|its|this|that|these|those|there|then)\b", re.I
)
_CONTINUES = re.compile(r"^\s*(and|also|what about|how about|but|so|then)\b", re.I)
_SHIFT = re.compile(
    r"\b(?:the\s+|a\s+|one\s+)?(day|week|month|year)\s+(after|later|before|earlier)\b|"
    r"\b(?:the\s+)?(next|following|previous|prior)\s+(day|week|month|year)\b",
    re.I,
)
SELF_CONTAINED_TERMS = 3
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_PERSON = {"he": "", "him": "", "she": "", "his": "'s"}


def _person(names: Sequence[Name]) -> str | None:
    """The first name of two or more words (a person's full name), else the first name."""
    for name in names:
        if len(name.terms) >= 2:
            return name.text
    return names[0].text if names else None


def _fmt(ts: float) -> str:
    d = datetime.fromtimestamp(ts, UTC)
    return f"{d:%B} {d.day}, {d.year}"


def _shifted(previous: str, match: re.Match[str]) -> str | None:
    """`previous` asked for the period `match` describes relative to its own dates."""
    ranges = find_dates(previous)
    if not ranges:
        return None
    unit = (match.group(1) or match.group(4) or "week").lower()
    direction = (match.group(2) or match.group(3) or "after").lower()
    days = _DAYS[unit]
    start = min(r[0] for r in ranges) + 12 * 3600
    end = max(r[1] for r in ranges) - 12 * 3600
    if direction in ("after", "later", "next", "following"):
        lo = datetime.fromtimestamp(end, UTC)  # the day after the last day asked about
        hi = lo + timedelta(days=days - 1)
    else:
        first = datetime.fromtimestamp(start, UTC) - timedelta(days=days)
        lo, hi = first, first + timedelta(days=days - 1)
    period = f"between {_fmt(lo.timestamp())} and {_fmt(hi.timestamp())}"
    spans = date_phrases(previous)
    text = previous
    for s, e in reversed(spans):
        text = text[:s] + "\0" + text[e:]
    text = re.sub(r"\b(?:on|in|during|from|since|between)?\s*\0(?:\s*(?:and|to)\s*\0)*", "\0", text)
    text = re.sub(r"(\s*\0)+", " " + period, text, count=1).replace("\0", "")
    return " ".join(text.split())


def _replace_person(question: str, person: str) -> str:
    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        return person + _PERSON[word.lower()]

    return re.sub(r"\b(he|him|she|his)\b", swap, question, flags=re.I)


def rewrite(question: str, previous: str | None, outlets: Sequence[str] = ()) -> str:
    """`question` made standalone given the previous standalone question (see module doc)."""
    question = " ".join(question.split())
    if not previous:
        return question
    shift = _SHIFT.search(question)
    if shift and len(question.split()) <= 8:
        moved = _shifted(previous, shift)
        if moved:
            return moved
    own = names_in(question)
    refers = bool(_REFERS_BACK.search(question)) or bool(_CONTINUES.match(question))
    if not refers and (own or len(content_terms(question)) >= SELF_CONTAINED_TERMS):
        return question
    before = names_in(previous)
    person = _person(before)
    out = _replace_person(question, person) if person else question
    out = _CONTINUES.sub("", out).strip()
    out = out[:1].upper() + out[1:]
    have = {t for n in names_in(out) for t in n.terms}
    outlet_sets = [set(content_terms(o)) for o in outlets]
    extra = [n for n in before if not set(n.terms) <= have]

    def is_outlet(name: Name) -> bool:
        return any(o and o <= set(name.terms) for o in outlet_sets)

    topics = [n.text for n in extra if not is_outlet(n)]
    sources = [n.text for n in extra if is_outlet(n)]
    context = []
    if topics:
        context.append("about " + ", ".join(dict.fromkeys(topics)))
    if sources:
        context.append("as reported by " + " and ".join(dict.fromkeys(sources)))
    if not find_dates(out):
        dates = [previous[s:e] for s, e in date_phrases(previous)]
        if dates:
            context.append("in " + " and ".join(dates))
    if not context:
        return out
    return out.rstrip(" ?.") + ", " + ", ".join(context) + "?"


def standalone(messages: Sequence[Message], outlets: Sequence[str] = ()) -> str:
    """The last user message of `messages` as a standalone question.

    `messages` are {"role": "user" | "assistant", "content": str}, oldest first; each earlier
    user message is made standalone in turn, so context carries over several follow-ups.
    """
    current: str | None = None
    for message in messages:
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            current = rewrite(str(message["content"]), current, outlets)
    if current is None:
        from qa.errors import NewsdeskError

        raise NewsdeskError("The conversation has no question", "end it with a user message")
    return current

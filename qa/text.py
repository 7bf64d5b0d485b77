"""Small text utilities: sentence spans, word tokens with light stemming, stop words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) and whitespace,
# unless the word before the dot is a common abbreviation or a single initial.
_SENT_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n\s*\n")
_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "rep",
    "sen",
    "gov",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "rev",
    "hon",
    "pres",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "e.g",
    "i.e",
    "etc",
    "approx",
    "est",
    "dept",
    "univ",
    "ft",
    "mt",
}
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also according said says say reported reportedly report reports article
    news did does do many much whether""".split()
)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence in `text`, surrounding whitespace excluded."""
    start = 0
    for match in _SENT_END.finditer(text):
        sep = match.group(0)
        if sep[0] == ".":
            before = text[start : match.start()].split()
            last = before[-1].lower() if before else ""
            if last in _ABBREV or (len(last) == 1 and last.isalpha()):
                continue
        end = match.start() + len(sep.rstrip())
        if text[start:end].strip():
            yield _trim(text, start, end)
        start = match.end()
    if text[start:].strip():
        yield _trim(text, start, len(text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'talks'/'talked'/'talking' and plurals."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if suffix == "es" and not base.endswith(("s", "x", "z", "ch", "sh")):
                return base + "e"
            return base
    return w


def verb_root(lemma: str) -> str:
    """The start every form of a verb shares, lower-cased: its lemma less up to two letters
    ('clos' for 'close': 'closed', 'closing'; 'abolis' for 'abolish')."""
    lemma = lemma.lower()
    return lemma[: max(3, len(lemma) - 2)] if len(lemma) > 3 else lemma


def words(text: str) -> list[str]:
    """Word tokens of `text`, as written."""
    return _WORD.findall(text)


def content_terms(text: str) -> list[str]:
    """Stemmed, lower-cased words of `text` without stop words."""
    return [t for w in _WORD.findall(text) if (t := _term(w))]


@lru_cache(maxsize=1 << 18)
def _term(word: str) -> str:
    """A word's stem, or "" for a stop word (remembered: news repeats its words)."""
    return "" if word.lower() in STOP_WORDS else stem(word)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 passage', '2 passages', '1,204 articles' (`many` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"

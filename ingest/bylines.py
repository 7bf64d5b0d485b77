"""Bylines: the names of the people who wrote an article, out of what pages and exports put in
an author field ("By Jill Disis and Tom Watkins, CNN", "Matt Friedman | NJ Advance Media for
NJ.com", "Phil Helsel is a reporter", "Motley Fool Staff", "admin").

A byline is split into parts; a part keeps the run of words that reads as a person's name, and
loses roles, outlet names, dates, handles, e-mail addresses and bios. A part that holds no
person's name (an outlet, "staff", "wire services", a date, a lone first name) is dropped, so a
byline may give no names at all. Names of three words or more are checked with the spaCy
pipeline of qa.nlp (PERSON), which is loaded only when such a name turns up.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from qa.config import DEFAULT_NER_MODEL

# Words that end a name: a name never runs into them, and a capitalised run directly followed
# by one of them is an organisation's name ("Northeast Ohio Media Group", "Motley Fool Staff").
_ORG_WORDS = frozenset(
    """news media group press times post magazine daily weekly herald tribune journal
    gazette network agency service services wire wires desk international online digital inc
    ltd llc corp corporation company co team staff editors editorial board bureau associated
    foundation institute university center centre council committee club blog report reports
    review channel tv radio studios publishing publications partners newsroom newspaper
    newspapers sport sports today weekend insider global local national world com net org""".split()
)
# Roles and page furniture: a part that is only these holds no name.
_ROLE_WORDS = frozenset(
    """reporter reporters writer writers editor editors correspondent correspondents columnist
    contributor contributors contributing critic producer photographer photographers director
    analyst senior chief deputy associate special political business science staff guest
    admin administrator webmaster anonymous submitted letters readers reader posts bio follow
    share tweet more view author authors archive contact email twitter facebook instagram
    by posted published updated written story words text report reporting source sources
    freelance intern host anchor presenter managing executive lead print save comments comment
    subscribe newsletter profile""".split()
)
# Months that are also first names ("May", "Jan") count as a name's word when another name word
# follows them ("Haje Jan Kamps"); otherwise a date word ends a name.
_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_DATE_WORDS = _MONTHS | frozenset(
    """monday tuesday wednesday thursday friday
    saturday sunday mon tue tues wed thu thur thurs fri sat sun today yesterday am pm gmt utc
    est edt pst pdt bst cet""".split()
)
# Lower-case words that belong inside names ("Ludwig van Beethoven", "Lena deCasparis").
_PARTICLES = frozenset(
    "de da del della der di du la le van von bin ibn al el dos das ter den du st st. y".split()
)
_ARTICLES = frozenset("the a an our your their".split())
_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())
_CREDENTIALS = frozenset("md phd ph.d. rn dds esq esq.".split())

_URL = re.compile(r"(https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_LEAD = re.compile(
    r"^\s*(?:(?:written|posted|story|words|text|reporting|report|compiled|edited|interview)\s+)?"
    r"(?:by|von|por|par|door)\s*[:\-]?\s+",
    re.I,
)
# A credit for pictures or video is not a byline ("Photo by The Associated Press").
_CREDIT = re.compile(
    r"^\s*(photos?|photograph(s|y)?|pictures?|images?|illustrations?|videos?|graphics?|"
    r"cartoons?|credits?)\b",
    re.I,
)
# The start of a bio, a place or an affiliation after a name: "Phil Helsel is a reporter ...",
# "Jonathan Liew at Old Trafford", "Jane Doe in Kyiv", "Jeffrey Passel of Pew".
_BIO = re.compile(
    r"\s+(?:is|was|has|had|writes|wrote|covers|covered|reports|joined|edits|lives|works|"
    r"teaches|studies|at|in|of|for|from)\s+.*$",
    re.I | re.S,
)
_SPLIT = re.compile(
    r"\s*(?:[,;|/•·&+\n]|\s[-–—]\s|\b(?:and|with|und|y|et)\b)\s*",
    re.I,
)
_WORD = re.compile(r"[^\s]+")
_INITIALS = re.compile(r"^(?:[A-Z]\.){1,3}$|^[A-Z]$")
_NAME_WORD = re.compile(
    r"^(?:(?:Mc|Mac|O['’]|D['’]|de|da|di|van|von|le|la)?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+"
    r"(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*(?:['’-][A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*)$"
)
MAX_NAME_WORDS = 4
_ORG_LABELS = frozenset({"ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART"})
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


def person_names(
    raw: object,
    outlets: Iterable[str | None] = (),
    ner_model: str | None = DEFAULT_NER_MODEL,
    from_text: bool = False,
) -> list[str]:
    """The person names in a byline (a string, or a list of them), in order, each once.

    `outlets` are names of the publisher (site name, host) that bylines often append; they are
    removed. `ner_model` names the spaCy pipeline that checks names (None: rules only): a long
    run that ends in an organisation's name, places in a byline of several names ("John
    Smith, New York"), and, in one read from a page's text (`from_text`), organisations too
    ("Patricio Candia | Palma de Mallorca").
    """
    values: Sequence[object] = raw if isinstance(raw, list | tuple) else [raw]
    names: list[str] = []
    seen: set[str] = set()
    cut = tuple(sorted({o.strip() for o in outlets if o and len(o.strip()) > 1}, key=len))
    for value in values:
        if value is None:
            continue
        for name in _names(str(value), cut[::-1], ner_model, from_text):
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    return names


def join_names(names: Sequence[str]) -> str | None:
    """The byline shown for a list of names ("A, B and C"); None for no names."""
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


@lru_cache(maxsize=4096)
def _names(raw: str, outlets: tuple[str, ...], ner_model: str | None, from_text: bool) -> list[str]:
    text = " ".join(html.unescape(html.unescape(raw)).split())
    if not text or _URL.fullmatch(text):
        return []
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    for outlet in outlets:
        text = re.sub(rf"(?<!\w){re.escape(outlet)}(?!\w)", " ; ", text, flags=re.I)
    if text.isupper() or text.islower():
        text = text.title()  # "JOHN MARZULLI", "lucy berry"
    names = []
    for part in _SPLIT.split(text):
        name = _name_in(part, ner_model)
        if name:
            names.append(name)
    if ner_model and (from_text or len(names) > 1):
        # spaCy's small model takes some names for organisations ("Ludwig van Beethoven"), so
        # only a byline read from a page's text, the least reliable source, loses those.
        kinds = _ORG_LABELS if from_text else _PLACE_LABELS
        entities = _entities(text, ner_model) or ()
        names = [n for n in names if not _taken_for(n, entities, kinds)]
    return names


def _taken_for(name: str, entities: Sequence[tuple[str, str]], kinds: frozenset[str]) -> bool:
    """Whether spaCy, reading the whole byline, took exactly `name` for one of `kinds` of
    entity ("Patricio Candia | Palma de Mallorca") and not for a person."""
    people = any(label == "PERSON" and name in text for label, text in entities)
    return not people and any(label in kinds and text == name for label, text in entities)


def _name_in(part: str, ner_model: str | None) -> str | None:
    """The person's name a byline part holds, or None."""
    part = _BIO.sub("", part.strip(" .:-–—()[]\"'"))
    if _CREDIT.match(part):
        return None
    part = _LEAD.sub("", " " + part).strip()
    words = _WORD.findall(part)
    start = 0
    while start < len(words) and _clean(words[start]).lower() in _ROLE_WORDS:
        start += 1  # "Staff Writer Jane Doe", "Reporter Jane Doe"
    run: list[str] = []
    i = start
    while i < len(words) and (_is_name_word(words[i], first=not run) or _month_in_name(words, i)):
        run.append(_clean(words[i]))
        i += 1
    while run and run[-1].lower() in _PARTICLES:
        run.pop()  # a particle never ends a name
    if run and run[-1].lower() in _CREDENTIALS:
        run.pop()
    core = [w for w in run if w.lower() not in _PARTICLES and w.lower() not in _SUFFIXES]
    full_words = [w for w in core if not _INITIALS.match(w)]
    if len(core) < 2 or not full_words or len(core) > MAX_NAME_WORDS:
        return None
    name = " ".join(run)
    if i < len(words) and _clean(words[i]).lower() in _ORG_WORDS:
        following = _clean(words[i + 1]).lower() if i + 1 < len(words) else ""
        if following in _ROLE_WORDS:
            return name  # "Tom Gillespie News reporter"
        # The run begins an organisation's name ("Motley Fool Staff"), unless it starts with a
        # person's name: "Finian Cunningham Sputnik International".
        if len(core) < 3 or not ner_model:
            return None
        tail = []
        for word in words[i:]:
            if _clean(word).lower() not in _ORG_WORDS:
                break
            tail.append(_clean(word))
        return _person_before_org(run, tail, ner_model)
    return name


def _person_before_org(run: list[str], org_words: list[str], ner_model: str) -> str | None:
    """The first words of `run` when spaCy reads the rest, with the organisation words that
    follow it, as one organisation or place ("Sputnik International"); else None."""
    for k in range(len(run) - 1, 1, -1):
        tail = " ".join(run[k:] + org_words)
        entities = _entities(tail, ner_model)
        if entities is None:
            return None
        if len(entities) == 1 and entities[0][1] == tail and entities[0][0] in _ORG_LABELS:
            return " ".join(run[:k])
    return None


def _month_in_name(words: list[str], i: int) -> bool:
    """A month's name used as a first or middle name: followed by another name's word."""
    word = _clean(words[i])
    if word.lower() not in _MONTHS or not word[:1].isupper() or i + 1 >= len(words):
        return False
    following = _clean(words[i + 1])
    return following.lower() not in _DATE_WORDS and _is_name_word(words[i + 1], first=False)


def _clean(word: str) -> str:
    """A word without the punctuation around it (an initial or "St." keeps its full stop)."""
    if _INITIALS.match(word):
        return word
    word = word.strip(",;:!?\"'()[]{}").rstrip("’'")
    return word if len(word) <= 3 else word.rstrip(".")


def _is_name_word(word: str, first: bool) -> bool:
    token = _clean(word)
    if not token:
        return False
    low = token.lower()
    if low in _ARTICLES:
        return False  # "The Aviationist", "The Times-Picayune"
    if low in _ORG_WORDS or low in _ROLE_WORDS or low in _DATE_WORDS:
        return False
    if low in _PARTICLES and not first:
        return True
    if low in _SUFFIXES or low in _CREDENTIALS:
        return not first
    if _INITIALS.match(word) or re.fullmatch(r"(?:[A-Z]\.){1,3}[A-Z]?", word):
        return True
    if token.isupper() and len(token) > 1:
        return False  # an acronym in a mixed-case byline: an outlet ("CNN", "UPROXX")
    return bool(_NAME_WORD.match(token))


@lru_cache(maxsize=4096)
def _entities(text: str, ner_model: str) -> tuple[tuple[str, str], ...] | None:
    """(label, text) of the entities spaCy finds in `text`; None when spaCy cannot be loaded."""
    from qa.errors import ModelError
    from qa.nlp import entity_reader

    try:
        reader = entity_reader(ner_model)
    except ModelError:
        return None
    [found] = list(reader.read([text]))
    return tuple((e.label, e.text) for e in found)

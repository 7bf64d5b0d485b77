"""Reading the evidence for a question: every answerer's first step, and its refusal policy.

1. Each sentence of the retrieved passages is scored by its meaning (embedding cosine) and the
   share of the question's words it holds, as for the whole question and for each of its
   claims (a question drawn from several reports makes several).
2. The question is refused (qa.answers.evidence.refusal_reason) when the evidence does not cover it.
3. For a question that asks for a name or a value (qa.answers.question), the best sentences are read
   for the spans that fill the slot (qa.answers.slots) and weighed by how many of the question's
   distinguishing words they hold: 'Who voted against the ferry purchase?' wants a sentence
   with 'voted against' and a person, not the sentence most like the question. A single-claim
   question that no retrieved sentence answers that way is declined, with what the archive
   does say.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from qa.answers.evidence import (
    Claim,
    declined,
    named_outlets,
    question_claims,
    refusal,
    refusal_reason,
)
from qa.answers.question import Question, Slot, read_question
from qa.answers.slots import (
    NAME_SLOTS,
    UNIT,
    EntityCache,
    Filler,
    asked_subject,
    asks_for_a_maker,
    capitalised_names,
    fillers,
    fit,
    in_span,
    made_by,
    may_name_the_answer,
    named_next,
    unasserted,
    value_of_another,
)
from qa.config import AnswerSettings
from qa.embedding import Embedder
from qa.index.sentences import SentenceVectors
from qa.nlp import Entity, Token
from qa.text import STOP_WORDS, content_terms, sentence_spans, stem, verb_root, words
from qa.types import Answer, Passage

# Weights of the sentence score: meaning (embedding cosine) and word overlap with the question.
SEMANTIC_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# Share of the score that depends on the sentence holding the kind of answer asked for.
TYPE_WEIGHT = 0.2
# Sentences embedded per question (the best by word overlap), at most this many per passage.
EMBED_SENTENCES = 48
PER_PASSAGE = 5
# The best retrieved passages, every sentence of which that holds a value of the asked kind is
# read (_typed_extra).
TYPED_PASSAGES = 2
# Of the sentences whose vectors the index stored, how many of the best are embedded again on
# their own for a question (see EvidenceReader._refine); 0 reads the stored vectors alone.
REFINE_SENTENCES = 24
# A sentence's support for the slot: its score and its share of the question's distinguishing
# words, half each; a sentence that states none of the question's verbs (nor a word near
# one in meaning, MIN_PREDICATE) counts half its share.
FOCUS_SHARE = 0.5
MIN_PREDICATE = 0.5
# A sentence this close in meaning to the question states what it asks, whatever its verbs
# ('The series was done away with in 1984' for 'When was the series abolished?').
PARAPHRASE = 0.6
# A sentence answers only when it holds at least this share of the question's distinguishing
# words (weighted; see focus_weights).
MIN_FOCUS = 0.2
# What is left of a sentence's focus when it does not state the question's verb.
VERBLESS_SHARE = 0.5
# What the question's words in a sentence's passage before it count for, against the same
# words in the sentence itself (_named_in_context, and a sentence that refers back: _referred_to).
CONTEXT_SHARE = 0.5
# How many of the best slot readings are parsed to check that they state what was asked.
CHECK_ASSERTED = 3

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


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved passage: `passage` indexes the passages read, `start`/`end`
    are offsets in that passage's text, `score` its evidence score for the question."""

    passage: int
    start: int
    end: int
    text: str
    score: float
    semantic: float = 0.0  # the embedding cosine with the question, part of `score`
    claims: tuple[float, ...] = ()  # the embedding cosine with each claim of the question


@dataclass(frozen=True)
class SlotReading:
    """A sentence read for the slot: the spans that fill it, and how well it answers."""

    sentence: Sentence
    fillers: tuple[Filler, ...]
    focus: float  # weighted share of the question's distinguishing words it holds
    support: float
    predicate: float = 1.0  # how well it states one of the question's verbs (0..1)
    answers: bool = True  # about what the question names, stating what it asks (read_slot)
    about: bool = True  # its article mentions most of the names the question uses
    fit: int = 1  # how surely its fillers are of the asked kind (qa.answers.slots.fit)
    complete: bool = True  # its article mentions every one of them


@dataclass
class Reading:
    """What the evidence says of one question, for an answerer to compose from."""

    question: str
    passages: list[Passage]
    analysis: Question
    claims: list[Claim]
    scored: list[Sentence]  # best first
    outlets: list[tuple[str, int]] = field(default_factory=list)  # named, with mentions
    slots: list[SlotReading] = field(default_factory=list)  # best support first
    refusal: Answer | None = None
    tokens: tuple[Token, ...] = ()  # the question's words, tagged (qa.nlp)

    @property
    def single_claim(self) -> bool:
        """A question that names no outlet: one asked of the archive as a whole, not one put
        together from what several named reports say."""
        return not self.outlets


class EvidenceReader:
    """Scores the retrieved sentences for a question, decides refusals and reads the slot."""

    def __init__(
        self,
        embedder: Embedder,
        settings: AnswerSettings,
        outlets: Callable[[], Sequence[str]] | None = None,
        entities: Callable[[list[str]], list[list[Entity]]] | None = None,
        sentences: SentenceVectors | None = None,
        openings: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    ) -> None:
        self._embedder = embedder
        # The opening passages of whole articles, by id: where names are written in full.
        self._openings = openings or (lambda ids: {})
        # Sentence vectors: stored at ingest when the index has them, else embedded here.
        self._sentences = sentences or SentenceVectors(embedder)
        self.min_evidence = settings.min_evidence
        self.min_coverage = settings.min_coverage
        self._outlets = outlets or (lambda: ())
        self.read_passages = settings.answer_passages
        self._entities = EntityCache(entities or _spacy_reader(settings.ner_model))
        self._ner_model = settings.ner_model
        self._words = WordMatcher(embedder)
        self._tagged = entities is None  # a pipeline of our own: tag questions with it too

    def openings(self, passages: Sequence[Passage]) -> Mapping[str, str]:
        """The opening passage of each of the passages' articles, by article id, as far as the
        index holds them: where writers name people and bodies in full ('Sam Bankman-Fried',
        then 'Bankman-Fried') and say what the article is about."""
        return self._openings(list(dict.fromkeys(p.article_id for p in passages)))

    def name_context(
        self, passages: Sequence[Passage], openings: Mapping[str, str] | None = None
    ) -> list[str]:
        """The texts that tell how the evidence's names are written in full: the passages and
        their titles, and their articles' `openings` (read when not given)."""
        texts = [t for p in passages for t in (p.title, p.text)]
        known = set(texts)
        leads = self.openings(passages) if openings is None else openings
        return texts + [t for t in leads.values() if t not in known]

    def _irregular_verbs(self) -> Mapping[str, str]:
        """Irregular verb forms and their lemmas, from the spaCy pipeline's lemmatizer; none
        when the reader was given another entity reader."""
        if not self._tagged:
            return {}
        from qa.nlp import entity_reader

        return entity_reader(self._ner_model).irregular_verbs

    def tokens(self, text: str) -> list[Token]:
        """The words of `text` (a question or a sentence), tagged and parsed by the spaCy
        pipeline (qa.nlp); none when the reader was given another entity reader."""
        if not self._tagged:
            return []
        return list(_parsed(self._ner_model, text))

    def read(self, question: str, passages: Sequence[Passage]) -> Reading:
        """The reading of `passages` (best first) for `question`: the first `read_passages` are
        read sentence by sentence; all of them count as coverage."""
        passages = list(passages)
        claims = question_claims(question, [p.source or "" for p in passages])
        tokens = tuple(self.tokens(question))
        analysis = read_question(question, tokens)
        scored = self.score_sentences(question, passages[: self.read_passages], claims, analysis)
        outlets = named_outlets(question, [p.source or "" for p in passages])
        reading = Reading(question, passages, analysis, claims, scored, outlets, tokens=tokens)
        reading.refusal = self._refusal(reading)
        # The slot is read for a question asked of the archive as a whole; one put together
        # from what named reports say is answered claim by claim (qa.answers.extractive).
        if reading.refusal is None and analysis.wants_entity and scored and reading.single_claim:
            reading.slots = self.read_slot(reading)
            reading.refusal = self._unfilled(reading)
        return reading

    def _refusal(self, reading: Reading) -> Answer | None:
        scored = reading.scored
        best = max(scored[0].score if scored else 0.0, _claims_support(reading.claims, scored))
        reason = refusal_reason(
            reading.question,
            reading.passages,
            list(self._outlets()),
            best,
            self.min_evidence,
            self.min_coverage,
            claims=len(reading.claims),
        )
        if reason is None:
            return None
        return refusal(reading.question, reading.passages, reason, reading.tokens)

    def _unfilled(self, reading: Reading) -> Answer | None:
        """A question that names no outlet and that no sentence answers (see read_slot) is
        declined, quoting the closest sentence."""
        if not reading.single_claim or (reading.slots and reading.slots[0].answers):
            return None
        closest = reading.scored[0]
        return declined(
            reading.question,
            reading.passages,
            reading.analysis,
            closest.passage,
            closest.start,
            closest.end,
            reading.tokens,
        )

    def read_slot(self, reading: Reading) -> list[SlotReading]:
        """The sentences that hold a span of the asked kind: those that answer first (they
        are about what the question names, state what it asks was done, and hold enough of
        its distinguishing words), each group by support."""
        analysis = reading.analysis
        weights = focus_weights(analysis, reading.scored)
        texts = [reading.passages[s.passage].text for s in reading.scored]
        found = self._entities.entities(texts)
        read = []
        for sent, ents in zip(reading.scored, found, strict=True):
            mine = in_span(ents, sent.start, sent.end)
            spans = fillers(sent.text, mine, analysis)
            if not spans and analysis.slot in NAME_SLOTS:
                spans = capitalised_names(sent.text, reading.question, mine, analysis.slot)
            if spans:
                read.append((sent, spans))
            text = reading.passages[sent.passage].text
            later = named_next(text, sent.start, sent.end, ents, analysis)
            if later is not None:  # the role here, the person's name opening the next sentence
                end, people = later
                read.append((replace(sent, end=end, text=text[sent.start : end]), people))
        verbs = [stem(v) for v, _ in analysis.predicates]
        wanted = list(dict.fromkeys([*weights, *verbs]))
        near = self._words.near(reading.question, wanted, [s.text for s, _ in read])
        # The words describing the asked noun count where a sentence restates them ('Sunday
        # Telegraph journalist Robert Peston' for 'Which Sunday Telegraph journalist ...').
        described = (
            focus_weights(
                replace(analysis, terms=analysis.terms + analysis.described), reading.scored
            )
            if analysis.described
            else {}
        )
        subjects = _subjects(reading.question, self._outlets())
        sources = _sources(reading.question, subjects)
        # What an article mentions is read from all its retrieved passages: a name the
        # question uses may be written in another passage than the answer's.
        article_text: dict[str, str] = {}
        for p in reading.passages:
            known = article_text.get(p.article_id, p.title)
            article_text[p.article_id] = f"{known} {p.text}"
        # Read once per article, not per sentence.
        mentions = {a: _mentions(subjects, text, sources) for a, text in article_text.items()}
        irregular = self._irregular_verbs()
        # A value is asked of the question's subject: not one a sentence gives of another.
        subject = asked_subject(reading.tokens) if analysis.wants_value else frozenset()
        maker = analysis.slot is Slot.PERSON and asks_for_a_maker(analysis)
        out = []
        for (sent, spans), soft in zip(read, near, strict=True):
            focus = focus_share(weights, sent.text, soft)
            if described:
                literal = {t: v for t, v in soft.items() if t not in analysis.described}
                focus = max(focus, focus_share(described, sent.text, literal))
            before = _referred_to(reading.passages[sent.passage], sent.start, sent.text)
            if before:  # 'That brought to 49 the number of banks ...' after the suit it counts
                together = focus_share(weights, f"{before} {sent.text}", soft)
                focus += CONTEXT_SHARE * (together - focus)
            said = predicate_match(analysis.predicates, sent.text, soft, irregular)
            if maker and any(made_by(sent.text, f) for f in spans):
                said = 1.0  # 'a book by ... Robert Peston' for 'Who wrote the book ...?'
            if said < MIN_PREDICATE:
                focus *= VERBLESS_SHARE  # it does not state what the question asks was done
            support = (1 - FOCUS_SHARE) * sent.score + FOCUS_SHARE * focus
            p = reading.passages[sent.passage]
            about, complete = mentions[p.article_id]
            # A name written beside the noun the question asks about ('which drug' - 'the
            # drug Tysabri') states what is asked for, whatever verb the sentence uses.
            named = any(f.label == UNIT for f in spans)
            stated = said >= MIN_PREDICATE or sent.semantic >= PARAPHRASE or named
            if not may_name_the_answer(analysis, sent.text):
                stated = False
            answers = about and stated and focus >= MIN_FOCUS
            if answers and subject:
                # (parsed only for a sentence that would answer)
                parsed = self.tokens(sent.text)
                answers = not all(value_of_another(parsed, subject, f) for f in spans)
            out.append(
                SlotReading(
                    sent,
                    tuple(spans),
                    round(focus, 4),
                    round(support, 4),
                    round(said, 4),
                    answers,
                    about,
                    fit(spans, analysis, sent.text),
                    complete,
                )
            )
        out.sort(key=_slot_order)
        if out and not out[0].answers:
            out = _named_in_context(reading, out, weights)
        if out and not out[0].answers:
            out = _continued_in_next(reading, out, weights, irregular)
        return self._asserted(reading, out)

    def _asserted(self, reading: Reading, read: list[SlotReading]) -> list[SlotReading]:
        """The slot readings with those of the best that only want, plan, expect or deny
        what the question asks was done ('he would like to succeed Keegan' for 'Who was
        appointed to succeed Keegan?') no longer answering, nor then those that only
        resemble the question without stating its verbs: the evidence that speaks of the
        asked event says it has not happened. Unchanged when the question asks in such a
        frame itself ('Who hopes to succeed ...?', 'How many jobs could go?')."""
        verbs = reading.analysis.predicates
        if not verbs or not self._tagged or unasserted(reading.tokens, verbs, every=False):
            return read
        unreal = [
            i
            for i, r in enumerate(read[:CHECK_ASSERTED])
            if r.answers and unasserted(self.tokens(r.sentence.text), verbs)
        ]
        if not unreal:
            return read
        for i, r in enumerate(read):
            if i in unreal or (r.answers and r.predicate < MIN_PREDICATE):
                read[i] = replace(r, answers=False)
        read.sort(key=_slot_order)
        return read

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of whole passage texts (remembered)."""
        return self._entities.entities(texts)

    def score_sentences(
        self,
        question: str,
        passages: Sequence[Passage],
        claims: Sequence[Claim] = (),
        analysis: Question | None = None,
    ) -> list[Sentence]:
        """Every sentence of `passages` with its evidence score, best first, and its
        similarity to each of `claims`. `analysis` is the question's reading (read here
        without the parser when not given).

        Sentences are first ranked by word overlap with the question or one of its claims; only
        the best `EMBED_SENTENCES` are embedded (embedding every sentence of ten passages would
        take most of a second on two cores), and for a date or a number, the best of each
        passage that holds one (_typed_extra).
        """
        q_terms = set(content_terms(question))
        claim_terms = [c.terms for c in claims]
        candidates = [
            (overlap(q_terms, p.text[s:e]), i, s, e, _best_overlap(claim_terms, p.text[s:e]))
            for i, p in enumerate(passages)
            for s, e in sentence_spans(p.text)
            if len(words(p.text[s:e])) >= 4
        ]
        if not candidates:
            return []
        # The best few of every passage, so that each article has a sentence to offer.
        candidates.sort(key=lambda c: (-max(c[0], c[4]), c[1], c[2]))
        taken: dict[int, int] = {}
        kept: list[_Candidate] = []
        for cand in candidates:
            if taken.get(cand[1], 0) < PER_PASSAGE and len(kept) < EMBED_SENTENCES:
                kept.append(cand)
                taken[cand[1]] = taken.get(cand[1], 0) + 1
        wants = _answer_type(question, analysis or read_question(question))
        if wants is not None and wants is not _new_names:
            kept += _typed_extra(candidates, kept, passages, question, wants)
        candidates = kept
        texts = [passages[i].text[s:e] for _, i, s, e, _ in candidates]
        asked = self._embedder.embed([question, *(c.text for c in claims)])
        found, stored = self._sentences.vectors_and_source(
            [(passages[i], s, e) for _, i, s, e, _ in candidates]
        )
        sims = np.clip(found @ asked.T, 0.0, 1.0)
        if stored.any() and REFINE_SENTENCES:
            sims = self._refine(sims, stored, [c[0] for c in candidates], texts, asked)
        out = []
        for (lexical, i, s, e, _), text, row in zip(candidates, texts, sims, strict=True):
            sem = float(row[0])
            score = SEMANTIC_WEIGHT * sem + LEXICAL_WEIGHT * lexical
            if wants is not None:
                score *= (1.0 - TYPE_WEIGHT) + TYPE_WEIGHT * wants(text, question)
            claim_sims = tuple(round(float(x), 4) for x in row[1:])
            out.append(Sentence(i, s, e, text, round(score, 4), sem, claim_sims))
        out.sort(key=lambda x: (-x.score, x.passage, x.start))
        return out

    def _refine(
        self,
        sims: np.ndarray,
        stored: np.ndarray,
        lexical: Sequence[float],
        texts: Sequence[str],
        asked: np.ndarray,
    ) -> np.ndarray:
        """Similarities with the leading sentences embedded on their own. A stored vector is
        pooled from its passage's forward pass, so it carries the passage's context: it ranks
        a passage's sentences alike (on MultiHop dev it agreed with the sentence embedded alone
        on the best sentence of a question in 9 of 30). The `REFINE_SENTENCES` best by the
        stored vectors are embedded alone; the rest are shifted by the mean gap between the
        two, so that both kinds compare on one scale."""
        prelim = SEMANTIC_WEIGHT * sims[:, 0] + LEXICAL_WEIGHT * np.asarray(lexical)
        top = [int(k) for k in np.argsort(-prelim, kind="stable")[:REFINE_SENTENCES] if stored[k]]
        if not top:
            return sims
        alone = np.clip(self._embedder.embed([texts[k] for k in top]) @ asked.T, 0.0, 1.0)
        shift = (sims[top] - alone).mean(axis=0)
        out = sims.copy()
        out[stored] = np.clip(out[stored] - shift, 0.0, 1.0)
        out[top] = alone
        return out


_Candidate = tuple[float, int, int, int, float]


def _typed_extra(
    candidates: Sequence[_Candidate],
    kept: Sequence[_Candidate],
    passages: Sequence[Passage],
    question: str,
    wants: Callable[[str, str], float],
) -> list[_Candidate]:
    """For a question asking for a date or a number: of each passage none of whose `kept`
    sentences holds one, its best sentence by word overlap that does, when it shares a word
    with the question ('The new £60,000 award is open to ...' for 'How much is the new prize
    worth?' shares little else with it, but states the figure); of the best `TYPED_PASSAGES`
    retrieved, every sentence that holds one, though it may say what is asked in other words
    ('The scam is believed to have begun in 1994.' for 'When is the fraud thought to have
    started?')."""
    typed = {c[1] for c in kept if wants(passages[c[1]].text[c[2] : c[3]], question)}
    chosen = {(c[1], c[2]) for c in kept}
    extra: list[_Candidate] = []
    for c in candidates:  # best overlap first
        i = c[1]
        if (i, c[2]) in chosen or not wants(passages[i].text[c[2] : c[3]], question):
            continue
        if i < TYPED_PASSAGES or (i not in typed and max(c[0], c[4]) > 0):
            extra.append(c)
            typed.add(i)
    return extra


@lru_cache(maxsize=2048)
def _parsed(model: str, text: str) -> tuple[Token, ...]:
    """`text` tagged and parsed by the spaCy pipeline `model` (qa.nlp), remembered: a
    question is parsed on every ask, and a sentence by more than one check of a reading."""
    from qa.nlp import entity_reader

    return tuple(entity_reader(model).tokens(text))


def _spacy_reader(name: str) -> Callable[[list[str]], list[list[Entity]]]:
    """Reads entities with the spaCy pipeline `name` (qa.nlp), loaded on first use."""

    def read(texts: list[str]) -> list[list[Entity]]:
        from qa.nlp import entity_reader

        return list(entity_reader(name).read(texts))

    return read


def _named_in_context(
    reading: Reading, read: list[SlotReading], weights: dict[str, float]
) -> list[SlotReading]:
    """When no sentence answers, one that names something for the asked noun ('given to the
    Mirror newspaper' for 'Which newspaper ...?') and states the question's verb answers if the
    question's distinguishing words are in its passage up to it: news describes an event once
    and refers back to it ('The papers ... were given to the Mirror newspaper' after 'files
    containing security details about the president's visit'). The passage counts at
    CONTEXT_SHARE of a sentence holding the words itself. (Run before EvidenceReader._asserted,
    which then checks these too.)"""
    out = list(read)
    for i, r in enumerate(out):
        if not (r.about and r.fit == 2 and r.predicate >= MIN_PREDICATE):
            continue
        if not may_name_the_answer(reading.analysis, r.sentence.text):
            continue
        p = reading.passages[r.sentence.passage]
        before = _told_before(p, r.sentence.end)
        if CONTEXT_SHARE * focus_share(weights, before) >= MIN_FOCUS:
            out[i] = replace(r, answers=True)
    out.sort(key=_slot_order)
    return out


def _continued_in_next(
    reading: Reading,
    read: list[SlotReading],
    weights: dict[str, float],
    irregular: Mapping[str, str],
) -> list[SlotReading]:
    """When no sentence answers, one whose next sentence goes on from what it names and
    states the question's verb in so many words answers if the two together hold enough of
    its distinguishing words ('... defence lawyer Reid Weingarten tried to distance his
    client from the allegations. During cross examination, he asked Mr Myers ...' for 'Which
    defence lawyer cross-examined Myers?'). The next sentence counts at CONTEXT_SHARE, and
    only by a person's pronoun for a person (_continued_by). (Run before
    EvidenceReader._asserted, which then checks these too.)"""
    analysis = reading.analysis
    if not analysis.predicates:
        return read
    person = analysis.slot is Slot.PERSON
    out = list(read)
    for i, r in enumerate(out):
        if not (r.about and r.fit >= 1 and may_name_the_answer(analysis, r.sentence.text)):
            continue
        following = _continued_by(reading.passages[r.sentence.passage], r.sentence.end, person)
        if not following or predicate_match(analysis.predicates, following, {}, irregular) < 1:
            continue
        # (its focus was cut for the verb it lacks, which the next sentence states)
        alone = r.focus / VERBLESS_SHARE if r.predicate < MIN_PREDICATE else r.focus
        together = focus_share(weights, f"{r.sentence.text} {following}")
        if alone + CONTEXT_SHARE * max(0.0, together - alone) >= MIN_FOCUS:
            out[i] = replace(r, answers=True, predicate=1.0)
    out.sort(key=_slot_order)
    return out


# A sentence opening with a demonstrative ('That brought to 49 the number ...') or a definite
# description ('The low-budget film, directed by ...') refers back to what came before it.
_DEMONSTRATIVES = r"(?:That|This|These|Those)"
_DEMONSTRATIVE = re.compile(rf"{_DEMONSTRATIVES}\b")
_DEFINITE = re.compile(r"The\s+((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)\b")
# 'The 34-year-old ...': news names a person, then goes on by their age.
_AGED = re.compile(r"The\s+\d+-year-old\b")


def _told_before(passage: Passage, end: int) -> str:
    """What the article told up to `end` of `passage`'s text, as far as it was retrieved."""
    return f"{passage.title}. {passage.text[:end]}"


def _referred_to(passage: Passage, start: int, sentence: str) -> str:
    """The article's title and its passage up to `start` when `sentence` (which starts there)
    opens by referring back to them: with a demonstrative, with a person's age ('The
    34-year-old ...'), or with a definite description whose noun they already used ('The
    low-budget film' after 'Controversial film tops festival').
    News tells an event once and goes on about it. Empty otherwise."""
    before = _told_before(passage, start)
    if _DEMONSTRATIVE.match(sentence) or _AGED.match(sentence):
        return before
    described = _DEFINITE.match(sentence)
    if described and terms_of(described.group(1)) & terms_of(before):
        return before
    return ""


# A sentence that goes on from the one before it: opening, after a phrase at most, with a
# demonstrative ('That is the size of the black hole ...'), or for a person with their
# pronoun ('During cross examination, he asked ...'). Not 'He said:' and the like, which
# only introduce the person's words.
_GOES_ON = r"(?:[A-Z][^,.;:!?\"“]{0,60},\s+)?"
_GOES_ON_THING = re.compile(rf"{_GOES_ON}{_DEMONSTRATIVES}\b(?!-)", re.I)
_GOES_ON_PERSON = re.compile(
    _GOES_ON + r"(?:he|she|they)\s+(?!(?:said|says|added|adds|told|tells)\b)", re.I
)


def _continued_by(passage: Passage, end: int, person: bool = False) -> str:
    """The sentence of `passage` after the one ending at `end`, when it goes on from it
    (_GOES_ON_THING, and _GOES_ON_PERSON when the question asks for a `person`); empty
    otherwise."""
    for start, stop in sentence_spans(passage.text):
        if start >= end:
            following = passage.text[start:stop]
            if _GOES_ON_THING.match(following) or (person and _GOES_ON_PERSON.match(following)):
                return following
            return ""
    return ""


def _slot_order(r: SlotReading) -> tuple[bool, int, bool, float, int, int]:
    """Sentences that answer first; among them, by how surely their fillers are of the asked
    kind (qa.answers.slots.fit: named beside the asked noun, then an entity of that kind, then
    names that only stand in for one); then those whose article mentions every name the
    question uses; then by support."""
    return (
        not r.answers,
        -r.fit,
        not r.complete,
        -r.support,
        r.sentence.passage,
        r.sentence.start,
    )


def focus_weights(question: Question, scored: Sequence[Sentence]) -> dict[str, float]:
    """How much each of the question's content terms distinguishes a sentence that answers it
    from the rest of the evidence: an inverse frequency among the scored sentences, so the
    name everything is about ('Sullivan') counts little and 'voted' or 'cases' much. A term no
    sentence holds weighs the most (an answer needs it, and none has it)."""
    terms = [t for t in dict.fromkeys(question.terms) if t]
    if question.unit and question.slot is Slot.COUNT and question.unit not in terms:
        terms.append(question.unit)
    n = len(scored)
    if not terms:
        return {}
    df = dict.fromkeys(terms, 0)
    for s in scored:
        have = terms_of(s.text)
        for t in terms:
            df[t] += t in have
    # A term no sentence holds weighs as one that a single sentence holds: it may be worded
    # otherwise there (see WordMatcher), or the fact may be missing.
    return {t: math.log((n + 1) / (max(df[t], 1) + 0.5)) for t in terms}


def focus_share(
    weights: dict[str, float], text: str, near: dict[str, float] | None = None
) -> float:
    """The weighted share of the distinguishing terms that `text` holds (0..1); a term it
    lacks counts by how near in meaning its closest word comes (`near`, 0..1)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    have = terms_of(text)
    near = near or {}
    return sum(w * (1.0 if t in have else near.get(t, 0.0)) for t, w in weights.items()) / total


def predicate_match(
    verbs: Sequence[tuple[str, str]],
    text: str,
    near: dict[str, float],
    irregular: Mapping[str, str] | None = None,
) -> float:
    """How well `text` states one of the question's verbs ((as written, lemma) pairs): 1 when
    it holds a form of one ('closed' for 'close', 'abolished' for 'abolish'; an `irregular`
    one, form to lemma: 'sought' for 'seek'), else how near in meaning its closest word comes
    ('talks' for 'speak'); 1 when the question has none."""
    if not verbs:
        return 1.0
    forms = [w.lower() for w in words(text)]
    irregular = irregular or {}
    best = 0.0
    for written, lemma in verbs:
        root = verb_root(lemma)
        if any(
            f == written or f.startswith(root) or irregular.get(f) == lemma.lower() for f in forms
        ):
            return 1.0
        best = max(best, near.get(stem(written), 0.0))
    return best


_PLURAL_ACRONYM = re.compile(r"^[A-Z]{2,}s$")


def _subjects(question: str, outlets: Sequence[str]) -> list[frozenset[str]]:
    """The names a question is about ('Parmalat', 'Brent crude' ...), each as its stemmed words;
    outlet names left out."""
    from qa.answers.evidence import names_in

    outlet_terms = {stem(w) for o in outlets for w in words(o)}
    out = []
    for name in names_in(question):
        terms = frozenset(name.terms) - {"the"}
        if _PLURAL_ACRONYM.match(name.text):
            continue  # 'PCs', 'MPs': a common noun written in capitals
        if terms and not terms <= outlet_terms:
            out.append(terms)
    return out


def _mentions(
    subjects: Sequence[frozenset[str]], text: str, required: Sequence[frozenset[str]] = ()
) -> tuple[bool, bool]:
    """Whether `text` mentions most of the subjects, and every one of them `required`; and
    whether it mentions them all. A subject is mentioned by at least half of its words, a
    word by its first five letters or its stem: 'German' in 'Germany', 'PCs' in 'PC'. A
    question's incidental names ('on New Year's Day') may be worded otherwise in the article
    ('1 January'). But a text that names a subject otherwise (another_name) is about
    something else."""
    from qa.answers.evidence import names_in

    if not subjects:
        return True, True
    written = words(text)
    have = {w.lower()[:5] for w in written} | {stem(w) for w in written}
    capital = {w.lower()[:5] for w in written if w[:1].isupper()}
    runs = [frozenset(n.terms) for n in names_in(text, titles=False)]
    present = [{t for t in name if t[:5] in have or stem(t) in have} for name in subjects]
    if any(another_name(n, p, runs) for n, p in zip(subjects, present, strict=True)):
        return False, False
    # Half of a name's words, one of them written as a name ('Booker Prize' is not mentioned
    # by a text that only speaks of a prize).
    found = [
        len(p) * 2 >= len(n) and (len(p) == len(n) or any(t[:5] in capital for t in p))
        for n, p in zip(subjects, present, strict=True)
    ]
    if any(not f for f, n in zip(found, subjects, strict=True) if n in required):
        return False, False
    return sum(found) * 2 > len(subjects), all(found)


# 'according to the Observer': whom the question asks the answer of.
_ACCORDING = re.compile(r"\baccording to\s+(?:the\s+)?([A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*)*)")


def _sources(question: str, subjects: Sequence[frozenset[str]]) -> list[frozenset[str]]:
    """The subjects the question attributes what it asks to ('How many jobs could go,
    according to the Observer?'): an article that does not mention them does not answer."""
    named = [frozenset(stem(w) for w in words(m.group(1))) for m in _ACCORDING.finditer(question)]
    return [s for s in subjects if s in named]


def another_name(name: frozenset[str], present: set[str], runs: Sequence[frozenset[str]]) -> bool:
    """Whether a text names something else where it seems to name `name`: a word of `name` is
    nowhere in the text, and a name of the text (`runs`) shares two of its other words and puts
    another word in the missing one's place ('Strictly Come Dancing' for 'Strictly Ice
    Dancing'). (With two words shared at least: 'Cherie Blair' does not rule out that an
    article naming her speaks of Tony Blair too.)"""
    if len(present) == len(name):
        return False
    return any(len(run & present) >= 2 and run - name for run in runs)


# Word cosines (MiniLM, one word each) at or below NEAR_FLOOR count as unrelated, at or above
# NEAR_FLOOR + NEAR_SPAN as the same word ('speak' and 'talks' 0.74, 'speak' and 'said' 0.38).
NEAR_FLOOR = 0.45
NEAR_SPAN = 0.3
WORD_CACHE = 20000


class WordMatcher:
    """How near in meaning a question's words come to a sentence's words: synonyms ('speak',
    'talks'; 'fined', 'penalty') count as the word itself. Word vectors are remembered."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def near(
        self, question: str, terms: Sequence[str], sentences: Sequence[str]
    ) -> list[dict[str, float]]:
        """For each sentence, each of `terms` (stems of words of `question`) it lacks and how
        near in meaning its closest word comes (0..1)."""
        surface: dict[str, str] = {}
        for w in words(question):
            surface.setdefault(stem(w), w.lower())
        out: list[dict[str, float]] = []
        pending: list[tuple[dict[str, float], list[str], list[str]]] = []
        for text in sentences:
            have = terms_of(text)
            lacking = [t for t in terms if t not in have and t in surface]
            mine = [w.lower() for w in words(text) if w.lower() not in STOP_WORDS]
            row: dict[str, float] = {}
            out.append(row)
            if lacking and mine:
                pending.append((row, lacking, mine))
        if not pending:
            return out
        vocab = {surface[t] for _, lacking, _ in pending for t in lacking}
        vocab |= {w for _, _, mine in pending for w in mine}
        vectors = self._vectors(sorted(vocab))
        for row, lacking, mine in pending:
            theirs = np.stack([vectors[w] for w in mine])
            for t in lacking:
                cos = float((theirs @ vectors[surface[t]]).max())
                row[t] = min(1.0, max(0.0, (cos - NEAR_FLOOR) / NEAR_SPAN))
        return out

    def _vectors(self, vocab: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = {w: self._cache[w] for w in vocab if w in self._cache}
        missing = [w for w in vocab if w not in known]
        if missing:
            # One word at a time: int8's dynamic quantisation makes a vector depend on its
            # batch-mates, and so an answer on the words the questions before it left cached.
            known.update((w, self._embedder.embed([w])[0]) for w in missing)
            with self._lock:
                for w in missing:
                    self._cache[w] = known[w]
                while len(self._cache) > WORD_CACHE:
                    self._cache.popitem(last=False)
        return known


def _claims_support(claims: Sequence[Claim], scored: list[Sentence]) -> float:
    """How well the sentences support every claim of a question that makes several (0 for one
    claim or none): the mean over its claims of the best sentence's score for that claim
    (meaning as for the whole question, words as for the claim). A long question drawn from
    several reports is matched by no single sentence, though each of its parts may be."""
    if len(claims) < 2 or not scored:
        return 0.0
    support = [
        max(
            SEMANTIC_WEIGHT * s.semantic + LEXICAL_WEIGHT * overlap(c.terms, s.text) for s in scored
        )
        for c in claims
    ]
    return sum(support) / len(support)


def _best_overlap(claims: Sequence[frozenset[str]], text: str) -> float:
    """The word overlap of `text` with the claim it matches best (0 with no claims)."""
    return max((overlap(c, text) for c in claims), default=0.0)


def overlap(q_terms: set[str] | frozenset[str], text: str) -> float:
    """The share of `q_terms` that `text` holds."""
    if not q_terms:
        return 0.0
    return len(q_terms & terms_of(text)) / len(q_terms)


@lru_cache(maxsize=4096)
def terms_of(text: str) -> frozenset[str]:
    """The content terms of a sentence (asked for again for each claim of a question)."""
    return frozenset(content_terms(text))


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


def _answer_type(question: str, analysis: Question) -> Callable[[str, str], float] | None:
    """How well a sentence fits the kind of answer the question asks for (0..1): new names
    for 'who', a date for a date ('In what year did ...'), a number for an amount, a count or
    a measure ('What was her winning time ...')."""
    if question.strip().lower().startswith(("who ", "whom ", "whose ")):
        return _new_names
    if analysis.slot is Slot.DATE:
        return lambda text, _q: float(bool(_WHEN.search(text)))
    numeric = analysis.slot in (Slot.MONEY, Slot.COUNT, Slot.PERCENT) or (
        analysis.slot is Slot.QUANTITY and analysis.unit not in _SPANS_OF_TIME
    )
    if numeric:
        return lambda text, _q: float(bool(_NUMBER.search(text)))
    return None


# Measures a span of time answers, written in words as often as in figures ('three hours').
_SPANS_OF_TIME = frozenset({"long", "often", "soon"})

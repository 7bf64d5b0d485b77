"""The extractive answerer: picks the retrieved sentences that answer a question, cites them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

import numpy as np

from qa.embedding import Embedder
from qa.evidence import (
    Claim,
    asks_for_name,
    asks_for_value,
    candidate_names,
    conflicting_values,
    mention_counts,
    named_outlets,
    outlet_clauses,
    question_claims,
    refusal,
    refusal_reason,
)
from qa.sentences import SentenceVectors
from qa.store import iso_to_ts
from qa.text import STOP_WORDS, content_terms, sentence_spans, stem, words
from qa.types import Answer, Citation, Passage
from qa.understand import find_dates

# Weights of the sentence score: meaning (embedding cosine) and word overlap with the question.
SEMANTIC_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# Share of the score that depends on the sentence holding the kind of answer asked for
# (names for 'who', dates for 'when', numbers for 'how many').
TYPE_WEIGHT = 0.2
# Extra sentences join the answer only when they score close to the best one.
FOLLOW_UP_RATIO = 0.8
VALUE_RATIO = 0.6
# For an outlet the question names: how many of its articles (in retrieval order) compete to
# be cited, and the score a later article gives up per rank.
MENTION_ARTICLES = 3
RANK_COST = 0.1
DATE_BONUS = 0.3
# How a sentence's support for one claim of the question is weighed: its meaning and words
# as for the claim, and a share of its score for the whole question.
CLAIM_SEMANTIC = 0.6
CLAIM_LEXICAL = 0.4
QUESTION_SHARE = 0.5
# What an article gives up, choosing among an outlet's articles, for each share of the outlet's
# best retrieval score it falls short by (passages without scores: RANK_COST per rank).
SCORE_GAP = 1.0
# Sentences embedded per question (the best by word overlap), and read for a name to lead with.
EMBED_SENTENCES = 48
PER_PASSAGE = 5
LEAD_SENTENCES = 12

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
    semantic: float = 0.0  # the embedding cosine with the question, part of `score`
    claims: tuple[float, ...] = ()  # the embedding cosine with each claim of the question


class ExtractiveAnswerer:
    """Answers with the sentences of the retrieved passages that best match the question.

    Each sentence is scored by its embedding similarity to the question and by the share of the
    question's content words it contains. The answer quotes the best sentence of up to
    `max_sentences` different articles (when the question names outlets: the article that best
    supports each of its claims, each outlet named cited), each with its outlet and date; a
    question asking for a name is answered first with the name the evidence agrees on; values
    that differ between articles are shown side by side. The question is refused (see
    qa.evidence.refusal_reason) when the evidence does not cover it, the question as a whole
    or, for one of several claims, claim by claim.
    """

    def __init__(
        self,
        embedder: Embedder,
        max_sentences: int = 3,
        min_evidence: float = 0.3,
        min_coverage: float = 0.4,
        outlets: Callable[[], Sequence[str]] | None = None,
        max_chars: int = 600,
        read_passages: int = 6,
        sentences: SentenceVectors | None = None,
    ):
        self._embedder = embedder
        # Sentence vectors: stored at ingest when the index has them, else embedded here.
        self._sentences = sentences or SentenceVectors(embedder)
        self._max_sentences = max_sentences
        self._min_evidence = min_evidence
        self._min_coverage = min_coverage
        self._outlets = outlets or (lambda: ())
        self._max_chars = max_chars
        self._read = read_passages

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Quote the first `read_passages` passages; all of `passages` count as coverage."""
        claims = question_claims(question, [p.source or "" for p in passages])
        scored = self.score_sentences(question, passages[: self._read], claims)
        refused = self._refusal(question, passages, scored, claims)
        if refused is not None:
            return refused
        chosen = self._choose(question, scored, passages, claims)
        lead = _lead(question, scored, passages)
        return _compose(question, chosen, passages, lead)

    def refusal_for(self, question: str, passages: Sequence[Passage]) -> Answer | None:
        """The refusal when the evidence does not answer `question`, else None (any answerer)."""
        claims = question_claims(question, [p.source or "" for p in passages])
        scored = self.score_sentences(question, passages[: self._read], claims)
        return self._refusal(question, passages, scored, claims)

    def _refusal(
        self,
        question: str,
        passages: Sequence[Passage],
        scored: list[_Sentence],
        claims: Sequence[Claim],
    ) -> Answer | None:
        best = max(scored[0].score if scored else 0.0, _claims_support(claims, scored))
        reason = refusal_reason(
            question, passages, list(self._outlets()), best, self._min_evidence, self._min_coverage
        )
        return None if reason is None else refusal(question, passages, reason)

    def _choose(
        self,
        question: str,
        scored: list[_Sentence],
        passages: Sequence[Passage],
        claims: Sequence[Claim],
    ) -> list[_Sentence]:
        """The best sentence of each of the first articles in retrieval order.

        When the question names outlets, only their articles are cited: for each, its first
        articles in retrieval order (as many as the times it is named). Otherwise the first
        articles whose best sentence scores within FOLLOW_UP_RATIO of the best one.
        """
        per_article: dict[str, _Sentence] = {}
        for sent in scored:  # best first
            per_article.setdefault(passages[sent.passage].article_id, sent)
        # Articles in retrieval order (the retriever's ranking is the better judge of which
        # article holds the evidence; the sentence score picks the sentence within it).
        ranked = sorted(per_article.values(), key=lambda x: x.passage)
        named = named_outlets(question, [p.source or "" for p in passages])
        needed = 0  # the first candidates the question needs, whatever their length
        if named:
            candidates, needed = self._per_claim(question, scored, passages, claims)
        else:
            # Any article may hold a differing figure for a number or date (shown side by side).
            ratio = VALUE_RATIO if asks_for_value(question) else FOLLOW_UP_RATIO
            floor = ratio * scored[0].score
            candidates = [s for s in ranked if s.score >= floor]
        chosen: list[_Sentence] = []
        length = 0
        for n, sent in enumerate(candidates):
            if len(chosen) >= self._max_sentences:
                break
            if chosen and n >= needed and length + len(sent.text) > self._max_chars:
                continue
            if any(_redundant(sent.text, c.text) for c in chosen):
                continue
            chosen.append(sent)
            length += len(sent.text)
        return sorted(chosen, key=lambda x: x.passage) if named else chosen

    def _per_claim(
        self,
        question: str,
        scored: list[_Sentence],
        passages: Sequence[Passage],
        claims: Sequence[Claim],
    ) -> tuple[list[_Sentence], int]:
        """The sentences to cite for a question about what named outlets reported, most needed
        first, and how many of them the question needs (the rest may be left out for length):
        for each claim of the question (qa.evidence.question_claims), the article of its outlet
        (or of any outlet named) whose sentence best supports it, within as many articles per
        outlet as the question asks for; then, for an outlet with fewer cited articles than
        that, its best by _per_mention; last, for a claim no outlet is named for, one more
        article of a named outlet if it supports the claim better than any cited."""
        sources = [p.source or "" for p in passages]
        counts = mention_counts(question, sources)
        articles: dict[str, list[str]] = {}
        for p in passages:
            if p.source in counts and p.article_id not in articles.setdefault(p.source, []):
                articles[p.source].append(p.article_id)
        rank = {a: i for ids in articles.values() for i, a in enumerate(ids)}
        # Each article's retrieval score (its best passage's), and the best of its outlet's.
        top: dict[str, float] = {}
        for p in passages:
            top.setdefault(p.article_id, p.score)
        best_of = {o: top[ids[0]] for o, ids in articles.items() if ids}

        def retrieval_cost(p: Passage) -> float:
            # What the retriever thinks of it against its outlet's best article (by score,
            # relative, when the passages carry scores; else by rank).
            best = best_of[p.source or ""]
            if best > 0:
                return SCORE_GAP * max(0.0, best - top[p.article_id]) / best
            return RANK_COST * rank[p.article_id]

        as_of = _newest(passages)
        periods = find_dates(question, as_of)
        claim_dates = [find_dates(c.text, as_of) for c in claims]

        def value(k: int, sent: _Sentence) -> float:
            p = passages[sent.passage]
            v = QUESTION_SHARE * sent.score + _claim_score(claims[k], k, sent)
            v -= retrieval_cost(p)
            # A date said in the claim picks out its report ('the report from The Verge on
            # September 28, 2023, concerning ...'); else any date of the question.
            when = claim_dates[k] or periods
            return v + (DATE_BONUS if when and _published_in(p, when) else 0.0)

        def allowed(claim: Claim, sent: _Sentence, slots: bool) -> bool:
            p = passages[sent.passage]
            if p.article_id not in rank or (claim.outlet and p.source != claim.outlet):
                return False
            new = p.article_id not in chosen
            return not (slots and new and taken[p.source or ""] >= counts[p.source or ""])

        chosen: dict[str, _Sentence] = {}  # article -> its sentence
        taken = dict.fromkeys(counts, 0)
        pending = list(claims)
        values = {
            (id(c), i): value(k, s)
            for k, c in enumerate(claims)
            for i, s in enumerate(scored)
            if passages[s.passage].article_id in rank
        }
        settled: list[tuple[Claim, float]] = []  # claims an article already cited supports
        while pending:
            best: tuple[float, int, _Sentence] | None = None
            for n, claim in enumerate(pending):
                for i, sent in enumerate(scored):
                    if allowed(claim, sent, slots=True):
                        v = values[(id(claim), i)]
                        if best is None or v > best[0]:
                            best = (v, n, sent)
            if best is None:
                break
            v, n, sent = best
            claim = pending.pop(n)
            p = passages[sent.passage]
            if p.article_id in chosen:
                settled.append((claim, v))
            else:
                chosen[p.article_id] = sent
                taken[p.source or ""] += 1
        out = list(chosen.values())
        need = {o: n - taken[o] for o, n in counts.items()}
        if any(n > 0 for n in need.values()):
            for sent in self._per_mention(question, scored, passages, set(chosen)):
                source = passages[sent.passage].source or ""
                if need.get(source, 0) > 0:
                    out.append(sent)
                    need[source] -= 1
        # Last (cited while room is left): an article that supports a claim better than any
        # cited, beyond the number of articles the question asks of its outlet.
        used = {passages[s.passage].article_id for s in out}
        extra: dict[str, tuple[float, _Sentence]] = {}
        for claim, had in settled:
            if claim.outlet:
                continue
            options = [
                (values[(id(claim), i)], s)
                for i, s in enumerate(scored)
                if allowed(claim, s, slots=False) and passages[s.passage].article_id not in used
            ]
            if options:
                v, sent = max(options, key=lambda o: o[0])
                article = passages[sent.passage].article_id
                if v > had and v > extra.get(article, (0.0, sent))[0]:
                    extra[article] = (v, sent)
        return out + [s for _, s in sorted(extra.values(), key=lambda e: -e[0])], len(out)

    def _per_mention(
        self,
        question: str,
        scored: list[_Sentence],
        passages: Sequence[Passage],
        used: set[str] | None = None,
    ) -> list[_Sentence]:
        """For each outlet mention, the sentence of one of that outlet's first articles that
        best matches the part of the question about it ('the TechCrunch article suggests X,
        while The Verge reports Y': X for TechCrunch, Y for The Verge)."""
        chosen: list[_Sentence] = []
        used = set(used or ())
        as_of = _newest(passages)
        for outlet, clause in outlet_clauses(question, [p.source or "" for p in passages]):
            terms = set(content_terms(clause))
            # A date said of this article ('... TechCrunch on October 6, 2023') picks it out.
            periods = find_dates(clause, as_of) or find_dates(question, as_of)
            articles = list(
                dict.fromkeys(
                    p.article_id
                    for p in passages
                    if p.source == outlet and p.article_id not in used
                )
            )[:MENTION_ARTICLES]
            best: tuple[float, _Sentence] | None = None
            for rank, article in enumerate(articles):
                for sent in scored:
                    if passages[sent.passage].article_id != article:
                        continue
                    value = sent.score + _overlap(terms, sent.text) - RANK_COST * rank
                    if periods and _published_in(passages[sent.passage], periods):
                        value += DATE_BONUS
                    if best is None or value > best[0]:
                        best = (value, sent)
            if best is not None:
                chosen.append(best[1])
                used.add(passages[best[1].passage].article_id)
        return sorted(chosen, key=lambda x: x.passage)

    def score_sentences(
        self, question: str, passages: Sequence[Passage], claims: Sequence[Claim] = ()
    ) -> list[_Sentence]:
        """Every sentence of `passages` with its evidence score, best first, and its
        similarity to each of `claims`.

        Sentences are first ranked by word overlap with the question or one of its claims; only
        the best `EMBED_SENTENCES` are embedded (embedding every sentence of ten passages would
        take most of a second on two cores).
        """
        q_terms = set(content_terms(question))
        claim_terms = [c.terms for c in claims]
        candidates = [
            (_overlap(q_terms, p.text[s:e]), i, s, e, _best_overlap(claim_terms, p.text[s:e]))
            for i, p in enumerate(passages)
            for s, e in sentence_spans(p.text)
            if len(words(p.text[s:e])) >= 4
        ]
        if not candidates:
            return []
        # The best few of every passage, so that each article has a sentence to offer.
        candidates.sort(key=lambda c: (-max(c[0], c[4]), c[1], c[2]))
        taken: dict[int, int] = {}
        kept: list[tuple[float, int, int, int, float]] = []
        for cand in candidates:
            if taken.get(cand[1], 0) < PER_PASSAGE and len(kept) < EMBED_SENTENCES:
                kept.append(cand)
                taken[cand[1]] = taken.get(cand[1], 0) + 1
        candidates = kept
        texts = [passages[i].text[s:e] for _, i, s, e, _ in candidates]
        asked = self._embedder.embed([question, *(c.text for c in claims)])
        found = self._sentences.vectors([(passages[i], s, e) for _, i, s, e, _ in candidates])
        sims = np.clip(found @ asked.T, 0.0, 1.0)
        wants = _answer_type(question)
        out = []
        for (lexical, i, s, e, _), text, row in zip(candidates, texts, sims, strict=True):
            sem = float(row[0])
            score = SEMANTIC_WEIGHT * sem + LEXICAL_WEIGHT * lexical
            if wants is not None:
                score *= (1.0 - TYPE_WEIGHT) + TYPE_WEIGHT * wants(text, question)
            claim_sims = tuple(round(float(x), 4) for x in row[1:])
            out.append(_Sentence(i, s, e, text, round(score, 4), sem, claim_sims))
        out.sort(key=lambda x: (-x.score, x.passage, x.start))
        return out


def _claims_support(claims: Sequence[Claim], scored: list[_Sentence]) -> float:
    """How well the sentences support every claim of a question that makes several (0 for one
    claim or none): the mean over its claims of the best sentence's score for that claim
    (meaning as for the whole question, words as for the claim). A long question drawn from
    several reports is matched by no single sentence, though each of its parts may be."""
    if len(claims) < 2 or not scored:
        return 0.0
    support = [
        max(
            SEMANTIC_WEIGHT * s.semantic + LEXICAL_WEIGHT * _overlap(c.terms, s.text)
            for s in scored
        )
        for c in claims
    ]
    return sum(support) / len(support)


def _claim_score(claim: Claim, k: int, sent: _Sentence) -> float:
    """How well `sent` states `claim` (the k-th claim of its question): its meaning and its
    words."""
    sem = sent.claims[k] if k < len(sent.claims) else sent.semantic
    return CLAIM_SEMANTIC * sem + CLAIM_LEXICAL * _overlap(claim.terms, sent.text)


def _best_overlap(claims: Sequence[frozenset[str]], text: str) -> float:
    """The word overlap of `text` with the claim it matches best (0 with no claims)."""
    return max((_overlap(c, text) for c in claims), default=0.0)


def _overlap(q_terms: set[str] | frozenset[str], text: str) -> float:
    if not q_terms:
        return 0.0
    return len(q_terms & _terms_of(text)) / len(q_terms)


@lru_cache(maxsize=4096)
def _terms_of(text: str) -> frozenset[str]:
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


def _newest(passages: Sequence[Passage]) -> datetime | None:
    """The publication time of the newest of `passages` (what a day named without its year,
    'on October 14th', is read against), None when none is dated."""
    stamps = [ts for p in passages if (ts := iso_to_ts(p.published_at)) >= 0]
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else None


def _published_in(passage: Passage, periods: list[tuple[int, int]]) -> bool:
    ts = iso_to_ts(passage.published_at)
    return ts >= 0 and any(a <= ts <= b for a, b in periods)


def _lead(question: str, scored: list[_Sentence], passages: Sequence[Passage]) -> str | None:
    """For a question asking for a name, the name the best sentences of most articles give."""
    if not asks_for_name(question):
        return None
    top = scored[:LEAD_SENTENCES]
    outlets = {p.source for p in passages if p.source}
    context = [t for p in passages for t in (p.title, p.text)]
    names = candidate_names(
        [(passages[s.passage].article_id, s.text, s.score) for s in top], question, outlets, context
    )
    named = [o for o, _ in named_outlets(question, [p.source or "" for p in passages])]
    if len(named) >= 2:
        names = _by_outlets(names, named, passages)
    return names[0][0] if names else None


def _by_outlets(
    names: list[tuple[str, float]], named: list[str], passages: Sequence[Passage]
) -> list[tuple[str, float]]:
    """Candidate names ranked first by how many of the outlets the question names have a
    retrieved article that mentions them (by last word: 'Sam Bankman-Fried' as 'Bankman-Fried'),
    then as they were. A question put together from several outlets' reports asks for what
    those reports share."""
    vocab: dict[str, set[str]] = {o: set() for o in named}
    for p in passages:
        if p.source in vocab:
            vocab[p.source].update(stem(w) for w in words(f"{p.title} {p.text}"))

    def covered(name: str) -> int:
        last = [stem(w) for w in words(name)][-1:]
        return sum(bool(last) and last[0] in v for v in vocab.values())

    return sorted(names, key=lambda item: -covered(item[0]))


def _attribution(p: Passage) -> str:
    """'The Verge, 2023-10-05' (the parts that are known)."""
    parts = [p.source or p.title, (p.published_at or "")[:10]]
    return ", ".join(x for x in parts if x)


def cite(
    numbers: dict[int, int],
    citations: list[Citation],
    passages: Sequence[Passage],
    index: int,
    start: int,
    end: int,
) -> int:
    """The citation number of passages[index], quoting its text[start:end]; numbers follow the
    order of first use, and a passage's first quote is the one its Citation keeps."""
    if index not in numbers:
        numbers[index] = len(numbers) + 1
        p = passages[index]
        quote = p.text[start:end]
        citations.append(Citation(numbers[index], p, quote, p.start + start, p.start + end))
    return numbers[index]


def _compose(
    question: str, chosen: list[_Sentence], passages: Sequence[Passage], lead: str | None = None
) -> Answer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    quotes: list[str] = []
    for sent in chosen:
        n = cite(numbers, citations, passages, sent.passage, sent.start, sent.end)
        p = passages[sent.passage]
        quotes.append(f"{_attribution(p)}: \u201c{sent.text.strip()}\u201d [{n}]")
    parts = []
    differ = conflicting_values(question, [(c.quote, c.n, c.passage) for c in citations])
    if differ:
        parts.append(differ)
    elif lead:
        parts.append(f"{lead}.")
    parts.extend(quotes)
    dates = [c.passage.published_at[:10] for c in citations if c.passage.published_at]
    if dates:
        parts.append(f"(As of {max(dates)}, the date of the newest report cited.)")
    return Answer(question, " ".join(parts), citations, refused=False, passages=list(passages))

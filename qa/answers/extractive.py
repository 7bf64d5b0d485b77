"""Answerers: the base every answerer shares (refusal policy, streaming, follow-up rewriting) and
the extractive answerer, which states the asked-for fact first and quotes its evidence.

Every answerer starts from the same reading of the evidence (qa.answers.reading.EvidenceReader): it
decides whether the archive answers the question at all, and what each retrieved sentence
offers. The extractive answer then:

- for a question asking for a name or a value (qa.answers.question): opens with the span(s) of the
  supporting sentence that fill the slot, each cited ('Yuri Ushakov and Nikolai Patrushev
  [1].'): every person for 'who', the amount with its currency, the date, the place, the
  organisation; then the quote(s) with outlet and date. Cited articles that give different
  values are shown side by side ('Reports differ: ...');
- for 'why' / 'how' / 'what did X discuss' questions: the two or three sentences of the best
  article that give the reasons or the content, in article order;
- for a yes/no question: Yes, No, 'The reports disagree' or 'The archive doesn't say', then
  the evidence for each part (qa.answers.yesno);
- for a question drawn from several reports (it names outlets, or makes several claims): the
  article of each outlet that best supports each claim, led by the name most of the evidence
  agrees on when it asks for one.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from qa.answers.citations import marker
from qa.answers.evidence import (
    Claim,
    _NameForms,
    asks_for_name,
    asks_for_value,
    candidate_names,
    conflicting_values,
    mention_counts,
    mention_word,
    named_outlets,
    outlet_clauses,
)
from qa.answers.question import Slot, names_asked
from qa.answers.reading import (
    MIN_FOCUS,
    EvidenceReader,
    Reading,
    Sentence,
    SlotReading,
    focus_weights,
    overlap,
    terms_of,
)
from qa.answers.slots import (
    NAME_SLOTS,
    UNIT,
    Filler,
    join_names,
    names_a_day_or_year,
    reason_spans,
)
from qa.config import AnswerSettings
from qa.embedding import Embedder
from qa.index.records import iso_to_ts
from qa.index.sentences import SentenceVectors
from qa.nlp import Entity
from qa.retrieval.understand import find_dates
from qa.text import content_terms, stem, words
from qa.types import Answer, Citation, Passage

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
# Sentences read for a name to lead with; an article that names it gains this much as the
# one to cite for a claim of its outlet.
LEAD_SENTENCES = 12
LEAD_BONUS = 0.15
# Another article's sentence joins a slot answer (agreeing, or giving another value) when it
# scores this close to the best's sentence and holds enough of the distinguishing words.
CORROBORATE_RATIO = 0.75
# For a question asking for several names, other sentences of the best one's article join it
# when they support the slot this close to it.
GATHER_RATIO = 0.7
# Sentences quoted for a 'why' or 'what did ... discuss' question, from one article.
EXPLAIN_SENTENCES = 3
EXPLAIN_RATIO = 0.7
# Sentences that give a reason ('because', 'due to') or say what was said or done ('warned
# that', 'aimed at') rank this much higher for such questions than ones that only restate
# them ('Sullivan held talks with ...').
CUE_BONUS = 0.1
_BECAUSE = re.compile(
    r"\b(because|due to|owing to|as a result|result of|after|since|amid|following|so that|"
    r"in order to|aimed at|to avoid|to prevent|over concerns?|concerns? (?:over|about)|citing|"
    r"blamed|reason|caused|led to|thanks to|grounds)\b",
    re.I,
)
_ABOUT = re.compile(
    r"\b(about|aimed at|focused on|focus(?:ed|es)? on|warned|agreed|discussed|included|"
    r"including|such as|called for|urged|proposed|planned|planning|said that|told \w+ that|"
    r"over the|on the (?:issue|question|subject) of|regarding|concerning)\b",
    re.I,
)
Message = dict[str, str]


class Answerer(ABC):
    """What every answerer shares: the reading of the evidence and its refusal policy
    (qa.answers.reading), streaming, and rewriting a follow-up question.

    A subclass implements :meth:`compose`; an answerer that writes as it goes (an LLM)
    overrides :meth:`stream`, and one that can rewrite follow-ups overrides :meth:`rewrite`.
    """

    def __init__(self, reader: EvidenceReader) -> None:
        self.reader = reader

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Answer `question` from `passages` (best first), citing them, or refuse."""
        reading = self.reader.read(question, passages)
        return reading.refusal or self.compose(reading)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the checked Answer last (here: the Answer)."""
        yield self.answer(question, passages)

    def rewrite(self, messages: list[Message]) -> str | None:
        """The conversation's last question made standalone, or None to use the rules
        (qa.answers.conversation)."""
        return None

    @abstractmethod
    def compose(self, reading: Reading) -> Answer:
        """The answer to a question the evidence answers (`reading.refusal` is None)."""


class ExtractiveAnswerer(Answerer):
    """Answers with the sentences of the retrieved passages, stating the asked-for fact first
    (see the module docstring). Needs no language model."""

    def __init__(
        self,
        embedder: Embedder,
        settings: AnswerSettings,
        outlets: Callable[[], Sequence[str]] | None = None,
        max_chars: int = 600,
        entities: Callable[[list[str]], list[list[Entity]]] | None = None,
        sentences: SentenceVectors | None = None,
        openings: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    ):
        super().__init__(
            EvidenceReader(
                embedder,
                settings,
                outlets=outlets,
                entities=entities,
                sentences=sentences,
                openings=openings,
            )
        )
        self._max_sentences = settings.max_answer_sentences
        self._max_chars = max_chars

    def score_sentences(
        self, question: str, passages: Sequence[Passage], claims: Sequence[Claim] = ()
    ) -> list[Sentence]:
        """Every sentence of `passages` scored for `question` (qa.answers.reading)."""
        return self.reader.score_sentences(question, passages, claims)

    def compose(self, reading: Reading) -> Answer:
        from qa.answers.yesno import compose_yes_no

        slot = reading.analysis.slot
        if slot is Slot.YESNO:
            chosen = self._choose(reading)
            return compose_yes_no(reading, chosen, self.reader)
        if reading.single_claim:
            if reading.slots:
                return self._slot_answer(reading)
            if slot in (Slot.REASON, Slot.CONTENT):
                return self._explain(reading)
        # The name the evidence agrees on first: among an outlet's articles, the one that names
        # it is the one whose sentence supports the answer.
        lead = _lead(reading.question, reading.scored, reading.passages, self.reader)
        chosen = self._choose(reading, lead)
        return compose(reading.question, chosen, reading.passages, lead)

    # -- a name or a value, read from the supporting sentence ------------------------------

    def _slot_answer(self, reading: Reading) -> Answer:
        """The span(s) filling the slot, from the best supporting sentence, then its quote, and
        the sentences of other articles that support the same slot nearly as well (their
        values side by side when they differ)."""
        best = reading.slots[0]
        weights = focus_weights(reading.analysis, reading.scored)
        several = reading.analysis.several
        spans = pick_spans(best, reading.analysis.slot, reading.analysis.unit, weights, several)
        if several:
            spans = _gather(reading, best, spans)
        if reading.analysis.slot in NAME_SLOTS:
            # (read only for names: it reads the articles' openings from the index)
            forms = _NameForms(self.reader.name_context(reading.passages))
            spans = [_fuller(f, forms) for f in spans]
        chosen = [best]
        articles = {reading.passages[best.sentence.passage].article_id}
        for other in reading.slots[1:]:
            article = reading.passages[other.sentence.passage].article_id
            if len(chosen) >= min(self._max_sentences, 3) or article in articles:
                continue
            close = other.sentence.score >= CORROBORATE_RATIO * best.sentence.score
            # Another report counts (agreeing or differing) only when it is about what the
            # question names and holds enough of its distinguishing words; it may state the
            # asked event in other words ('involved' for 'joined').
            if close and other.about and other.focus >= MIN_FOCUS:
                chosen.append(other)
                articles.add(article)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        values = []
        for r in chosen:
            s = r.sentence
            n = cite(numbers, citations, reading.passages, s.passage, s.start, s.end)
            picked = pick_spans(r, reading.analysis.slot, reading.analysis.unit, weights)
            values.append((r, n, picked))
        parts = []
        wants_value = reading.analysis.wants_value
        differ = _differing(values, reading.passages) if wants_value else None
        if differ:
            parts.append(differ)
        else:
            parts.append(f"{join_names([f.text for f in spans])} {marker(values[0][1])}.")
        for r, n, _ in values:
            s = r.sentence
            parts.append(
                f"{_attribution(reading.passages[s.passage])}: {_quote(s.text)} {marker(n)}"
            )
        parts.extend(_as_of(citations))
        return Answer(
            reading.question,
            " ".join(parts),
            citations,
            refused=False,
            passages=list(reading.passages),
        )

    # -- reasons and content: a few sentences of one article, in its order ------------------

    def _explain(self, reading: Reading) -> Answer:
        """The best article's sentences that score close to its best, up to
        EXPLAIN_SENTENCES, in article order: a reason or what was said takes more than one
        sentence to give."""
        cue = _BECAUSE if reading.analysis.slot is Slot.REASON else _ABOUT
        ranked = sorted(
            reading.scored, key=lambda s: -(s.score + (CUE_BONUS if cue.search(s.text) else 0))
        )
        best = ranked[0]
        article = reading.passages[best.passage].article_id
        same: list[Sentence] = []
        for s in ranked:
            if len(same) >= EXPLAIN_SENTENCES:
                break
            if reading.passages[s.passage].article_id != article:
                continue
            # (passages overlap: the same sentence may come from two of them)
            if s.score >= EXPLAIN_RATIO * best.score and not any(
                _redundant(s.text, o.text) for o in same
            ):
                same.append(s)
        same.sort(key=lambda s: reading.passages[s.passage].start + s.start)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        marks = []
        for s in same:
            n = cite(numbers, citations, reading.passages, s.passage, s.start, s.end)
            marks.append((s, n))
        p = reading.passages[best.passage]
        quoted = " ".join(f"{_quote(s.text)} {marker(n)}" for s, n in marks)
        parts = [f"{_attribution(p)}: {quoted}", *_as_of(citations)]
        if reading.analysis.slot is Slot.REASON:
            by_score = sorted(marks, key=lambda m: -m[0].score)
            reason = self._reason(reading, [s for s, _ in by_score])
            if reason is not None:
                k, text = reason
                parts.insert(0, f"{text[:1].upper()}{text[1:]} {marker(by_score[k][1])}.")
        return Answer(
            reading.question, " ".join(parts), citations, refused=False, passages=reading.passages
        )

    def _reason(self, reading: Reading, sentences: list[Sentence]) -> tuple[int, str] | None:
        """The reason the best of `sentences` gives, to open the answer with: (which sentence,
        the span's words), or None. A cause that restates what the question asks about ('as
        the firms suspended sales' for 'Why did they suspend sales?') is not its reason."""
        asked = {stem(lemma) for _, lemma in reading.analysis.predicates}
        for k, s in enumerate(sentences[:2]):
            for start, end in reason_spans(self.reader.tokens(s.text)):
                said = {stem(w) for w in words(s.text[start:end])}
                if not said & asked:
                    return k, s.text[start:end].rstrip(" ,;:.")
        return None

    # -- questions drawn from several reports ----------------------------------------------

    def _choose(self, reading: Reading, lead: str | None = None) -> list[Sentence]:
        """The best sentence of each of the first articles in retrieval order.

        When the question names outlets, only their articles are cited: for each, its first
        articles in retrieval order (as many as the times it is named). Otherwise the first
        articles whose best sentence scores within FOLLOW_UP_RATIO of the best one.
        """
        question, scored, passages = reading.question, reading.scored, reading.passages
        per_article: dict[str, Sentence] = {}
        for sent in scored:  # best first
            per_article.setdefault(passages[sent.passage].article_id, sent)
        # Articles in retrieval order (the retriever's ranking is the better judge of which
        # article holds the evidence; the sentence score picks the sentence within it).
        ranked = sorted(per_article.values(), key=lambda x: x.passage)
        named = named_outlets(question, [p.source or "" for p in passages])
        needed = 0  # the first candidates the question needs, whatever their length
        if named:
            candidates, needed = self._per_claim(
                question, scored, passages, reading.claims, _naming(lead, passages)
            )
        else:
            # Any article may hold a differing figure for a number or date (shown side by side).
            ratio = VALUE_RATIO if asks_for_value(question) else FOLLOW_UP_RATIO
            floor = ratio * scored[0].score
            candidates = [s for s in ranked if s.score >= floor]
        chosen: list[Sentence] = []
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
        scored: list[Sentence],
        passages: Sequence[Passage],
        claims: Sequence[Claim],
        naming: frozenset[str] = frozenset(),
    ) -> tuple[list[Sentence], int]:
        """The sentences to cite for a question about what named outlets reported, most needed
        first, and how many of them the question needs (the rest may be left out for length):
        for each claim of the question (qa.answers.evidence.question_claims), the article of its
        outlet (or of any outlet named) whose sentence best supports it, within as many articles per
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

        as_of = newest(passages)
        periods = find_dates(question, as_of)
        claim_dates = [find_dates(c.text, as_of) for c in claims]

        def value(k: int, sent: Sentence) -> float:
            p = passages[sent.passage]
            v = QUESTION_SHARE * sent.score + _claim_score(claims[k], k, sent)
            v -= retrieval_cost(p)
            if p.article_id in naming:
                v += LEAD_BONUS
            # A date said in the claim picks out its report ('the report from The Verge on
            # September 28, 2023, concerning ...'); else any date of the question.
            when = claim_dates[k] or periods
            return v + (DATE_BONUS if when and published_in(p, when) else 0.0)

        def allowed(claim: Claim, sent: Sentence, slots: bool) -> bool:
            p = passages[sent.passage]
            if p.article_id not in rank or (claim.outlet and p.source != claim.outlet):
                return False
            new = p.article_id not in chosen
            return not (slots and new and taken[p.source or ""] >= counts[p.source or ""])

        chosen: dict[str, Sentence] = {}  # article -> its sentence
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
            best: tuple[float, int, Sentence] | None = None
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
        extra: dict[str, tuple[float, Sentence]] = {}
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
        scored: list[Sentence],
        passages: Sequence[Passage],
        used: set[str] | None = None,
    ) -> list[Sentence]:
        """For each outlet mention, the sentence of one of that outlet's first articles that
        best matches the part of the question about it ('the TechCrunch article suggests X,
        while The Verge reports Y': X for TechCrunch, Y for The Verge)."""
        chosen: list[Sentence] = []
        used = set(used or ())
        as_of = newest(passages)
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
            best: tuple[float, Sentence] | None = None
            for rank, article in enumerate(articles):
                for sent in scored:
                    if passages[sent.passage].article_id != article:
                        continue
                    value = sent.score + overlap(terms, sent.text) - RANK_COST * rank
                    if periods and published_in(passages[sent.passage], periods):
                        value += DATE_BONUS
                    if best is None or value > best[0]:
                        best = (value, sent)
            if best is not None:
                chosen.append(best[1])
                used.add(passages[best[1].passage].article_id)
        return sorted(chosen, key=lambda x: x.passage)


def pick_spans(
    reading: SlotReading,
    slot: Slot | None,
    unit: str | None,
    weights: dict[str, float],
    several: bool = False,
) -> list[Filler]:
    """The filler(s) of a sentence that answer: every person for 'who', and every name named
    for the asked noun when the question asks for several ('which two firms'), else the one
    nearest the question's distinguishing words in the sentence."""
    found = list(reading.fillers)
    if slot is Slot.PERSON or len(found) <= 1:
        return found
    if several and slot is Slot.DATE:  # 'In which months ...': 'October and December'
        return found
    # A name written beside the noun the question asks about ('the anti-war party Respect'
    # for 'which party') is of the asked kind; others in the sentence may not be ('Labour MP').
    named = [f for f in found if f.label == UNIT]
    found = named or found
    if len(found) == 1 or (several and named):
        return found
    if slot is Slot.DATE:  # a date the reader can place before one relative to the report
        found = [f for f in found if names_a_day_or_year(f.text)] or found
    text = reading.sentence.text
    anchors = [
        m.start()
        for m in re.finditer(r"[\w'’-]+", text)
        if weights.get(stem(m.group(0)), 0.0) > 0 or (unit and stem(m.group(0)) == unit)
    ]
    if not anchors:
        return found[:1]

    def distance(f: Filler) -> int:
        return min(
            0 if f.start <= a < f.end else min(abs(a - f.start), abs(a - f.end)) for a in anchors
        )

    return [min(found, key=lambda f: (distance(f), f.start))]


def _gather(reading: Reading, best: SlotReading, spans: list[Filler]) -> list[Filler]:
    """For a question asking for several ('Which authors ...'), the names of the best
    sentence and of the other sentences of its article that answer it nearly as well (a list
    of names often runs over two sentences)."""
    article = reading.passages[best.sentence.passage].article_id
    out = list(spans)
    wanted = names_asked(reading.question)  # 'Which two firms ...': two, then no more
    for other in reading.slots[1:]:
        if wanted and len({f.text for f in out}) >= wanted:
            break
        same = reading.passages[other.sentence.passage].article_id == article
        # Names that only stand in for a person (fit 0) do not join a list of people.
        typed = other.fit > 0 or best.fit == 0 or reading.analysis.slot is not Slot.PERSON
        if same and other.answers and typed and other.support >= GATHER_RATIO * best.support:
            out += other.fillers
    return list({f.text: f for f in out}.values())


def _naming(lead: str | None, passages: Sequence[Passage]) -> frozenset[str]:
    """The articles whose retrieved passages name `lead` (by its mention_word: 'Bankman-Fried')."""
    word = mention_word(lead or "")
    if word is None:
        return frozenset()
    return frozenset(
        p.article_id for p in passages if word in {stem(w) for w in words(f"{p.title} {p.text}")}
    )


def _fuller(f: Filler, forms: _NameForms) -> Filler:
    """A name in the fuller form the evidence uses elsewhere ('Spears' -> 'Britney Spears')."""
    terms = tuple(stem(w) for w in words(f.text))
    fuller = forms.fuller(terms) if terms else None
    if fuller is None:
        return f
    return Filler(forms.surface[fuller], f.label, f.start, f.end)


def _differing(
    values: list[tuple[SlotReading, int, list[Filler]]], passages: Sequence[Passage]
) -> str | None:
    """'Reports differ: The Verge (2023-10-05) gives 12 [1]; TechCrunch gives 15 [2].' when the
    articles' sentences give different values for the slot, else None."""
    if len(values) < 2:
        return None
    shown = [(_norm_value(" ".join(f.text for f in picked)), r, n) for r, n, picked in values]
    if len({v for v, _, _ in shown}) < 2:
        return None
    parts = []
    for (r, n, picked), _ in zip(values, shown, strict=True):
        p = passages[r.sentence.passage]
        meta = ", ".join(x for x in (p.source, (p.published_at or "")[:10]) if x)
        parts.append(f"{meta or p.title} gives {join_names([f.text for f in picked])} {marker(n)}")
    return "Reports differ: " + "; ".join(parts) + "."


def _norm_value(text: str) -> str:
    """A value as compared across reports: its conversions in brackets left out ('$3.3bn
    (£1.8bn)' is '$3.3bn')."""
    text = re.sub(r"\s*\([^()]*\)", "", text)
    return " ".join(re.sub(r"[,\s]+", " ", text.lower()).split())


def _claim_score(claim: Claim, k: int, sent: Sentence) -> float:
    """How well `sent` states `claim` (the k-th claim of its question): its meaning and its
    words."""
    sem = sent.claims[k] if k < len(sent.claims) else sent.semantic
    return CLAIM_SEMANTIC * sem + CLAIM_LEXICAL * overlap(claim.terms, sent.text)


def _redundant(a: str, b: str) -> bool:
    ta, tb = terms_of(a), terms_of(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.8


def newest(passages: Sequence[Passage]) -> datetime | None:
    """The publication time of the newest of `passages` (what a day named without its year,
    'on October 14th', is read against), None when none is dated."""
    stamps = [ts for p in passages if (ts := iso_to_ts(p.published_at)) >= 0]
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else None


def published_in(passage: Passage, periods: list[tuple[int, int]]) -> bool:
    ts = iso_to_ts(passage.published_at)
    return ts >= 0 and any(a <= ts <= b for a, b in periods)


def _lead(
    question: str, scored: list[Sentence], passages: Sequence[Passage], reader: EvidenceReader
) -> str | None:
    """For a question asking for a name, the name the best sentences of most articles give;
    for one asking for two or more ('Which two public figures ...'), that many."""
    if not asks_for_name(question):
        return None
    top = scored[:LEAD_SENTENCES]
    outlets = {p.source for p in passages if p.source}
    openings = reader.openings(passages)
    context = reader.name_context(passages, openings)
    names = candidate_names(
        [(passages[s.passage].article_id, s.text, s.score) for s in top], question, outlets, context
    )
    named = [o for o, _ in named_outlets(question, [p.source or "" for p in passages])]
    if len(named) >= 2:
        names = _by_outlets(names, named, passages, openings)
    return join_names([name for name, _ in names[: names_asked(question) or 1]]) or None


def _by_outlets(
    names: list[tuple[str, float]],
    named: list[str],
    passages: Sequence[Passage],
    openings: Mapping[str, str] | None = None,
) -> list[tuple[str, float]]:
    """Candidate names ranked first by how many of the outlets the question names have a
    retrieved article that mentions them (by mention_word: 'Sam Bankman-Fried' as 'Bankman-Fried'),
    in its retrieved passages or its opening (`openings`, by article id), then as they were. A
    question put together from several outlets' reports asks for what those reports share."""
    openings = openings or {}
    vocab: dict[str, set[str]] = {o: set() for o in named}
    for p in passages:
        if p.source in vocab:
            lead = openings.get(p.article_id, "")
            vocab[p.source].update(stem(w) for w in words(f"{p.title} {p.text} {lead}"))

    def covered(name: str) -> int:
        word = mention_word(name)
        return sum(word is not None and word in v for v in vocab.values())

    return sorted(names, key=lambda item: -covered(item[0]))


def _attribution(p: Passage) -> str:
    """'The Verge, 2023-10-05' (the parts that are known)."""
    parts = [p.source or p.title, (p.published_at or "")[:10]]
    return ", ".join(x for x in parts if x)


def _quote(text: str) -> str:
    """A sentence of an article in quotation marks, exactly as written; sentences on both sides
    of a paragraph break each in their own."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return " ".join(f"\u201c{p}\u201d" for p in paragraphs)


def _as_of(citations: list[Citation]) -> list[str]:
    dates = [c.passage.published_at[:10] for c in citations if c.passage.published_at]
    return [f"(As of {max(dates)}, the date of the newest report cited.)"] if dates else []


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


def compose(
    question: str, chosen: list[Sentence], passages: Sequence[Passage], lead: str | None = None
) -> Answer:
    """The answer quoting `chosen` (each with outlet and date), led by `lead` (a name) or by
    the values the cited reports differ on."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    quotes: list[str] = []
    for sent in chosen:
        n = cite(numbers, citations, passages, sent.passage, sent.start, sent.end)
        p = passages[sent.passage]
        quotes.append(f"{_attribution(p)}: {_quote(sent.text)} {marker(n)}")
    parts = []
    differ = conflicting_values(question, [(c.quote, c.n, c.passage) for c in citations])
    if differ:
        parts.append(differ)
    elif lead:
        parts.append(f"{lead}.")
    parts.extend(quotes)
    parts.extend(_as_of(citations))
    return Answer(question, " ".join(parts), citations, refused=False, passages=list(passages))

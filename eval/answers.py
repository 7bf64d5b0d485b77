"""The answer benchmark: ask every query (null ones included) and score refusals and citations.

Figures, each overall and per question type:

- ``null_refusal``: share of null queries (the archive does not answer them) that were refused;
- ``false_refusal``: share of answerable queries that were refused;
- ``citation_precision``: over answers with citations, the mean share of cited articles that are
  gold evidence articles (a wire copy counts by any of its URLs);
- ``citation_recall``: over answerable queries, the mean share of gold articles cited (0 when
  refused);
- ``entity_present``: over queries of the entity type (``inference_query``), the share of answers
  containing the gold answer, normalised (case, accents, punctuation) and as whole words;
- ``other_present``: over the other queries with a gold answer that is neither Yes nor No (a
  comparison's 'Consistent', 'Agree', 'Larger' or a name), the same share as ``entity_present``;
- ``yes_no_accuracy``: over queries whose gold answer is Yes or No, the share of answers that
  open with that verdict (a refusal, 'The reports disagree' or 'The archive doesn't say' counts
  as wrong);
- ``median_chars``: median answer length; ``ask_p50_ms`` / ``ask_p95_ms``: ask latency.

A query file of factoid questions (items with ``question`` and ``expect``) is scored by
eval.factoid instead.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import Query, load_queries
from eval.metrics import percentile
from ingest.normalise import canonical_url
from qa.errors import NewsdeskError

ENTITY_TYPE = "inference_query"
NULL_TYPE = "null_query"
DIGITS = 4

Progress = Callable[[str], None]


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: for whole-word matching."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_VERDICT = re.compile(r"\s*(yes|no)\b\s*[.:,;!]", re.I)


def verdict(answer: str) -> str | None:
    """'yes' or 'no' when the answer opens with that verdict ('Yes.', 'No: ...'), else None."""
    m = _VERDICT.match(answer)
    return m.group(1).lower() if m else None


def contains_entity(answer: str, entity: str) -> bool:
    """Whether `entity` occurs in `answer` as whole words, after normalise()."""
    gold = normalise(entity)
    return bool(gold) and f" {gold} " in f" {normalise(answer)} "


def contains_words(answer: str, expected: str) -> bool:
    """Whether `expected` occurs in `answer` starting at a word, after normalise(): a word may
    go on ('regulator' is found in 'Chinese regulators')."""
    gold = normalise(expected)
    return bool(gold) and f" {gold}" in f" {normalise(answer)}"


@dataclass(frozen=True)
class AnswerRun:
    """One question's outcome: the answer, the articles it cited, and the time it took."""

    qid: str
    question: str
    question_type: str
    answer: str
    refused: bool
    cited: list[set[str]]  # per cited article: its canonical URLs (wire copies included)
    gold_urls: list[str]
    gold_answer: str
    latency_ms: float

    @property
    def is_null(self) -> bool:
        return self.question_type == NULL_TYPE

    def precision(self) -> float | None:
        if not self.cited:
            return None
        gold = set(self.gold_urls)
        return sum(bool(urls & gold) for urls in self.cited) / len(self.cited)

    def recall(self) -> float:
        if not self.gold_urls or self.refused:
            return 0.0
        found = set().union(*self.cited) if self.cited else set()
        return len(found & set(self.gold_urls)) / len(self.gold_urls)

    def entity_present(self) -> bool:
        return not self.refused and contains_entity(self.answer, self.gold_answer)

    @property
    def is_yes_no(self) -> bool:
        return self.gold_answer.strip().lower() in ("yes", "no")

    def verdict_right(self) -> bool:
        said = verdict(self.answer)
        return not self.refused and said is not None and said == self.gold_answer.strip().lower()

    def to_dict(self) -> dict[str, Any]:
        return {
            "qid": self.qid,
            "question": self.question,
            "question_type": self.question_type,
            "answer": self.answer,
            "refused": self.refused,
            "cited_urls": [sorted(u) for u in self.cited],
            "gold_urls": self.gold_urls,
            "gold_answer": self.gold_answer,
            "latency_ms": round(self.latency_ms, 2),
        }


def answer_metrics(runs: Sequence[AnswerRun]) -> dict[str, Any]:
    """The figures of the module docstring for `runs` (None where a figure has no questions)."""
    nulls = [r for r in runs if r.is_null]
    answerable = [r for r in runs if not r.is_null]
    precisions = [p for r in answerable if (p := r.precision()) is not None]
    entity = [r for r in answerable if r.question_type == ENTITY_TYPE and r.gold_answer]
    yes_no = [r for r in answerable if r.is_yes_no]
    other = [
        r
        for r in answerable
        if r.question_type != ENTITY_TYPE and r.gold_answer and not r.is_yes_no
    ]

    def mean(values: Sequence[float]) -> float | None:
        return round(sum(values) / len(values), DIGITS) if values else None

    latencies = [r.latency_ms for r in runs]
    return {
        "n": len(runs),
        "n_null": len(nulls),
        "null_refusal": mean([float(r.refused) for r in nulls]),
        "false_refusal": mean([float(r.refused) for r in answerable]),
        "citation_precision": mean(precisions),
        "citation_recall": mean([r.recall() for r in answerable]),
        "entity_present": mean([float(r.entity_present()) for r in entity]),
        "n_other": len(other),
        "other_present": mean([float(r.entity_present()) for r in other]),
        "n_yes_no": len(yes_no),
        "yes_no_accuracy": mean([float(r.verdict_right()) for r in yes_no]),
        "median_chars": statistics.median([len(r.answer) for r in runs]) if runs else None,
        "ask_p50_ms": round(percentile(latencies, 50), 1) if runs else None,
        "ask_p95_ms": round(percentile(latencies, 95), 1) if runs else None,
    }


def ask_one(assistant: Any, qid: str, text: str, qtype: str, query: Query | None) -> AnswerRun:
    """Ask one question (timed with perf_counter) and record what the answer cited."""
    started = time.perf_counter()
    answer = assistant.ask(text)
    latency_ms = (time.perf_counter() - started) * 1000
    cited = []
    for c in answer.citations:
        urls = [c.passage.url] + [a.get("url") for a in c.passage.also]
        cited.append({v for u in urls if u and (v := canonical_url(u))})
    return AnswerRun(
        qid=qid,
        question=text,
        question_type=qtype,
        answer=answer.text,
        refused=answer.refused,
        cited=cited,
        gold_urls=list(query.gold_urls) if query else [],
        gold_answer=query.answer if query else "",
        latency_ms=latency_ms,
    )


def run_answer_eval(
    corpus: Path,
    queries: Path,
    out: Path,
    limit: int | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Ask every query of `queries` over `corpus` (ingested into ``out/index``) and score it.

    `limit` keeps the first N answerable and the first N null queries. Writes
    ``out/answers.json`` (the figures, overall and per type) and ``out/answers-runs.jsonl``
    (one answer per line) and returns the figures. `overrides` are Settings fields.
    """
    from eval.factoid import is_factoid_file, run_factoid_eval
    from eval.runner import ingest_corpus

    corpus, queries, out = Path(corpus), Path(queries), Path(out)
    if not corpus.exists():
        raise NewsdeskError(f"Corpus not found: {corpus}", "pass an existing file or folder")
    say = progress or (lambda _msg: None)
    if is_factoid_file(queries):
        assistant = ingest_corpus(corpus, out, say, overrides)
        say(f"asking the factoid questions of {queries}")
        return run_factoid_eval(assistant, queries, out, limit)
    items = load_queries(queries)
    answerable = list(items[:limit] if limit else items)
    nulls = items.null_queries[:limit] if limit else items.null_queries
    if not answerable and not nulls:
        raise NewsdeskError(f"{queries}: holds no queries", "see the format in eval/datasets.py")
    assistant = ingest_corpus(corpus, out, say, overrides)
    say(f"asking {len(answerable)} answerable and {len(nulls)} null questions")
    warm = answerable[0].query if answerable else nulls[0]
    assistant.ask(warm)  # load the models before timing
    runs = [ask_one(assistant, q.qid, q.query, q.question_type, q) for q in answerable]
    runs += [ask_one(assistant, f"null-{i}", t, NULL_TYPE, None) for i, t in enumerate(nulls)]
    by_type: dict[str, list[AnswerRun]] = {}
    for run in runs:
        by_type.setdefault(run.question_type, []).append(run)
    results = {
        "corpus": str(corpus),
        "queries": str(queries),
        "answerer": assistant.settings.answerer,
        "overall": answer_metrics(runs),
        "by_type": {t: answer_metrics(rs) for t, rs in sorted(by_type.items())},
    }
    (out / "answers.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    with (out / "answers-runs.jsonl").open("w", encoding="utf-8") as fh:
        for run in runs:
            fh.write(json.dumps(run.to_dict(), ensure_ascii=False) + "\n")
    return results


def format_answer_table(results: dict[str, Any]) -> str:
    """A plain-text table of the figures, overall then per question type."""
    from eval.factoid import FACTOID_KEYS

    keys = [
        "null_refusal",
        "false_refusal",
        "citation_precision",
        "citation_recall",
        "entity_present",
        "other_present",
        "yes_no_accuracy",
        "median_chars",
        "ask_p50_ms",
        "ask_p95_ms",
    ]
    if results.get("kind") == "factoid":
        keys = FACTOID_KEYS
    rows = [["overall", str(results["overall"]["n"]), *_cells(results["overall"], keys)]]
    for name, figures in results["by_type"].items():
        rows.append([name, str(figures["n"]), *_cells(figures, keys)])
    header = ["", "n", *keys]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    title = f"Answers ({results['answerer']} answerer) on {results['queries']}"
    return "\n".join([title, *lines])


def _cells(figures: dict[str, Any], keys: list[str]) -> list[str]:
    out = []
    for key in keys:
        value = figures.get(key)
        out.append(
            "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        )
    return out

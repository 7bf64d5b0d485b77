"""Factoid answer evaluation: questions with the strings a correct answer must hold.

A factoid file is a JSON list of objects::

    [{"question": "Who did Sullivan reportedly speak with?",
      "expect": ["Ushakov", "Patrushev"],      # every string must appear in the answer
      "alt": [["Yuri Ushakov"]],                # optional: other accepted sets of strings
      "url": "https://...",                     # the gold article, or null
      "title": "Report: Jake Sullivan ...",     # optional: the gold article by its title
      "type": "who-several",                    # optional: for the per-type figures
      "answerable": true}]                      # optional: default = expect is not empty

Strings are matched from the start of a word after normalising case, accents and punctuation
(eval.answers.contains_words: 'regulator' is found in 'regulators'). Figures, overall and per type:

- ``fact_in_answer``: answerable questions whose answer holds the expected strings (a refusal
  holds nothing);
- ``leads_with_fact``: ... within its first LEAD_CHARS characters;
- ``right_article``: answerable questions whose answer cites the gold article (by URL, or by
  title when the file gives no URL; questions with neither are left out);
- ``unanswerable_refused``: questions the archive cannot answer that were refused;
- ``answerable_refused``: answerable questions that were refused;
- ``ask_p50_ms`` / ``ask_p95_ms``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.answers import DIGITS, contains_words
from eval.metrics import percentile
from ingest.normalise import canonical_url
from qa.errors import NewsdeskError

LEAD_CHARS = 100
_HINT = (
    "a factoid file is a JSON list of {question, expect: [strings], alt?, url?, title?, type?, "
    "answerable?} (see eval/factoid.py)"
)


@dataclass(frozen=True)
class Factoid:
    """One question with the strings its answer must hold (none: the archive can't answer)."""

    qid: str
    question: str
    expect: list[str]
    alt: list[list[str]] = field(default_factory=list)
    url: str | None = None
    title: str | None = None
    kind: str = "all"
    answerable: bool = True


def is_factoid_file(path: Path) -> bool:
    """Whether `path` holds factoid questions (items with 'question' and 'expect')."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and "question" in data[0]
        and "expect" in data[0]
    )


def load_factoids(path: Path) -> list[Factoid]:
    """The questions of a factoid file; raises NewsdeskError naming the file and item."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NewsdeskError(f"{path}: cannot read factoid questions ({exc})", _HINT) from exc
    if not isinstance(data, list):
        raise NewsdeskError(f"{path}: expected a JSON list", _HINT)
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not str(item.get("question") or "").strip():
            raise NewsdeskError(f"{path} (item {i}): has no 'question'", _HINT)
        expect = item.get("expect") or []
        alt = item.get("alt") or []
        if not isinstance(expect, list) or not isinstance(alt, list):
            raise NewsdeskError(f"{path} (item {i}): 'expect' and 'alt' must be lists", _HINT)
        out.append(
            Factoid(
                qid=str(item.get("id", i)),
                question=str(item["question"]).strip(),
                expect=[str(e) for e in expect],
                alt=[[str(a)] if isinstance(a, str) else [str(x) for x in a] for a in alt],
                url=canonical_url(str(item["url"])) if item.get("url") else None,
                title=str(item["title"]) if item.get("title") else None,
                kind=str(item.get("type") or "all"),
                answerable=bool(item.get("answerable", bool(expect))),
            )
        )
    return out


@dataclass(frozen=True)
class FactoidRun:
    """One question's outcome."""

    item: Factoid
    answer: str
    refused: bool
    cited_urls: list[str]
    cited_titles: list[str]
    latency_ms: float

    def holds_fact(self, chars: int | None = None) -> bool:
        if self.refused or not self.item.expect:
            return False
        text = self.answer[:chars] if chars else self.answer
        options = [self.item.expect, *self.item.alt]
        return any(all(contains_words(text, e) for e in option) for option in options)

    def right_article(self) -> bool | None:
        if self.item.url:
            return self.item.url in self.cited_urls
        if self.item.title:
            return self.item.title.strip() in self.cited_titles
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.qid,
            "question": self.item.question,
            "type": self.item.kind,
            "answerable": self.item.answerable,
            "expect": self.item.expect,
            "answer": self.answer,
            "refused": self.refused,
            "fact_in_answer": self.holds_fact(),
            "leads_with_fact": self.holds_fact(LEAD_CHARS),
            "right_article": self.right_article(),
            "latency_ms": round(self.latency_ms, 2),
        }


def factoid_metrics(runs: Sequence[FactoidRun]) -> dict[str, Any]:
    """The figures of the module docstring (None where a figure has no questions)."""

    def mean(values: Sequence[float]) -> float | None:
        return round(sum(values) / len(values), DIGITS) if values else None

    answerable = [r for r in runs if r.item.answerable]
    unanswerable = [r for r in runs if not r.item.answerable]
    articles = [ok for r in answerable if (ok := r.right_article()) is not None]
    latencies = [r.latency_ms for r in runs]
    return {
        "n": len(runs),
        "n_unanswerable": len(unanswerable),
        "fact_in_answer": mean([float(r.holds_fact()) for r in answerable]),
        "leads_with_fact": mean([float(r.holds_fact(LEAD_CHARS)) for r in answerable]),
        "right_article": mean([float(ok) for ok in articles]),
        "unanswerable_refused": mean([float(r.refused) for r in unanswerable]),
        "answerable_refused": mean([float(r.refused) for r in answerable]),
        "ask_p50_ms": round(percentile(latencies, 50), 1) if runs else None,
        "ask_p95_ms": round(percentile(latencies, 95), 1) if runs else None,
    }


def ask_factoid(assistant: Any, item: Factoid) -> FactoidRun:
    """Ask one question (timed) and record what the answer says and cites."""
    started = time.perf_counter()
    answer = assistant.ask(item.question)
    latency_ms = (time.perf_counter() - started) * 1000
    urls = []
    for c in answer.citations:
        for u in [c.passage.url] + [a.get("url") for a in c.passage.also]:
            if u and (v := canonical_url(u)):
                urls.append(v)
    titles = [c.passage.title.strip() for c in answer.citations]
    titles += [str(a.get("title") or "").strip() for c in answer.citations for a in c.passage.also]
    return FactoidRun(item, answer.text, answer.refused, urls, titles, latency_ms)


def run_factoid_eval(assistant: Any, path: Path, out: Path, limit: int | None = None) -> dict:
    """Ask every question of the factoid file `path`; writes ``out/answers.json`` and
    ``out/answers-runs.jsonl`` and returns the figures, overall and per type."""
    items = load_factoids(path)[:limit] if limit else load_factoids(path)
    if not items:
        raise NewsdeskError(f"{path}: holds no questions", _HINT)
    assistant.ask(items[0].question)  # load the models before timing
    runs = [ask_factoid(assistant, item) for item in items]
    by_type: dict[str, list[FactoidRun]] = {}
    for run in runs:
        by_type.setdefault(run.item.kind, []).append(run)
    by_type["unanswerable"] = [r for r in runs if not r.item.answerable]
    results = {
        "queries": str(path),
        "kind": "factoid",
        "answerer": assistant.settings.answerer,
        "overall": factoid_metrics(runs),
        "by_type": {
            t: factoid_metrics([r for r in rs if r.item.answerable or t == "unanswerable"])
            for t, rs in sorted(by_type.items())
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    with (out / "answers-runs.jsonl").open("w", encoding="utf-8") as fh:
        for run in runs:
            fh.write(json.dumps(run.to_dict(), ensure_ascii=False) + "\n")
    return results


FACTOID_KEYS = [
    "fact_in_answer",
    "leads_with_fact",
    "right_article",
    "unanswerable_refused",
    "answerable_refused",
    "ask_p50_ms",
    "ask_p95_ms",
]

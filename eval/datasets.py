"""Evaluation query files: read MultiHop-RAG-style queries with their gold evidence.

A query file is a JSON list of objects. Only ``query`` and, in ``evidence_list``, each item's
``fact`` (an exact passage of an article body) and ``url`` (the article's URL) are needed::

    [
      {
        "qid": "q1",                          # optional; default: the position in the list
        "query": "Did both outlets report the merger?",
        "answer": "Yes",                      # optional
        "question_type": "comparison_query",  # optional; default "all"
        "evidence_list": [
          {"fact": "The merger closed on Monday.", "url": "https://example.com/a",
           "source": "Example News"}          # source optional
        ]
      }
    ]

Items whose ``question_type`` is ``null_query`` or whose ``evidence_list`` holds no fact (the
archive does not answer them) are skipped: they count in ``skipped_null``. Facts are matched
with spaces and newlines removed; URLs are compared canonicalised, as ingest stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.normalise import canonical_url
from qa.errors import NewsdeskError

NULL_TYPE = "null_query"
DEFAULT_TYPE = "all"
_HINT = "see the format in eval/datasets.py: a JSON list of {query, evidence_list: [{fact, url}]}"


@dataclass(frozen=True)
class Query:
    """One answerable evaluation query with its gold facts and canonical gold article URLs."""

    qid: str
    query: str
    answer: str
    question_type: str
    facts: list[str]
    gold_urls: list[str]
    sources: list[str] = field(default_factory=list)


class QueryList(list[Query]):
    """The answerable queries of a file; `skipped_null` counts the null queries left out and
    `null_queries` holds their texts (questions the archive should refuse)."""

    skipped_null: int = 0
    null_queries: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.null_queries = []


def load_queries(path: str | Path) -> QueryList:
    """Read a query file; returns its answerable queries (a list with `.skipped_null` set).

    Raises NewsdeskError naming the file when it is missing, is not valid JSON, is not a list
    of objects, or has an item without a ``query``.
    """
    path = Path(path)
    if not path.is_file():
        raise NewsdeskError(f"Query file not found: {path}", "pass an existing JSON query file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NewsdeskError(f"{path}: not valid JSON ({exc})", _HINT) from exc
    if not isinstance(data, list):
        raise NewsdeskError(f"{path}: expected a JSON list of queries", _HINT)
    queries = QueryList()
    for index, item in enumerate(data):
        query = _parse_item(path, index, item)
        if query is None:
            queries.skipped_null += 1
            queries.null_queries.append(str(item["query"]).strip())
        else:
            queries.append(query)
    return queries


def _parse_item(path: Path, index: int, item: Any) -> Query | None:
    """One item as a Query, or None for a null query; raises NewsdeskError when malformed."""
    where = f"{path} (item {index})"
    if not isinstance(item, dict):
        raise NewsdeskError(f"{where}: expected an object", _HINT)
    text = item.get("query")
    if not isinstance(text, str) or not text.strip():
        raise NewsdeskError(f"{where}: has no 'query'", _HINT)
    evidence = item.get("evidence_list") or []
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise NewsdeskError(f"{where}: 'evidence_list' must be a list of objects", _HINT)
    qtype = str(item.get("question_type") or DEFAULT_TYPE)
    facts = [str(e["fact"]) for e in evidence if str(e.get("fact") or "").strip()]
    if qtype == NULL_TYPE or not facts:
        return None
    return Query(
        qid=str(item.get("qid", index)),
        query=text.strip(),
        answer=str(item.get("answer") or ""),
        question_type=qtype,
        facts=facts,
        gold_urls=_unique(canonical_url(str(e["url"])) for e in evidence if e.get("url")),
        sources=_unique(str(e["source"]) for e in evidence if e.get("source")),
    )


def _unique(values: Any) -> list[str]:
    """Distinct non-empty values in first-seen order."""
    return list(dict.fromkeys(v for v in values if v))

"""Public data types: plain dataclasses, free of llama-index and Chroma types."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article as read from an archive, before chunking."""

    id: str
    title: str
    body: str
    source: str | None = None
    author: str | None = None
    published_at: str | None = None
    url: str | None = None
    path: str | None = None  # the file it was read from
    extra: dict[str, str] = field(default_factory=dict)  # e.g. date_source, published_raw
    also: list[dict[str, str | None]] = field(default_factory=list)  # wire copies elsewhere
    authors: list[str] = field(default_factory=list)  # `author` is these names joined

    @classmethod
    def from_passages(cls, passages: list[Passage]) -> Article:
        """The article as stored, rebuilt from its passages (in body order). Character offsets
        are kept: a quote's `quote_start:quote_end` indexes the rebuilt body as the original,
        and so are paragraph breaks (each passage keeps the whitespace before it, `lead`)."""
        first = passages[0]
        body = ""
        for p in passages:
            if p.end <= len(body):
                continue
            if p.start > len(body):
                gap = p.start - len(body)
                # What lay between passages was whitespace: as stored, or spaces (older records).
                body += p.lead if len(p.lead) == gap else " " * gap
            body += p.text[len(body) - p.start :]
        return cls.listing(first, body)

    @classmethod
    def listing(cls, passage: Passage, body: str = "") -> Article:
        """The article a passage belongs to, with `body` (empty: its metadata only)."""
        return cls(
            id=passage.article_id,
            title=passage.title,
            body=body,
            source=passage.source,
            author=passage.author,
            published_at=passage.published_at,
            url=passage.url,
            path=passage.path,
            extra=dict(passage.extra),
            also=list(passage.also),
            authors=list(passage.authors),
        )

    def to_dict(self, body: bool = True) -> dict[str, Any]:
        """The article's JSON contract (`newsdesk article --json`; `articles --json` rows
        without the body)."""
        d: dict[str, Any] = {
            "article_id": self.id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "authors": list(self.authors),
            "published_at": self.published_at,
            "date_source": self.extra.get("date_source"),
            "url": self.url,
            "path": self.path,
            "also": list(self.also),
        }
        if body:
            d["body"] = self.body
        return d


@dataclass(frozen=True)
class Passage:
    """A chunk of an article body, with where it sits in the body and what it came from.

    `start` and `end` are character offsets into the article body: `body[start:end] == text`.
    `score` is the retrieval score (higher is better); 0.0 when the passage was not ranked.
    `also` lists the other outlets and URLs that ran the same (wire) story:
    ``[{"source", "url", "title"}]``. `authors`, `path` and `extra` are the article's.
    """

    id: str
    text: str
    article_id: str
    title: str
    source: str | None
    author: str | None
    published_at: str | None
    url: str | None
    start: int
    end: int
    score: float = 0.0
    also: list[dict[str, str | None]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # the article's, `author` joins them
    path: str | None = None  # the file the article was read from
    lead: str = ""  # the whitespace between the previous passage's end and `start`
    extra: dict[str, str] = field(default_factory=dict)  # the article's (e.g. date_source)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def contract_fields(self) -> dict[str, Any]:
        """The passage fields of the CLI's JSON contract (search rows, citations)."""
        return {
            "text": self.text,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published_at": self.published_at,
            "url": self.url,
            "start": self.start,
            "end": self.end,
        }


def search_rows(passages: list[Passage]) -> list[dict[str, Any]]:
    """The ``search --json`` rows (CLI and HTTP API): rank, score and the contract fields."""
    return [
        {"rank": i, "score": round(p.score, 4), **p.contract_fields()}
        for i, p in enumerate(passages, start=1)
    ]


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search: outlets (exact names as stored), authors, a publication date range.

    `since`/`until` are ISO-8601 dates or datetimes (inclusive; a bare date covers its day).
    `as_of` asks the archive as it stood on that date: nothing published after it is read
    (with `until` too, the earlier of the two bounds applies).
    """

    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    as_of: str | None = None

    def __bool__(self) -> bool:
        return bool(self.sources or self.authors or self.since or self.until or self.as_of)

    def describe(self) -> str:
        """The filters in words, for a conversation ("" when there are none)."""
        parts = []
        if self.sources:
            parts.append("outlets: " + ", ".join(self.sources))
        if self.authors:
            parts.append("authors: " + ", ".join(self.authors))
        if self.since and self.until:
            parts.append(f"published {self.since} to {self.until}")
        elif self.since:
            parts.append(f"published since {self.since}")
        elif self.until:
            parts.append(f"published until {self.until}")
        if self.as_of:
            parts.append(f"as of {self.as_of}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the cited passage, the quoted sentence and its article.

    `quote_start`/`quote_end` are the quoted sentence's character offsets in the article body.
    """

    n: int
    passage: Passage
    quote: str
    quote_start: int
    quote_end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            **self.passage.contract_fields(),
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "also_in": [
                {"source": a.get("source"), "url": a.get("url")} for a in self.passage.also
            ],
        }


@dataclass(frozen=True)
class Answer:
    """The reply to a question: text with [n] markers, its citations, and whether it was refused."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    passages: list[Passage] = field(default_factory=list)
    reason: str | None = None  # why it was refused
    standalone_question: str | None = None  # a follow-up rewritten with its context (chat)
    notes: list[str] = field(default_factory=list)  # e.g. answer checks and fallbacks applied
    # A refusal's closest coverage: articles about the question that do not answer it (one
    # passage each; empty when nothing the archive holds is about the question).
    closest: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
        }
        if self.reason:
            d["reason"] = self.reason
        if self.standalone_question:
            d["standalone_question"] = self.standalone_question
        if self.notes:
            d["notes"] = list(self.notes)
        if self.closest:
            d["closest"] = [
                {
                    k: p.contract_fields()[k]
                    for k in ("article_id", "title", "source", "published_at", "url")
                }
                for p in self.closest
            ]
        return d


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did: counts per outcome, failures with their reasons, and time taken."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    passages: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Each failure as {"path", "record", "reason"} (record: the record number, or None for a
    # whole file), for machines (`ingest --json`).
    failed_items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = self.failed
        return d

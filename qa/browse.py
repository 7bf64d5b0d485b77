"""The archive as lists a person browses: its articles (title, outlet, date, link) and its
outlets with how many articles each, read from the keyword index's snapshot."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.index.snapshot import Snapshot


@dataclass(frozen=True)
class ArticleRow:
    """One article of the archive list."""

    article_id: str
    title: str
    source: str | None
    author: str | None
    published_at: str | None
    url: str | None

    def matches(self, words: list[str]) -> bool:
        """Whether every one of `words` (lower case) occurs in the title, outlet or byline."""
        text = " ".join(x for x in (self.title, self.source, self.author) if x).casefold()
        return all(w in text for w in words)


class ArchiveList:
    """The articles and outlets of an assistant's archive, rebuilt when the index changes."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._rows: list[ArticleRow] = []

    def rows(self) -> list[ArticleRow]:
        """Every article, newest first (undated ones last)."""
        from qa.retrieval.retrieve import read_passages

        assistant = self._assistant
        assistant.catch_up()
        matrix = assistant.keyword.snapshot()
        with self._lock:
            if matrix is self._snapshot:
                return self._rows
            firsts: dict[str, int] = {}
            for row, article in enumerate(matrix.article_ids):
                firsts.setdefault(article, row)
            order = sorted(firsts.values(), key=lambda r: -int(matrix.published_ts[r]))
            ids = [matrix.passage_ids[r] for r in order]
            found = read_passages(assistant.keyword, assistant.store, ids)
            rows = []
            for pid in ids:
                p = found.get(pid)
                if p is not None:
                    rows.append(
                        ArticleRow(p.article_id, p.title, p.source, p.author, p.published_at, p.url)
                    )
            self._snapshot, self._rows = matrix, rows
            return rows

    def articles(self, text: str = "", limit: int = 500) -> tuple[list[ArticleRow], int]:
        """The newest `limit` articles whose title, outlet or byline hold every word of `text`,
        and how many match in all."""
        words = text.casefold().split()
        hits = [r for r in self.rows() if r.matches(words)] if words else self.rows()
        return hits[:limit], len(hits)

    def outlets(self) -> list[tuple[str, int]]:
        """(outlet, articles) for every outlet, most articles first ("" for no outlet)."""
        counts = Counter(r.source or "" for r in self.rows())
        return sorted(counts.items(), key=lambda x: (-x[1], x[0].casefold()))

    def undated(self) -> int:
        """How many articles have no publication date."""
        return sum(1 for r in self.rows() if not r.published_at)

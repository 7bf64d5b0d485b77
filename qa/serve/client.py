"""A thin client of a running newsdesk server, with the same ask/search/article/stats as
Assistant.

from qa.serve.client import Client
client = Client("http://127.0.0.1:7860", auth=("user", "password"))
answer = client.ask("Who did Sullivan reportedly speak with?")
print(answer.text, [c.passage.url for c in answer.citations])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qa.errors import (
    ConfigError,
    EmptyIndexError,
    InvalidRequestError,
    NewsdeskError,
    NotFoundError,
    StoreError,
    TooLargeError,
)
from qa.types import Answer, Article, Citation, Passage, SearchFilters

# The error each HTTP status stands for, keyed by the status the class carries.
_ERRORS: dict[int, type[NewsdeskError]] = {
    cls.http_status: cls
    for cls in (
        NewsdeskError,
        NotFoundError,
        EmptyIndexError,
        StoreError,
        InvalidRequestError,
        TooLargeError,
    )
}


def _passage(row: Mapping[str, Any], score: float = 0.0) -> Passage:
    also = [{"source": a.get("source"), "url": a.get("url")} for a in row.get("also_in", [])]
    return Passage(
        id=f"{row['article_id']}#{row['start']}",
        text=row["text"],
        article_id=row["article_id"],
        title=row["title"],
        source=row.get("source"),
        author=row.get("author"),
        published_at=row.get("published_at"),
        url=row.get("url"),
        start=int(row["start"]),
        end=int(row["end"]),
        score=score,
        also=also,
    )


def _filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    if not filters:
        return None
    return {
        "sources": list(filters.sources),
        "authors": list(filters.authors),
        "since": filters.since,
        "until": filters.until,
        "as_of": filters.as_of,
    }


class Client:
    """HTTP client of the newsdesk API (qa.serve.http_api). Errors come back as NewsdeskError
    subclasses, as they would from a local Assistant."""

    def __init__(
        self, url: str, auth: tuple[str, str] | None = None, timeout: float = 120.0
    ) -> None:
        import httpx

        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, auth=auth, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"Cannot reach the newsdesk server at {self.url}: {exc}", "is it running?"
            ) from exc
        if response.status_code == 401:
            raise ConfigError("The newsdesk server requires authentication", "pass auth=(u, p)")
        if response.status_code >= 400:
            try:
                err = response.json()["error"]
                message, hint = err["message"], err.get("hint", "")
            except (ValueError, KeyError, TypeError):
                message, hint = f"HTTP {response.status_code}: {response.text[:200]}", ""
            raise _ERRORS.get(response.status_code, NewsdeskError)(message, hint)
        return response.json()

    def ask(
        self,
        question: str,
        filters: SearchFilters | None = None,
        history: Sequence[Mapping[str, str]] = (),
    ) -> Answer:
        """Answer `question` (a follow-up of `history`, if given) from the server's archive."""
        data = self._call(
            "POST",
            "/api/ask",
            json={"question": question, "filters": _filters(filters), "history": list(history)},
        )
        citations = [
            Citation(c["n"], _passage(c), c["quote"], c["quote_start"], c["quote_end"])
            for c in data["citations"]
        ]
        return Answer(
            question,
            data["answer"],
            citations,
            refused=data["refused"],
            reason=data.get("reason"),
            standalone_question=data.get("standalone_question"),
            notes=list(data.get("notes", [])),
        )

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        """The `k` passages that best match `query` (default 10)."""
        params: dict[str, Any] = {"q": query, "k": k or 10}
        if filters:
            params.update(
                source=list(filters.sources),
                author=list(filters.authors),
                since=filters.since,
                until=filters.until,
                as_of=filters.as_of,
            )
            params = {key: v for key, v in params.items() if v not in (None, [])}
        rows = self._call("GET", "/api/search", params=params)
        return [_passage(r, float(r["score"])) for r in rows]

    def article(self, article_id: str) -> Article:
        """One stored article, whole (any id: URLs are sent percent-encoded)."""
        from urllib.parse import quote

        data = self._call("GET", f"/api/articles/{quote(article_id, safe='')}")
        return Article(
            id=data["article_id"],
            title=data["title"],
            body=data["body"],
            source=data.get("source"),
            author=data.get("author"),
            published_at=data.get("published_at"),
            url=data.get("url"),
            also=list(data.get("also", [])),
        )

    def stats(self) -> dict[str, Any]:
        """The server's index counts."""
        return dict(self._call("GET", "/api/stats"))

"""Assistant: the one composition root and the public Python API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa import backends
from qa.answers.extractive import Answerer
from qa.config import Settings
from qa.embedding import Embedder
from qa.errors import ConfigError, EmptyIndexError, FilterError, NewsdeskError, NotFoundError
from qa.index import keys
from qa.index.keyword import KeywordIndex
from qa.index.passage_index import PassageIndex
from qa.index.snapshot import Snapshot
from qa.index.store import ChromaStore
from qa.retrieval.retrieve import Retriever, read_passages
from qa.types import Answer, Article, IngestReport, Passage, SearchFilters

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from ingest.pipeline import IngestProgress
    from ingest.reindex import ReindexReport
    from qa.answers.llamaindex import NewsdeskQueryEngine, NewsdeskRetriever


class Assistant:
    """Ingest archives, search them and answer questions with cited passages.

    Build it with :meth:`open`; components are created on first use, so opening is cheap and
    commands that need no model (``stats``) never load one.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: ChromaStore | None = None,
        retriever: Retriever | None = None,
        answerer: Answerer | None = None,
        llm: LLM | None = None,
    ) -> None:
        self.settings = settings
        self._llm = llm  # any llama-index LLM: it writes the answers (checked; see qa.answers.llm)
        self._ingest_lock = threading.Lock()  # one ingest at a time (uploads may overlap)
        self._sync_lock = threading.Lock()
        self._synced_at = time.monotonic()  # building the keyword index catches up once
        # Components passed in (tests, embedding apps) win over the ones the settings describe.
        for name, value in (
            ("embedder", embedder),
            ("store", store),
            ("retriever", retriever),
            ("answerer", answerer),
        ):
            if value is not None:
                self.__dict__[name] = value

    @classmethod
    def open(
        cls, index_dir: str | Path | None = None, *, llm: Any = None, **overrides: Any
    ) -> Assistant:
        """An assistant over the index at `index_dir` (default ./data/index or NEWSDESK_INDEX).

        `overrides` are Settings fields. `llm`, any llama-index LLM, writes the answers instead
        of the configured answerer (checked against the passages, extractive as the fallback).
        Raises ConfigError for unknown or invalid settings.
        """
        if index_dir is not None:
            overrides["index_dir"] = Path(index_dir)
        from pydantic import ValidationError

        try:
            settings = Settings(**overrides)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(
                f"Invalid settings: {problems}", "see README 'Configuration'"
            ) from exc
        return cls(settings, llm=llm)

    @cached_property
    def embedder(self) -> Embedder:
        recorded = None
        if self.settings.embedder == "onnx" and self.settings.embed_variant == "auto":
            recorded = backends.index_space(self.settings, self.store)
        return backends.build_embedder(self.settings, recorded)

    @cached_property
    def store(self) -> ChromaStore:
        return backends.build_store(self.settings)

    @cached_property
    def index(self) -> PassageIndex:
        """Chroma and the keyword index, written and kept in step together."""
        return backends.build_index(self.settings, self.store)

    @property
    def keyword(self) -> KeywordIndex:
        """The local keyword index (searches, snapshots and passage records read from it)."""
        return self.index.keyword

    @cached_property
    def retriever(self) -> Retriever:
        backends.check_index_space(self.settings, self.store, self.embedder)
        return backends.build_retriever(self.settings, self.embedder, self.index)

    @cached_property
    def answerer(self) -> Answerer:
        return backends.build_answerer(
            self.settings, self.embedder, self.sources, self.index, llm=self._llm
        )

    def ingest(
        self,
        paths: Iterable[str | Path],
        field_map: Mapping[str, str] | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
        workers: int | None = None,
    ) -> IngestReport:
        """Read, chunk, embed and store every article under `paths` (files or folders).

        `workers` > 1 (default `ingest_workers`) chunks and embeds in that many processes.

        Unchanged articles are skipped, changed ones replaced, wire copies folded into the story
        they copy; bad files and records are listed in the report's failures while the rest are
        ingested. `field_map` maps newsdesk field names (body, title, published_at, source,
        author, url) to the names an export uses, e.g. ``{"body": "story"}``.
        """
        with self._ingest_lock:
            self.catch_up(force=True)
            return self._ingest(paths, field_map, progress, workers or self.settings.ingest_workers)

    def _ingest(
        self,
        paths: Iterable[str | Path],
        field_map: Mapping[str, str] | None,
        progress: Callable[[IngestProgress], None] | None,
        workers: int,
    ) -> IngestReport:
        from functools import partial

        from ingest.catalog import Catalog
        from ingest.chunk import Chunker
        from ingest.pipeline import Ingestor

        backends.check_index_space(self.settings, self.store, self.embedder)
        space = getattr(self.embedder, "space", None)
        if space and self.store.meta(keys.SPACE) != space:
            self.store.set_meta({keys.SPACE: space})  # before its first vector
        catalog = Catalog(self.settings.index_dir / "catalog.sqlite")
        try:
            ingestor = Ingestor(
                embedder=self.embedder,
                index=self.index,
                chunker=Chunker(self.embedder, self.settings.ingest),
                catalog=catalog,
                dedup_threshold=self.settings.dedup_threshold,
                workers=workers,
                worker_setup=partial(
                    backends.build_ingest_worker, self._worker_settings(), workers
                ),
                ner_model=self.settings.ner_model,
            )
            return ingestor.run(paths, field_map=field_map, progress=progress)
        finally:
            catalog.close()

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> ReindexReport:
        """Re-embed every stored passage with the configured embedder, in place (with the
        'auto' precision: the default one). Crash-safe: a reindex killed at any moment is
        finished by running it again, and until then the index is refused by every other use.
        `progress(done, total)` is called after each batch."""
        from ingest.chunk import Chunker
        from ingest.reindex import reindex

        with self._ingest_lock:
            self.catch_up(force=True)
            before = backends.index_space(self.settings, self.store)
            # 'auto' moves to the default precision, or on to the space an unfinished
            # reindex was moving to.
            embedder = backends.build_embedder(self.settings, self.store.meta(keys.SPACE_TARGET))
            chunker = Chunker(embedder, self.settings.ingest)
            report = reindex(self.index, embedder, before, chunker, progress)
            for name in ("retriever", "answerer"):
                self.__dict__.pop(name, None)
            self.__dict__["embedder"] = embedder
            return report

    def _worker_settings(self) -> Settings:
        """The settings ingest workers build their embedder from: this one's precision."""
        precision = getattr(self.embedder, "precision", None)
        if self.settings.embedder != "onnx" or precision not in ("int8", "fp32"):
            return self.settings
        return self.settings.model_copy(update={"embed_variant": precision})

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        """The `k` passages that best match `query`, best first, within `filters`.

        Raises EmptyIndexError when nothing has been ingested yet, FilterError for a bad filter.
        """
        query = _require_text(query, "query")
        self.catch_up()
        self._require_content()
        filters = self.resolve_filters(filters)
        return self.retriever.retrieve(query, k or self.settings.top_k, filters)

    def resolve_filters(self, filters: SearchFilters | None) -> SearchFilters | None:
        """`filters` as a search applies them: outlet names matched to the archive's (any case
        or punctuation; qa.retrieval.filters) and dates checked. Raises FilterError naming the
        field, and suggesting the closest outlets for one the archive lacks."""
        from qa.retrieval.filters import resolve

        return resolve(filters, self.sources()) if filters else None

    def catch_up(self, force: bool = False) -> None:
        """On a Chroma server, bring the local keyword index up to what other processes wrote
        (at most every `chroma_refresh_seconds`, unless `force`d; see qa.index.passage_index).
        Embedded Chroma has one writer, this process, so there is nothing to do."""
        if not self.settings.chroma_server or "index" not in self.__dict__:
            return  # building the index catches up by itself
        if not force and time.monotonic() - self._synced_at < self.settings.chroma_refresh_seconds:
            return
        if not self._sync_lock.acquire(blocking=force):
            return  # another thread is catching up; search what is there
        try:
            self.index.catch_up()
            self._synced_at = time.monotonic()
        finally:
            self._sync_lock.release()

    def ask(self, question: str, filters: SearchFilters | None = None) -> Answer:
        """Answer `question` from the archive with numbered citations, or refuse when it cannot."""
        question = _require_text(question, "question")
        return self.answerer.answer(question, self._evidence(question, filters))

    def chat(
        self, messages: Sequence[Mapping[str, str]], filters: SearchFilters | None = None
    ) -> Answer:
        """Answer the last user message of a conversation, follow-ups made standalone first.

        `messages` are ``{"role": "user" | "assistant", "content": ...}``, oldest first. The
        Answer's `standalone_question` is the question actually asked of the archive.
        """
        _require_last_question(messages)
        question = self.standalone_question(messages)
        answer = self.ask(question, filters)
        return replace(answer, standalone_question=question)

    def chat_stream(
        self, messages: Sequence[Mapping[str, str]], filters: SearchFilters | None = None
    ) -> Iterator[str | Answer]:
        """Like :meth:`chat`, streamed as :meth:`ask_stream` streams: text pieces as an LLM
        writes them, then the checked Answer (with its standalone question) last."""
        _require_last_question(messages)
        question = self.standalone_question(messages)
        for item in self.ask_stream(question, filters):
            yield replace(item, standalone_question=question) if isinstance(item, Answer) else item

    def standalone_question(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The conversation's last question, rewritten to stand alone (qa.answers.conversation);
        an LLM answerer's model does the rewriting when it can, the rules otherwise."""
        from qa.answers.conversation import standalone

        plain = [
            {"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in messages
        ]
        rules = standalone(plain, self.sources())
        if sum(m["role"] == "user" for m in plain) < 2:
            return rules
        return self.answerer.rewrite(plain) or rules

    def ask_stream(
        self, question: str, filters: SearchFilters | None = None
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, but yields the answer's text as an LLM writes it (unchecked), then
        the checked Answer last. The extractive answerer yields only the Answer."""
        question = _require_text(question, "question")
        yield from self.answerer.stream(question, self._evidence(question, filters))

    def as_retriever(
        self, similarity_top_k: int | None = None, **filters: Any
    ) -> NewsdeskRetriever:
        """This archive's search as a llama-index retriever: ``retrieve(query)`` gives the
        `similarity_top_k` (default `top_k`) best passages as ``NodeWithScore``, each node
        with the article's metadata (article_id, title, source, author, published_at, url)
        and the passage's offsets in the article (``start_char_idx`` / ``end_char_idx``).

        `filters` are SearchFilters fields (sources, authors, since, until, as_of): FilterError
        for an unknown field at once, for a bad value (an outlet the archive lacks) when the
        retriever is used."""
        from qa.answers.llamaindex import NewsdeskRetriever

        bound = _search_filters(filters)
        return NewsdeskRetriever(
            lambda query, k: self.search(query, k, bound),
            similarity_top_k or self.settings.top_k,
        )

    def as_query_engine(self, streaming: bool = False, **filters: Any) -> NewsdeskQueryEngine:
        """This archive's answers as a llama-index query engine: ``query(question)`` gives a
        ``Response`` holding :meth:`ask`'s checked answer with [n] markers, the cited passages
        as its source nodes (numbered in their metadata's ``citation``), and in its metadata
        ``refused``, ``reason``, ``notes`` and the Answer. A refusal stays a refusal.

        With `streaming`, a ``StreamingResponse`` instead: its ``response_gen`` yields the text
        as :meth:`ask_stream` gives it (an LLM's words as written, unchecked; the extractive
        answer whole), and once it ends the response holds the same checked answer, source
        nodes and metadata (``str(response)`` and ``get_response()`` give the checked answer).
        `filters` as for :meth:`as_retriever`."""
        from qa.answers.llamaindex import NewsdeskQueryEngine

        bound = _search_filters(filters)
        return NewsdeskQueryEngine(
            ask=lambda question: self.ask(question, bound),
            stream=lambda question: self.ask_stream(question, bound),
            streaming=streaming,
        )

    def article(self, article_id: str) -> Article:
        """One stored article, whole (title, outlet, byline, date, link, body, wire copies).

        Raises NotFoundError when the index holds no article with that id.
        """
        passages = self.index.article_passages(article_id)
        if not passages:
            raise NotFoundError(
                f"No article with id {article_id!r} in the index",
                "article ids come from search results and citations",
            )
        return Article.from_passages(passages)

    def articles(self, filters: SearchFilters | None = None) -> list[Article]:
        """Every stored article within `filters` (outlets, dates; authors too), newest first
        (undated last), with its metadata and the file it came from; bodies are left empty
        (read one whole with :meth:`article`). Read from the keyword index's snapshot. Outlet
        names match as in a search (any case); FilterError for one the archive lacks."""

        from qa.retrieval.filters import keyword_mask

        self.catch_up()
        filters = self.resolve_filters(filters)
        matrix = self.index.snapshot()
        mask = keyword_mask(filters, matrix)
        rows = [r for r in _first_passages(matrix) if mask is None or mask[r]]
        rows.sort(key=lambda r: -int(matrix.published_ts[r]))
        found = self._read([matrix.passage_ids[r] for r in rows])
        ids = (matrix.passage_ids[r] for r in rows)
        return [Article.listing(found[pid]) for pid in ids if pid in found]

    def stats(self) -> dict[str, Any]:
        """Index counts: articles, chunks (passages), sources, earliest and latest dates.

        Read from the keyword snapshot already in memory (plus the outlets of wire copies from
        the keyword index), so it costs milliseconds at a million passages.
        """
        import numpy as np

        self.catch_up()
        matrix = self.index.snapshot()
        firsts = _first_passages(matrix)
        sources = matrix.outlets
        sources.update(self.keyword.copy_outlets())
        ts = matrix.published_ts[np.asarray(firsts, dtype=np.int64)]
        dated = np.flatnonzero(ts >= 0)
        ends: list[str | None] = [None, None]
        if len(dated):
            order = [dated[ts[dated].argmin()], dated[ts[dated].argmax()]]
            ids = [matrix.passage_ids[firsts[i]] for i in order]
            got = {p.id: p.published_at for p in self._read(ids).values()}
            ends = [got.get(i) for i in ids]
        return {
            "articles": len(firsts),
            "chunks": len(matrix),
            "sources": len(sources),
            "earliest": ends[0],
            "latest": ends[1],
        }

    def coverage(self) -> list[dict[str, Any]]:
        """Articles per month of publication (UTC), oldest first: ``[{"month": "2023-10",
        "articles": 120}]`` (articles without a date are left out)."""
        from collections import Counter

        import numpy as np

        self.catch_up()
        matrix = self.index.snapshot()
        ts = matrix.published_ts[_first_passages(matrix)]
        months = np.asarray(ts[ts >= 0], dtype="datetime64[s]").astype("datetime64[M]")
        counts = Counter(str(m) for m in months)
        return [{"month": m, "articles": n} for m, n in sorted(counts.items())]

    def newest(self, n: int = 3) -> list[Passage]:
        """A passage of each of the `n` newest articles (undated ones last), from different
        outlets when the archive has several (what the chat offers example questions about)."""
        import numpy as np

        matrix = self.index.snapshot()
        order = list(np.argsort(-matrix.published_ts, kind="stable")[: 50 * n])
        picked: dict[str, str] = {}  # article id -> passage id
        outlets: set[str] = set()
        for distinct_outlets in (True, False):
            for row in order:
                article, outlet = matrix.article_ids[row], matrix.sources[row]
                if len(picked) == n or article in picked:
                    continue
                if distinct_outlets and outlet in outlets:
                    continue
                outlets.add(outlet)
                picked[article] = matrix.passage_ids[row]
        found = self._read(list(picked.values()))
        return [found[pid] for pid in picked.values() if pid in found]

    def _read(self, ids: Sequence[str]) -> dict[str, Passage]:
        return read_passages(self.keyword, self.store, list(dict.fromkeys(ids)))

    def sources(self) -> list[str]:
        """The outlets in the index, sorted (the names filters take)."""
        return sorted(self.index.snapshot().outlets)

    def _evidence(self, question: str, filters: SearchFilters | None) -> list[Passage]:
        """The passages an answer reads and counts as coverage."""
        k = max(self.settings.top_k, self.settings.answer_passages)
        return self.search(question, k, filters)

    def require_index(self) -> None:
        """Raise ConfigError when the index folder holds no index (a mistyped --index): only
        ingest creates one. A Chroma server's collection is checked when it is first used."""
        if self.settings.chroma_server or self.settings.chroma_path.is_dir():
            return
        raise ConfigError(
            f"No index at {self.settings.index_dir}",
            "check --index (or NEWSDESK_INDEX); `newsdesk ingest PATH` creates an index there",
        )

    def _require_content(self) -> None:
        if self.keyword.is_empty():  # (not the store's count: see qa.index.keyword)
            raise EmptyIndexError(
                f"The index at {self.settings.index_dir} holds no articles yet",
                "run `newsdesk ingest PATH` first (for example `newsdesk ingest data/sample`)",
            )


def _first_passages(matrix: Snapshot) -> list[int]:
    """The snapshot row of each article's first passage."""
    firsts: dict[str, int] = {}
    for row, article in enumerate(matrix.article_ids):
        firsts.setdefault(article, row)
    return list(firsts.values())


def _search_filters(fields: Mapping[str, Any]) -> SearchFilters | None:
    """SearchFilters from keyword arguments (an outlet or author may be one string); FilterError
    naming an unknown field."""
    known = ("sources", "authors", "since", "until", "as_of")
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in known:
            raise FilterError(
                f"Unknown search filter {name!r}",
                "filter by " + ", ".join(known),
                field=name,
            )
        if name in ("sources", "authors"):
            value = (value,) if isinstance(value, str) else tuple(value)
        values[name] = value
    return SearchFilters(**values) if values else None


def _require_last_question(messages: Sequence[Mapping[str, str]]) -> None:
    """A conversation must end with a question that says something."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    _require_text(str(last.get("content", "")) if last else "", "question")


def _require_text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NewsdeskError(f"The {what} is empty", f"type a {what} to ask the archive")
    return value.strip()

"""Chunking: llama-index's sentence-aware splitter, sized to fit the embedder's window."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qa.config import IngestSettings
from qa.embedding import Embedder
from qa.types import Article, Passage

MAX_HEADER_TOKENS = 48
MIN_CHUNK_TOKENS = 16


@dataclass(frozen=True)
class Chunk:
    """A passage and the text actually embedded for it (header + passage)."""

    passage: Passage
    embed_text: str


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(text: str, width: int) -> str:
    """`width` lower-case base-36 digits of the SHA-256 of `text`."""
    n = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    digits = []
    for _ in range(width):
        n, digit = divmod(n, 36)
        digits.append(_BASE36[digit])
    return "".join(digits)


@lru_cache(maxsize=1024)
def _passage_prefix(article_id: str, content_hash: str) -> str:
    return _base36(article_id, 14) + _base36(content_hash, 2)


def passage_id(article_id: str, content_hash: str, index: int) -> str:
    """Stable passage id: the same article text always gives the same ids.

    Fourteen base-36 digits of the article id's hash (72 bits: two articles of an archive of a
    hundred million share them with odds of about one in a million), two of the content hash
    (so a new version's passages rarely take the old ones' ids, and when they do, writing them
    replaces those passages, as an update should), and the passage's place: ``"…-0"``,
    18 characters for most passages. Ids are short because Chroma keeps each id in its HNSW id
    maps, rewritten whole at every persist, and in SQLite indexes. The 34-character ids of
    earlier versions (whose passages still read, and are replaced when their article changes)
    made the last quarter of 200k writes ~6% slower (`eval/bench_chroma_writes.py --ways
    packed-long-ids,packed`).
    """
    return f"{_passage_prefix(article_id, content_hash)}-{index}"


def embed_header(article: Article) -> str:
    """The line prepended to every passage before embedding: headline and outlet."""
    return f"{article.title} ({article.source})" if article.source else article.title


class Chunker:
    """Splits article bodies into passages that fit the embedder's window with their header.

    Passages are exact slices of the body: ``body[start:end] == text``.
    """

    def __init__(self, embedder: Embedder, settings: IngestSettings):
        """Passages of `settings.chunk_tokens` word pieces (None: the embedder's window less the
        header), overlapping by `settings.chunk_overlap`."""
        self._embedder = embedder
        self._tokenize = embedder.tokenizer()
        # [CLS] and [SEP] (or the model's equivalents) take two places in the window.
        self._window = embedder.max_tokens - 2
        self._chunk_tokens = settings.chunk_tokens
        self._overlap = settings.chunk_overlap
        self._splitters: dict[int, Any] = {}

    def _splitter(self, size: int) -> Any:
        if size not in self._splitters:
            from llama_index.core.node_parser import SentenceSplitter

            self._splitters[size] = SentenceSplitter(
                chunk_size=size,
                chunk_overlap=min(self._overlap, size // 4),
                tokenizer=self._tokenize,
                paragraph_separator="\n\n",
            )
        return self._splitters[size]

    def _header(self, article: Article) -> str:
        header = embed_header(article)
        words = header.split()
        while words and len(self._tokenize(" ".join(words))) > MAX_HEADER_TOKENS:
            words.pop()
        return " ".join(words)

    def embed_text(self, passage: Passage) -> str:
        """What `split` embedded for a stored passage: its header line, then its text."""
        header = self._header(Article(passage.article_id, passage.title, "", passage.source))
        return f"{header}\n{passage.text}"

    def _fits(self, header: str, text: str) -> bool:
        return len(self._tokenize(f"{header}\n{text}")) <= self._window

    def split(self, article: Article, content_hash: str) -> list[Chunk]:
        header = self._header(article)
        budget = self._window - len(self._tokenize(header)) - 2
        if self._chunk_tokens:
            budget = min(budget, self._chunk_tokens)
        budget = max(budget, MIN_CHUNK_TOKENS)
        pieces = self._pieces(article.body, header, budget)
        chunks: list[Chunk] = []
        for i, (start, end) in enumerate(pieces):
            text = article.body[start:end]
            passage = Passage(
                id=passage_id(article.id, content_hash, i),
                text=text,
                article_id=article.id,
                title=article.title,
                source=article.source,
                author=article.author,
                published_at=article.published_at,
                url=article.url,
                start=start,
                end=end,
            )
            chunks.append(Chunk(passage, f"{header}\n{text}"))
        return chunks

    def _pieces(self, body: str, header: str, budget: int) -> list[tuple[int, int]]:
        """(start, end) offsets of the passages; re-splits any piece that would not fit."""
        out: list[tuple[int, int]] = []
        cursor = 0
        for text in self._splitter(budget).split_text(body):
            start = _locate(body, text, cursor)
            end = start + len(text)
            if self._fits(header, text) or budget <= MIN_CHUNK_TOKENS:
                out.append((start, end))
            else:
                # Word-piece counts of a join can exceed the sum of its parts: split smaller.
                inner = self._pieces(text, header, max(MIN_CHUNK_TOKENS, budget * 3 // 4))
                out.extend((start + s, start + e) for s, e in inner)
            # Overlapping chunks start before the previous end; never search before this start.
            cursor = start + 1
        return out


def _locate(body: str, text: str, cursor: int) -> int:
    """Where the splitter's chunk lies in the body (it returns exact, stripped slices)."""
    found = body.find(text, cursor)
    if found < 0:
        found = body.find(text)
    if found < 0:
        raise ValueError(f"chunk not found in article body: {text[:60]!r}")
    return found

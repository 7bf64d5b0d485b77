"""Chunking: llama-index's sentence-aware splitter, sized to fit the embedder's window."""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qa.config import IngestSettings
from qa.embedding import Embedder, WordPieces, Words
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


class SliceCounter:
    """Word pieces of any slice of one text, from a single reading of its words.

    The splitter asks for the size of the article, then of each paragraph, sentence and clause
    it tries, and each was tokenised again (an article's words three or four times). When the
    model's pieces never cross whitespace (`Embedder.word_pieces`), the article's words and
    their piece counts are read once, and a slice that starts and ends between words holds the
    pieces of the words inside it: two bisections and a difference. A slice that cuts a word
    (a sentence break inside "S.'s"), a text that is not a slice of the article, or a model
    without word pieces is tokenised as before.
    """

    def __init__(self, words: WordPieces | None, tokenize: Callable[[str], list[int]]) -> None:
        self._read = words
        self._tokenize = tokenize
        self._text = ""
        self._words: Words | None = None
        self._cursor = 0

    def load(self, text: str) -> None:
        """Read `text`'s words once; later counts of its slices use them."""
        self._text, self._cursor = text, 0
        self._words = self._read(text) if self._read is not None else None

    def count(self, text: str) -> int:
        words = self._words
        if words is None or not text:
            return len(self._tokenize(text))
        # The splitter asks in reading order: look from the last slice on, then from the top.
        start = self._text.find(text, self._cursor)
        if start < 0:
            start = self._text.find(text)
            if start < 0:
                return len(self._tokenize(text))
        self._cursor = start
        end = start + len(text)
        first = bisect_right(words.ends, start)  # the first word ending after the start
        last = bisect_left(words.starts, end)  # words starting before the end
        if first < last and (words.starts[first] < start or words.ends[last - 1] > end):
            return len(self._tokenize(text))  # the slice cuts a word
        return words.before[last] - words.before[first] if first < last else 0

    def __call__(self, text: str) -> range:
        """The splitter's tokenizer: it only takes the length of what this returns."""
        return range(self.count(text))


class Chunker:
    """Splits article bodies into passages that fit the embedder's window with their header.

    Passages are exact slices of the body: ``body[start:end] == text``. Each body is tokenised
    once (`SliceCounter`), and the splitter's sizes are read from those pieces.
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
        self._counter = SliceCounter(embedder.word_pieces(), self._tokenize)
        self._lock = threading.Lock()  # the counter holds one article at a time

    def _splitter(self, size: int) -> Any:
        if size not in self._splitters:
            from llama_index.core.node_parser import SentenceSplitter

            self._splitters[size] = SentenceSplitter(
                chunk_size=size,
                chunk_overlap=min(self._overlap, size // 4),
                tokenizer=self._counter,
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

    def split(self, article: Article, content_hash: str) -> list[Chunk]:
        header = self._header(article)
        header_tokens = len(self._tokenize(header))
        budget = self._window - header_tokens - 2
        if self._chunk_tokens:
            budget = min(budget, self._chunk_tokens)
        budget = max(budget, MIN_CHUNK_TOKENS)
        with self._lock:
            self._counter.load(article.body)
            pieces = self._pieces(article.body, header_tokens, budget)
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

    def _pieces(self, body: str, header_tokens: int, budget: int) -> list[tuple[int, int]]:
        """(start, end) offsets of the passages; re-splits any piece that would not fit with
        the header (`header_tokens` pieces; the newline between them is none)."""
        out: list[tuple[int, int]] = []
        cursor = 0
        for text in self._splitter(budget).split_text(body):
            start = _locate(body, text, cursor)
            end = start + len(text)
            fits = header_tokens + self._counter.count(text) <= self._window
            if fits or budget <= MIN_CHUNK_TOKENS:
                out.append((start, end))
            else:
                # Word-piece counts of a join can exceed the sum of its parts: split smaller.
                inner = self._pieces(text, header_tokens, max(MIN_CHUNK_TOKENS, budget * 3 // 4))
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

"""Chunking: whole sentences packed into passages that fit the embedder's window."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.embedding import Embedder, WordCache
from qa.text import sentence_spans
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

    Passages are exact slices of the body (``body[start:end] == text``) made of whole
    sentences (qa.text.sentence_spans, the sentences the answerer quotes), packed greedily up
    to the budget; the next passage repeats the last sentences of the one before up to
    `overlap` word pieces. A sentence longer than the budget is cut between words. The body is
    tokenised once, word by word with each word's character offsets, and every sentence's and
    passage's size is read off those counts (llama-index's SentenceSplitter, used before,
    tokenised each sentence again for every candidate join: about half of ingest's time
    outside the model).
    """

    def __init__(self, embedder: Embedder, chunk_tokens: int | None = None, overlap: int = 24):
        self._embedder = embedder
        self._tokenize = embedder.tokenizer()
        # With a tokenizer that never joins pieces across spaces (BERT's WordPiece: WordCache),
        # a passage's size is its words' sizes added up, exactly; others are checked.
        self._exact = isinstance(self._tokenize, WordCache)
        self._word_sizes: dict[str, int] = {}
        # [CLS] and [SEP] (or the model's equivalents) take two places in the window.
        self._window = embedder.max_tokens - 2
        self._chunk_tokens = chunk_tokens
        self._overlap = overlap

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
        units = self._units(body, budget)
        out: list[tuple[int, int]] = []
        overlap = min(self._overlap, budget // 4)
        i = 0
        while i < len(units):
            j, size = i, 0
            while j < len(units) and (j == i or size + units[j][2] <= budget):
                size += units[j][2]
                j += 1
            start, end = units[i][0], units[j - 1][1]
            text = body[start:end]
            if self._exact or self._fits(header, text) or budget <= MIN_CHUNK_TOKENS:
                out.append((start, end))
            else:
                # A tokenizer whose pieces cross spaces can count a join as more than its
                # parts: split smaller.
                inner = self._pieces(text, header, max(MIN_CHUNK_TOKENS, budget * 3 // 4))
                out.extend((start + s, start + e) for s, e in inner)
            if j >= len(units):
                break
            # The next passage starts with the last sentences of this one, up to `overlap`.
            back, carried = j, 0
            while back - 1 > i and carried + units[back - 1][2] <= overlap:
                back -= 1
                carried += units[back][2]
            i = back
        return out

    def _units(self, body: str, budget: int) -> list[tuple[int, int, int]]:
        """(start, end, word pieces) of the body's sentences, those over `budget` cut between
        words into parts that fit. The body is tokenised once, word by word (each distinct
        word once per process, as qa.embedding.WordCache does)."""
        words = [m.span() for m in _WORDS.finditer(body)]
        if not words:
            return []
        starts = np.fromiter((s for s, _ in words), dtype=np.int64, count=len(words))
        sizes = np.fromiter(
            (self._pieces_of(body[s:e]) for s, e in words), dtype=np.int64, count=len(words)
        )
        before = np.concatenate([[0], np.cumsum(sizes)])  # word pieces before each word
        units: list[tuple[int, int, int]] = []
        for s, e in sentence_spans(body):
            first, last = np.searchsorted(starts, [s, e])
            n = int(before[last] - before[first])
            if n <= budget:
                units.append((s, e, n))
                continue
            # Too long for one passage: cut between words.
            cur, cur_start, cur_end = 0, -1, -1
            for k in range(first, last):
                size = int(sizes[k])
                if cur and cur + size > budget:
                    units.append((cur_start, cur_end, cur))
                    cur = 0
                if not cur:
                    cur_start = words[k][0]
                cur, cur_end = cur + size, words[k][1]
            if cur:
                units.append((cur_start, cur_end, cur))
        return units

    def _pieces_of(self, word: str) -> int:
        n = self._word_sizes.get(word)
        if n is None:
            if len(self._word_sizes) >= WORD_CACHE:
                self._word_sizes.clear()
            n = self._word_sizes[word] = len(self._tokenize(word))
        return n


WORD_CACHE = 500_000
_WORDS = re.compile(r"\S+")

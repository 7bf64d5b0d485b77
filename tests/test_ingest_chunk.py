"""Chunking: passages are exact slices of the body and fit the embedder's window."""

from __future__ import annotations

from conftest import SAMPLE_DIR
from ingest.chunk import Chunker, passage_id
from ingest.readers import read_path
from qa.config import Settings
from qa.embedding import FakeEmbedder
from qa.types import Article


def _article(body: str, title: str = "A headline") -> Article:
    return Article(id="https://example.test/a", title=title, body=body, source="Example News")


def test_passages_are_exact_slices_and_fit_window() -> None:
    embedder = FakeEmbedder(max_tokens=64)
    body = "\n\n".join(
        " ".join(f"Sentence {p}-{s} has several plain words in it." for s in range(6))
        for p in range(5)
    )
    chunks = Chunker(embedder, Settings(chunk_overlap=4).ingest).split(_article(body), "hash0001")
    assert len(chunks) > 3
    for c in chunks:
        p = c.passage
        assert body[p.start : p.end] == p.text
        assert embedder.count_tokens(c.embed_text) <= embedder.max_tokens - 2
        assert c.embed_text.startswith("A headline (Example News)\n")
    assert chunks[0].passage.start == 0 and chunks[-1].passage.end == len(body)


def test_passage_ids_are_stable_and_change_with_content() -> None:
    assert passage_id("u", "h1", 0) == passage_id("u", "h1", 0)
    assert passage_id("u", "h1", 0) != passage_id("u", "h2", 0)
    assert passage_id("u", "h1", 0) != passage_id("u", "h1", 1)
    assert passage_id("u", "h1", 1) != passage_id("u", "h1", 10)


def test_passage_ids_are_short_lower_case_and_share_their_articles_prefix() -> None:
    url = "https://www.example-news.com/2023/10/01/a-rather-long-headline-of-an-article"
    ids = [passage_id(url, "0123456789abcdef", i) for i in (0, 9, 10, 123)]
    assert [len(i) for i in ids] == [18, 18, 19, 20]
    assert all(i.isascii() and i.replace("-", "").isalnum() and i == i.lower() for i in ids)
    assert len({i[:14] for i in ids}) == 1  # the article's part
    other = passage_id(url + "-2", "0123456789abcdef", 0)
    assert other[:14] != ids[0][:14]
    # Many articles, no two passages alike.
    many = {passage_id(f"{url}/{n}", f"{n:016x}", i) for n in range(20_000) for i in range(3)}
    assert len(many) == 60_000


def test_real_tokenizer_keeps_sample_passages_within_256_word_pieces() -> None:
    from qa.embedding import SentenceTransformerEmbedder, default_model_path

    embedder = SentenceTransformerEmbedder(default_model_path(), Settings().embedding)
    assert embedder.max_tokens == 256
    [article] = list(read_path(SAMPLE_DIR / "sullivan-russia-talks.txt"))
    assert isinstance(article, Article)
    chunks = Chunker(embedder, Settings().ingest).split(article, "abcd1234")
    assert len(chunks) >= 2
    for c in chunks:
        # +2 for [CLS] and [SEP]: the whole embedded text is seen by the model.
        assert embedder.count_tokens(c.embed_text) + 2 <= 256
        assert article.body[c.passage.start : c.passage.end] == c.passage.text


def test_word_cached_tokenizer_gives_the_real_tokenizers_ids() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qa.embedding import WordCache, _word_piece_encoder, default_model_path

    cached = _word_piece_encoder(default_model_path(), None)
    assert isinstance(cached, WordCache)
    whole = cached._whole
    fixed = [
        "Sullivan spoke with Ukraine's top officials, according to The Wall Street Journal.",
        "Café déjà-vu: naïve résumé\u00a0costs $1,200.50 (about €1.1k) — “quoted”…",
        "北京 reported 東京 figures;\tline\nbreak\r\nand\u2028odd\x1cspaces\x0bhere",
        "unbelievably-long-hyphenated-word-with-numbers-123abc and emoji 🙂🙂",
        "",
        "   ",
    ]
    for text in fixed:
        assert cached(text) == whole(text), text

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=80))
    def same(text: str) -> None:
        assert cached(text) == whole(text)

    same()

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


def test_slice_counts_from_one_reading_match_tokenising_each_slice() -> None:
    """The chunker reads an article's words once; any slice's count is what tokenising the
    slice alone gives, including slices that cut a word (a sentence break inside "S.'s")."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ingest.chunk import SliceCounter
    from qa.embedding import WordCache, _word_piece_encoder, default_model_path, word_pieces_of

    encoder = _word_piece_encoder(default_model_path(), None)
    assert isinstance(encoder, WordCache)
    text = (
        "After two trying months, they dismissed S.’s claims — “factually incorrect” — and "
        "moved on.\n\nCafé owners paid $1,200.50 (about €1.1k) in 2023; 北京 reported it."
    )
    counter = SliceCounter(word_pieces_of(encoder), encoder)
    counter.load(text)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(0, len(text)), st.integers(0, len(text)))
    def same(a: int, b: int) -> None:
        piece = text[min(a, b) : max(a, b)]
        assert counter.count(piece) == len(encoder(piece)), piece

    same()
    assert counter.count("S.") == len(encoder("S."))
    assert counter.count("not in the text at all") == len(encoder("not in the text at all"))


def test_reading_words_once_gives_the_same_passages_on_real_articles() -> None:
    """Chunking with the counter and with a tokenizer call per slice (the splitter's own way)
    cut real news articles at the same places."""
    import json

    from conftest import MULTIHOP
    from qa.embedding import SentenceTransformerEmbedder, default_model_path

    corpus = MULTIHOP / "corpus.json"
    if not corpus.is_file():
        import pytest

        pytest.skip("../shared/data/multihop-rag is not here")
    embedder = SentenceTransformerEmbedder(default_model_path(), Settings().embedding)
    articles = [
        Article(a["url"], a["title"], a["body"], a.get("source", ""))
        for a in json.loads(corpus.read_text(encoding="utf-8"))[:60]
    ]
    once = Chunker(embedder, Settings().ingest)
    each = Chunker(embedder, Settings().ingest)
    each._counter._read = None  # every slice tokenised on its own
    for article in articles:
        a = [(c.passage.start, c.passage.end) for c in once.split(article, "h")]
        b = [(c.passage.start, c.passage.end) for c in each.split(article, "h")]
        assert a == b, article.id

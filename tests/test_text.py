"""Sentence spans and word normalisation used by the answerer."""

from qa.text import content_terms, sentence_spans, stem


def test_sentence_spans_cover_sentences_exactly() -> None:
    text = 'Rep. Jane Doe spoke on Monday. "We will act," she said!  Then U.S. officials left.\n\nNew para'
    spans = list(sentence_spans(text))
    got = [text[s:e] for s, e in spans]
    assert got == [
        "Rep. Jane Doe spoke on Monday.",
        '"We will act," she said!',
        "Then U.S. officials left.",
        "New para",
    ]


def test_stem_matches_inflections() -> None:
    assert stem("talks") == stem("talk") == stem("talking") == stem("talked")
    assert stem("bodies") == "body"
    assert stem("Russia's") == "russia"


def test_content_terms_drop_stop_words() -> None:
    assert content_terms("What did Sullivan eat for breakfast?") == ["sullivan", "eat", "breakfast"]

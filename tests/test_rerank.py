"""The pluggable reranking stage, with a small fake reranker and the CrossEncoder's error path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import ARCHIVE
from qa import Assistant
from qa.errors import ModelError
from qa.retrieval.rerank import RerankingRetriever
from qa.types import Passage


class WordReranker:
    """Scores a passage by how often it mentions one word."""

    def __init__(self, word: str) -> None:
        self.word = word

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        return [float(p.text.lower().count(self.word)) for p in passages]


def test_reranker_reorders_the_retrieved_passages(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    base = fake_assistant.retriever
    reranked = Assistant(
        fake_assistant.settings,
        embedder=fake_assistant.embedder,
        store=fake_assistant.store,
        retriever=RerankingRetriever(base, WordReranker("library"), depth=10),
    )
    [top, *_] = reranked.search("council city library bridge", k=3)
    assert top.title == "Council approves new library in Eastfield"
    assert top.score == float(top.text.lower().count("library"))


def test_configured_reranker_path_must_exist(tmp_path: Path) -> None:
    a = Assistant.open(tmp_path, embedder="fake", reranker_model_path=str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="Reranker model folder not found"):
        _ = a.retriever

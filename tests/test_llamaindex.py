"""newsdesk as llama-index parts, over the real sample index: the retriever's nodes (metadata,
offsets into the article), the query engine's checked answers and refusals, newsdesk's
retriever inside llama-index's own query engine, and the README example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from conftest import ROOT, SAMPLE_QUESTIONS, UNANSWERABLE
from qa import Assistant
from qa.errors import FilterError

QUESTION = next(iter(SAMPLE_QUESTIONS))


def test_the_retriever_yields_passages_as_nodes_with_metadata_and_offsets(
    sample_assistant: Assistant,
) -> None:
    retriever = sample_assistant.as_retriever(similarity_top_k=3)
    assert isinstance(retriever, BaseRetriever)
    hits = retriever.retrieve(QUESTION)
    passages = sample_assistant.search(QUESTION, k=3)
    # (one article: the hybrid retriever keeps at most two passages of it)
    assert len(hits) == len(passages) == 2 and all(isinstance(h, NodeWithScore) for h in hits)
    assert len(sample_assistant.as_retriever(similarity_top_k=1).retrieve(QUESTION)) == 1
    assert [h.node.node_id for h in hits] == [p.id for p in passages]
    assert [h.score for h in hits] == [p.score for p in passages]
    for hit in hits:
        node = hit.node
        assert isinstance(node, TextNode)
        meta = node.metadata
        assert meta["title"].startswith("Report: Jake Sullivan")
        assert meta["source"] == "Antiwar.com" and meta["author"] == "Dave DeCamp"
        assert node.ref_doc_id == meta["article_id"]
        body = sample_assistant.article(meta["article_id"]).body
        assert body[node.start_char_idx : node.end_char_idx] == node.text
        # What an LLM reads of a node: its text and the article's title and outlet, no ids.
        seen = node.get_content(metadata_mode=MetadataMode.LLM)
        assert "Antiwar.com" in seen and meta["article_id"] not in seen


def test_the_retriever_takes_search_filters(sample_assistant: Assistant) -> None:
    assert sample_assistant.as_retriever(sources="antiwar.com").retrieve(QUESTION)
    assert sample_assistant.as_retriever(since="2030-01-01").retrieve(QUESTION) == []
    with pytest.raises(FilterError, match="Bloomberg"):
        sample_assistant.as_retriever(sources=["Bloomberg"]).retrieve(QUESTION)
    with pytest.raises(FilterError, match="outlet") as err:
        sample_assistant.as_retriever(outlet="Antiwar.com")
    assert err.value.field == "outlet"


def test_the_query_engine_answers_with_the_checked_cited_answer(
    sample_assistant: Assistant,
) -> None:
    engine = sample_assistant.as_query_engine()
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(QUESTION)
    answer = sample_assistant.ask(QUESTION)
    assert str(response) == answer.text
    assert all(name in str(response) for name in SAMPLE_QUESTIONS[QUESTION])
    assert response.metadata and response.metadata["refused"] is False
    cited = sorted(int(n) for n in set(re.findall(r"\[(\d+)\]", answer.text)))
    numbers = [s.node.metadata["citation"] for s in response.source_nodes]
    assert numbers == cited == list(range(1, len(cited) + 1))
    for source, citation in zip(response.source_nodes, answer.citations, strict=True):
        meta = source.node.metadata
        assert meta["quote"] == citation.quote and citation.quote in source.node.get_content()
        body = sample_assistant.article(meta["article_id"]).body
        assert body[meta["quote_start"] : meta["quote_end"]] == citation.quote


def test_a_refusal_stays_a_refusal(sample_assistant: Assistant) -> None:
    response = sample_assistant.as_query_engine().query(UNANSWERABLE)
    answer = sample_assistant.ask(UNANSWERABLE)
    assert answer.refused and str(response) == answer.text
    assert response.metadata and response.metadata["refused"] is True
    assert response.metadata["reason"] == answer.reason
    assert response.source_nodes == []


def test_the_retriever_plugs_into_llama_index_s_own_query_engine(
    sample_assistant: Assistant,
) -> None:
    retriever = sample_assistant.as_retriever(similarity_top_k=2)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(max_tokens=5))
    response = engine.query(QUESTION)
    assert str(response) == "text text text text text"  # what MockLLM writes
    assert [s.node.node_id for s in response.source_nodes] == [
        p.id for p in sample_assistant.search(QUESTION, k=2)
    ]


def test_the_readme_example_runs(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- llamaindex-example -->\s*```python\n(.*?)```", readme, re.S)
    assert found, "README.md has the LlamaIndex example"
    code = found.group(1).replace('"data/index"', repr(str(sample_index)))
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Antiwar.com" in out and "Yuri Ushakov" in out

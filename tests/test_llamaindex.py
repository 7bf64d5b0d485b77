"""newsdesk as llama-index parts, over the real sample index: the retriever's nodes (metadata,
offsets into the article), the query engine's checked answers and refusals (whole or streamed,
with the extractive answerer and with llama-index's MockLLM writing), newsdesk's retriever
inside llama-index's own query engine, and the README example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from conftest import ROOT, SAMPLE_QUESTIONS, UNANSWERABLE, bridge_archive
from qa import Assistant
from qa.errors import EmptyIndexError, FilterError

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


def test_a_streaming_query_engine_gives_the_extractive_answer_and_its_sources(
    sample_assistant: Assistant, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = sample_assistant.as_query_engine().query(QUESTION)
    response = sample_assistant.as_query_engine(streaming=True).query(QUESTION)
    assert isinstance(response, StreamingResponse)
    # The extractive answerer writes nothing before its answer: the stream is the answer whole.
    assert list(response.response_gen) == [str(whole)]
    assert str(response) == str(whole) == response.get_response().response
    assert response.metadata and response.metadata["refused"] is False
    ids = [s.node.node_id for s in whole.source_nodes]
    assert ids and [s.node.node_id for s in response.source_nodes] == ids
    assert [s.node.metadata for s in response.source_nodes] == [
        s.node.metadata for s in whole.source_nodes
    ]
    sample_assistant.as_query_engine(streaming=True).query(QUESTION).print_response_stream()
    assert capsys.readouterr().out == str(whole) + "\n"
    refused = sample_assistant.as_query_engine(streaming=True).query(UNANSWERABLE)
    assert str(refused) == sample_assistant.ask(UNANSWERABLE).text
    assert refused.metadata and refused.metadata["refused"] is True
    # A bad filter is raised by query(), as without streaming, not from inside the stream.
    with pytest.raises(FilterError, match="Bloomberg"):
        sample_assistant.as_query_engine(streaming=True, sources="Bloomberg").query(QUESTION)


def _writes(reply: str) -> MockLLM:
    """llama-index's MockLLM writing `reply` (it writes back its prompt, character by
    character; the prompt is made `reply`)."""
    return MockLLM(messages_to_prompt=lambda messages: reply)


def test_a_streaming_query_engine_streams_an_llm_s_words_then_holds_the_checked_answer(
    tmp_path: Path,
) -> None:
    archive = bridge_archive(tmp_path)
    reply = (
        "The harbour bridge will close in March for repairs [1]. "
        "The mayor was arrested for fraud in Paris [1]."
    )
    assistant = Assistant.open(
        tmp_path / "index", llm=_writes(reply), embedder="fake", min_evidence=0.0
    )
    engine = assistant.as_query_engine(streaming=True)
    with pytest.raises(EmptyIndexError):
        engine.query("When will the harbour bridge close?")
    assistant.ingest([archive])
    response = engine.query("When will the harbour bridge close?")
    assert isinstance(response, StreamingResponse)
    pieces = []
    for piece in response.response_gen:
        assert response.source_nodes == []  # the sources come with the checked answer
        pieces.append(piece)
    # The model's words as it wrote them, then the answer its checks kept.
    assert "".join(pieces) == reply and len(pieces) > 10
    checked = "The harbour bridge will close in March for repairs. [1]"
    assert str(response) == checked == response.get_response().response
    assert [s.node.metadata["title"] for s in response.source_nodes] == ["Bridge to close"]
    assert response.source_nodes[0].node.metadata["citation"] == 1
    assert response.metadata and response.metadata["refused"] is False
    assert any("mayor was arrested" in note for note in response.metadata["notes"])
    # The same checked answer as the engine gives without streaming.
    assert str(assistant.as_query_engine().query("When will the harbour bridge close?")) == checked


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

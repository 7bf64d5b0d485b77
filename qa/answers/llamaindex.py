"""newsdesk as llama-index parts: a retriever of passages and a query engine of checked answers.

:class:`NewsdeskRetriever` is a llama-index ``BaseRetriever``: its nodes are newsdesk's passages
(``TextNode``: the passage text, its character offsets in the article as ``start_char_idx`` /
``end_char_idx``, the article as the node's source, and the article's metadata under
newsdesk's field names). :class:`NewsdeskQueryEngine` is a ``CustomQueryEngine`` whose
``Response`` is newsdesk's answer: the checked text with its [n] markers, the cited passages
as source nodes (numbered as in the text), and refusals kept as refusals; with ``streaming``
it is a :class:`NewsdeskStreamingResponse` whose text comes as the answerer writes it and
which holds the same checked answer once the stream ends. Both wrap the assistant's own search
and answer (``Assistant.as_retriever`` / ``as_query_engine``), so they take no llama-index LLM
or embedding model of their own.

Imported only when one of them is asked for: llama-index loads then, never with ``qa``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)

from qa.types import Answer, Citation, Passage

# The article's fields a node carries, by newsdesk's names (qa.types.Passage.contract_fields).
METADATA = ("article_id", "title", "source", "author", "published_at", "url")
# Left out of the text an embedding model or an LLM sees of a node (ids and links, no words).
_NOT_FOR_MODELS = ["article_id", "url", "citation", "quote", "quote_start", "quote_end"]


def passage_node(passage: Passage, citation: Citation | None = None) -> NodeWithScore:
    """`passage` as a llama-index node with its retrieval score; a cited passage's node also
    carries its citation number and quoted sentence (offsets in the article body)."""
    fields = passage.contract_fields()
    metadata: dict[str, Any] = {k: fields[k] for k in METADATA if fields[k] is not None}
    if citation is not None:
        metadata.update(
            citation=citation.n,
            quote=citation.quote,
            quote_start=citation.quote_start,
            quote_end=citation.quote_end,
        )
    node = TextNode(
        id_=passage.id,
        text=passage.text,
        metadata=metadata,
        start_char_idx=passage.start,
        end_char_idx=passage.end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.article_id)},
        excluded_embed_metadata_keys=list(_NOT_FOR_MODELS),
        excluded_llm_metadata_keys=list(_NOT_FOR_MODELS),
    )
    return NodeWithScore(node=node, score=passage.score)


def answer_response(answer: Answer) -> Response:
    """newsdesk's `answer` as a llama-index Response: the checked text, its cited passages as
    source nodes (in citation order), and in `metadata` whether it was refused, why, the
    notes on checks and fallbacks, and the Answer itself (``metadata["answer"]``)."""
    return Response(
        response=answer.text,
        source_nodes=[passage_node(c.passage, c) for c in answer.citations],
        metadata={
            "refused": answer.refused,
            "reason": answer.reason,
            "notes": list(answer.notes),
            "answer": answer,
        },
    )


class NewsdeskRetriever(BaseRetriever):
    """The passages that best match a query, best first, as scored nodes (see the module
    docstring). `search(query, k)` is the assistant's search with its filters bound."""

    def __init__(
        self,
        search: Callable[[str, int], list[Passage]],
        similarity_top_k: int,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._search = search
        self.similarity_top_k = similarity_top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._search(query_bundle.query_str, self.similarity_top_k)
        return [passage_node(p) for p in passages]


class NewsdeskStreamingResponse(StreamingResponse):
    """A streamed answer, from an answerer's stream (text pieces, then the checked Answer).

    ``response_gen`` yields the text as the answerer writes it: an LLM's words as they come
    (unchecked, as ``Assistant.ask_stream`` gives them), the extractive answer whole. Once it
    ends, the response holds the checked answer as :func:`answer_response` does: its text as
    ``response_txt`` (what ``str()`` and :meth:`get_response` give, whatever was streamed),
    the cited passages as ``source_nodes``, and ``metadata`` with the Answer itself.
    """

    def __init__(self, items: Iterator[str | Answer]) -> None:
        super().__init__(response_gen=self._pieces(items))
        self.answer: Answer | None = None

    def _pieces(self, items: Iterator[str | Answer]) -> Generator[str, None, None]:
        streamed = False
        for item in items:
            if not isinstance(item, Answer):
                if item:
                    streamed = True
                    yield item
                continue
            final = answer_response(item)
            self.answer = item
            self.response_txt = final.response
            self.source_nodes = final.source_nodes
            self.metadata = final.metadata
            if not streamed and item.text:
                yield item.text  # an answerer that does not stream: its answer, whole

    def _finish(self) -> Answer:
        for _ in self.response_gen:  # what is left of the stream (nothing once consumed)
            pass
        assert self.answer is not None, "an answerer's stream ends with its Answer"
        return self.answer

    def __str__(self) -> str:
        return self._finish().text

    def get_response(self) -> Response:
        return answer_response(self._finish())

    def print_response_stream(self) -> None:
        """Print the text as it comes (or the checked answer, when the stream was read)."""
        if self.answer is None:
            for piece in self.response_gen:
                print(piece, end="", flush=True)
            print()
        else:
            print(self.answer.text)


class NewsdeskQueryEngine(CustomQueryEngine):
    """Answers a query with newsdesk's checked, cited answer (see :func:`answer_response`).
    `ask(question)` is the assistant's ask with its filters bound; with `streaming`, `stream`
    (the assistant's ask_stream, filters bound) gives a :class:`NewsdeskStreamingResponse`."""

    ask: Callable[[str], Answer]
    stream: Callable[[str], Iterator[str | Answer]] | None = None
    streaming: bool = False

    def custom_query(self, query_str: str) -> Response | NewsdeskStreamingResponse:
        if not self.streaming:
            return answer_response(self.ask(query_str))
        if self.stream is None:
            raise ValueError("a streaming query engine needs `stream`")
        items = self.stream(query_str)
        # The first item is read now, so that a bad question or filter, or an empty index,
        # raises from query() as without streaming (not from the middle of the stream).
        first = next(items)
        return NewsdeskStreamingResponse(_chain(first, items))


def _chain(first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    yield first
    yield from rest

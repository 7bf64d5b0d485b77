"""The default embedder: a sentence-transformers model exported to ONNX, run with ONNX Runtime.

No torch at run time: texts are tokenised with the model's tokenizer.json (`tokenizers`), the
transformer runs in ONNX Runtime, and its token outputs are mean-pooled and L2-normalised as
sentence-transformers does. The same forward pass also gives each sentence of a passage its
own vector (its tokens' outputs pooled), which ingest stores for the answerer (qa.index.sentences).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import EmbeddingSettings
from qa.embedding import WordPieces, _word_piece_encoder, space_of, word_pieces_of
from qa.errors import ModelError

Spans = Sequence[tuple[int, int]]


class OnnxEmbedder:
    """An exported model (qa.onnx_export) run by ONNX Runtime on the CPU."""

    backend = "onnx"

    def __init__(
        self,
        source: Path,
        settings: EmbeddingSettings,
        variant: str,
        name: str | None = None,
    ) -> None:
        if not source.is_dir():
            raise ModelError(
                f"Embedding model folder not found: {source}",
                "set NEWSDESK_EMBED_MODEL_PATH to a sentence-transformers model folder",
            )
        tokenizer_file = source / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise ModelError(
                f"The model at {source} has no tokenizer.json, which the ONNX embedder needs",
                "set NEWSDESK_EMBEDDER=sentence-transformers for this model",
            )
        from qa.onnx_export import ensure_exported

        self.name = name or source.name
        folder = ensure_exported(source, variant, settings.model_cache_dir, self.name)
        from tokenizers import Tokenizer

        self.max_tokens = _max_tokens(source)
        self._pooling = _pooling(source)
        self._model_file = folder / "model.onnx"
        # A question's few texts run as one pass over every core; a long job (ingest) runs
        # one single-threaded pass per core at once, which keeps the cores busier than
        # threads that wait for each other at every operator, above all while the same
        # process writes to its stores (int8, 1,200 MultiHop passages, a busy writer thread
        # beside: 54.6 passages/s as one pass on two threads, 59.9 as two single-threaded).
        self._streams = settings.embed_threads or len(os.sched_getaffinity(0))
        self._session = self._open_session(self._streams)
        self._bulk_session: Any = None
        self._bulk_lock = threading.Lock()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.enable_truncation(self.max_tokens)
        self._tok.no_padding()
        self._encode = _word_piece_encoder(source, None)
        self.variant = f"onnx-{variant}"
        self.space = space_of(self.name, variant)
        self.precision = variant
        self.batch_size = settings.embed_batch_size
        self.dim = int(self._forward(["dimension probe"])[0].shape[1])
        self._lock = threading.Lock()

    def _open_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the cores are shared with the rest of the
        # process (and, on a small machine, with everything else).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(
                str(self._model_file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own kinds
            raise ModelError(
                f"ONNX Runtime could not load {self._model_file}: {exc}",
                f"delete {self._model_file.parent.parent}: the model is exported again on next use",
            ) from exc

    def _bulk(self) -> Any:
        """The single-threaded session that long jobs run `_streams` passes of at once (opened
        at the first long job: a process that only answers never needs it)."""
        if self._bulk_session is None:
            self._bulk_session = self._open_session(1)
        return self._bulk_session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_with_sentences(texts)[0]

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Spans] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, for each text with `spans` (character ranges into it), one
        vector per span: the mean of the token outputs inside it, L2-normalised (zeros when no
        token lies inside, e.g. past the window). Texts run longest first, in batches of texts
        of about one length (length_batches), so each batch pads to little."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        encodings = self._tok.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        bulk = self._streams > 1 and len(texts) > self.batch_size
        # A long job's passes run `_streams` at a time, each on a quarter of the batch size
        # (two streams): their activations together take less memory than one full batch's.
        # Ingest of 200 MultiHop articles, int8, one run each: one full batch over both cores
        # 50.2 s and 1.09 GB peak; two streams of full batches 48.2 s, 1.73 GB; of half
        # batches 45.6 s, 1.30 GB; of quarter batches 43.0 s, 1.07 GB.
        size = max(1, self.batch_size // (2 * self._streams)) if bulk else self.batch_size
        batches = length_batches(lengths, size)

        def pool(rows: list[int], hidden: np.ndarray, pooled: np.ndarray) -> None:
            vectors[rows] = pooled
            if spans is not None:
                for k, i in enumerate(rows):
                    if spans[i]:
                        sentences[i] = _pool_spans(hidden[k], encodings[i], spans[i])

        if bulk:
            with self._bulk_lock:  # one long job at a time: its passes already fill the cores
                session = self._bulk()

                def run(rows: list[int]) -> None:
                    pooled, hidden = self._run([encodings[i] for i in rows], session)
                    pool(rows, hidden, pooled)

                with ThreadPoolExecutor(self._streams, thread_name_prefix="newsdesk-onnx") as ex:
                    for done in [ex.submit(run, rows) for rows in batches]:
                        done.result()
            return vectors, sentences
        for rows in batches:
            with self._lock:  # one forward pass at a time (memory; see SentenceTransformerEmbedder)
                pooled, hidden = self._run([encodings[i] for i in rows])
            pool(rows, hidden, pooled)
        return vectors, sentences

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        encodings = self._tok.encode_batch(texts)
        pooled, hidden = self._run(encodings)
        return pooled, hidden, encodings

    def _run(self, encodings: list[Any], session: Any = None) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for k, e in enumerate(encodings):
            ids[k, : len(e.ids)] = e.ids
            mask[k, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = (session or self._session).run(None, feed)[0]
        if self._pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled), hidden

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def tokenizer(self) -> Callable[[str], list[int]]:
        return self._encode

    def word_pieces(self) -> WordPieces | None:
        return word_pieces_of(self._encode)


# A batch ends when the next text (longest first) is shorter than this share of the batch's
# longest: a forward pass costs in proportion to the padded batch, so texts of mixed lengths
# (a question's sentences: 5 to 80 word pieces) run in several small batches, passages of one
# length in full ones. (24 MultiHop sentences, int8: 146 ms in one batch, 58 ms so.)
PAD_RATIO = 0.75


def length_batches(lengths: Sequence[int], size: int) -> list[list[int]]:
    """The indices of `lengths`, longest first, in batches of at most `size` whose shortest
    is at least PAD_RATIO of their longest."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        batch = batches[-1] if batches else None
        if batch and len(batch) < size and lengths[i] >= PAD_RATIO * lengths[batch[0]]:
            batch.append(i)
        else:
            batches.append([i])
    return batches


def _pool_spans(hidden: np.ndarray, encoding: Any, spans: Spans) -> np.ndarray:
    """One vector per character span: its tokens' outputs averaged (special tokens excluded)."""
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    special = np.asarray(encoding.special_tokens_mask, dtype=bool)
    n = len(offsets)
    starts, ends = offsets[:, 0], offsets[:, 1]
    out = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        inside = (starts < b) & (ends > a) & ~special
        if inside.any():
            out[j] = hidden[:n][inside].mean(axis=0)
    return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _max_tokens(source: Path) -> int:
    try:
        config = json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or 512)
    except (OSError, ValueError):
        return 512


def _pooling(source: Path) -> str:
    """'mean' or 'cls', as the model's sentence-transformers Pooling module says."""
    try:
        config = json.loads((source / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "mean"
    if config.get("pooling_mode_cls_token") and not config.get("pooling_mode_mean_tokens"):
        return "cls"
    if config.get("pooling_mode_max_tokens") or config.get("pooling_mode_mean_sqrt_len_tokens"):
        raise ModelError(
            f"The model at {source} pools its tokens in a way the ONNX embedder does not",
            "set NEWSDESK_EMBEDDER=sentence-transformers for this model",
        )
    return "mean"

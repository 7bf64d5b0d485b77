"""A passage's record in its two homes: the metadata layout of Chroma, and the compressed
record and keyword-index passage (KeywordDoc) kept beside it in the local keyword index."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.types import Passage

_TEXT_FIELDS = ("article_id", "title", "source", "author", "published_at", "url")
# The passage text is written as this metadata key, not as a Chroma document: Chroma indexes
# every document for full-text search, which newsdesk never uses (it keeps its own BM25 index)
# and which cost more than half of each write, more as the collection grew
# (eval/bench_chroma_writes.py). Records written as documents by older versions still read.
TEXT_KEY = "text"
# Only the keys newsdesk filters on are metadata keys of their own in Chroma; the rest of a
# passage's metadata, its text included, is one JSON string under PACKED_KEY. Chroma keeps an
# SQLite row with index entries for every key of every passage, so fewer keys make cheaper
# writes (eval/bench_chroma_writes.py). Records written flat by older versions still read.
FILTER_KEYS = (
    "article_id",
    "source",
    "author",
    "published_ts",
    "content_hash",
    "written_at",
    "written_by",
)
PACKED_KEY = "record"
# A packed value begins with its write time, fixed-width, as ORDER_KEY. Chroma indexes every
# metadata string value in one SQLite B-tree; packed values that began with their title (or
# text) went in at random places of an index as large as the texts themselves, and that index
# grew costlier to write with every passage. Values that begin with the time they are written
# go in at its end (eval/bench_chroma_writes.py: 8% off the writes of 200k passages).
ORDER_KEY = "at"


@dataclass(frozen=True)
class StoredChunk:
    """A passage ready to write: the passage, its vector, its article's content hash, and its
    sentences' vectors (kept by the keyword index only)."""

    passage: Passage
    vector: np.ndarray
    content_hash: str
    chunk: int
    n_chunks: int
    also: list[dict[str, Any]] = field(default_factory=list)
    published_raw: str = ""
    sentences: bytes | None = None  # its sentences' vectors (qa.index.sentences.pack)


def chunk_metadata(item: StoredChunk, writer: str) -> dict[str, Any]:
    """The metadata a passage is written to Chroma with (before `pack_metadata`), naming the
    process that wrote it and when."""
    p = item.passage
    meta: dict[str, Any] = {f: getattr(p, f) or "" for f in _TEXT_FIELDS}
    meta.update(
        published_ts=iso_to_ts(p.published_at),
        start=p.start,
        end=p.end,
        content_hash=item.content_hash,
        chunk=item.chunk,
        n_chunks=item.n_chunks,
        also=json.dumps(item.also),
        published_raw=item.published_raw,
        written_at=time.time(),  # lets other processes find what is new (qa.index.passage_index)
        written_by=writer,
    )
    # The article's own fields, kept only when set (the file it came from, its authors, the
    # whitespace before the passage so the body rebuilds with its paragraph breaks, and
    # extras such as where its date was read).
    if p.authors:
        meta["authors"] = json.dumps(p.authors, ensure_ascii=False)
    if p.path:
        meta["path"] = p.path
    if p.lead:
        meta["lead"] = p.lead
    extra = {k: v for k, v in p.extra.items() if k != "published_raw"}
    if extra:
        meta["extra"] = json.dumps(extra, ensure_ascii=False)
    return meta


def pack_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A passage's metadata as written to Chroma: the filter keys, and the rest packed."""
    out = {k: meta[k] for k in FILTER_KEYS if k in meta}
    rest = {k: v for k, v in meta.items() if k not in FILTER_KEYS and k != ORDER_KEY}
    written = meta.get("written_at")
    if written is not None:
        rest = {ORDER_KEY: f"{float(written):017.6f}", **rest}  # first: see ORDER_KEY
    out[PACKED_KEY] = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
    return out


def unpack_metadata(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """A passage's metadata as read from Chroma, unpacked (flat records pass unchanged)."""
    out = dict(meta or {})
    packed = out.pop(PACKED_KEY, None)
    if packed is not None:
        out.update(json.loads(str(packed)))
        out.pop(ORDER_KEY, None)
    return out


def iso_to_ts(value: str | None) -> int:
    """Epoch seconds of an ISO-8601 timestamp; -1 when missing or unparseable."""
    if not value:
        return -1
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return -1
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def passage_from_record(pid: str, text: str, meta: dict[str, Any], score: float = 0.0) -> Passage:
    """Rebuild a Passage from a Chroma record (empty strings stand for missing values)."""
    return Passage(
        id=pid,
        text=text,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        source=meta.get("source") or None,
        author=meta.get("author") or None,
        published_at=meta.get("published_at") or None,
        url=meta.get("url") or None,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        score=score,
        also=json.loads(str(meta.get("also") or "[]")),
        authors=json.loads(str(meta.get("authors") or "[]")),
        path=meta.get("path") or None,
        lead=str(meta.get("lead") or ""),
        extra=_extra(meta),
    )


def _extra(meta: dict[str, Any]) -> dict[str, str]:
    """The article's extras as stored (with its date as written, published_raw)."""
    extra = {str(k): str(v) for k, v in json.loads(str(meta.get("extra") or "{}")).items()}
    if meta.get("published_raw"):
        extra["published_raw"] = str(meta["published_raw"])
    return extra


def stored_versions(metas: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, int, int]]:
    """From stored passages' metadata, per article: the content hash of the first version
    seen, the passages that version has, and how many of them are among these."""
    found: dict[str, tuple[str, int, int]] = {}
    for meta in metas:
        article = str(meta["article_id"])
        digest = str(meta.get("content_hash", ""))
        first = found.get(article, (digest, int(meta.get("n_chunks", 0)), 0))
        if digest == first[0]:
            found[article] = (first[0], first[1], first[2] + 1)
    return found


@dataclass(frozen=True)
class KeywordDoc:
    """A passage as the keyword index sees it."""

    passage_id: str
    article_id: str
    text: str
    source: str | None
    author: str | None
    published_ts: int | None
    vector: np.ndarray | None = None
    body: str = ""
    meta: dict[str, Any] | None = None  # the passage's metadata as stored in Chroma
    sentences: bytes | None = None  # its sentences' vectors (qa.index.sentences.pack)


def keyword_doc(
    passage_id: str,
    article_id: str,
    text: str,
    title: str,
    source: str | None,
    author: str | None,
    published_ts: int | None,
    vector: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
    sentences: bytes | None = None,
) -> KeywordDoc:
    """A passage for the keyword index: its text under a title / outlet header (searched),
    its record (shown) and its sentence vectors (answers)."""
    header = f"{title}\n{source}" if source else title
    return KeywordDoc(
        passage_id,
        article_id,
        f"{header}\n{text}",
        source,
        author,
        published_ts,
        vector,
        text,
        meta,
        sentences,
    )


def record_doc(pid: str, text: str, meta: dict[str, Any], vector: np.ndarray) -> KeywordDoc:
    """A stored Chroma record (id, text, metadata, vector) as a keyword-index passage."""
    ts = int(meta.get("published_ts", iso_to_ts(meta.get("published_at"))))
    return keyword_doc(
        pid,
        str(meta.get("article_id", "")),
        text,
        str(meta.get("title", "")),
        meta.get("source") or None,
        meta.get("author") or None,
        ts if ts >= 0 else None,
        vector,
        meta,
    )


def pack_record(text: str, meta: dict[str, Any]) -> bytes:
    """A passage's text and metadata (less the copy of the text Chroma keeps there) as one
    compressed record: what the keyword index keeps to show a passage without Chroma."""
    meta = {k: v for k, v in meta.items() if k != TEXT_KEY}
    return zlib.compress(json.dumps([text, meta], separators=(",", ":")).encode(), 1)


def unpack_record(blob: bytes) -> tuple[str, dict[str, Any]]:
    """`pack_record`'s blob as (text, metadata)."""
    text, meta = json.loads(zlib.decompress(blob))
    return str(text), dict(meta)


def also_listing(meta: dict[str, Any]) -> str | None:
    """The wire-copy listing of a passage's metadata, None when it has none."""
    value = str(meta.get("also") or "[]")
    return None if value == "[]" else value

"""The passage store: a Chroma collection, embedded on disk or on a Chroma server."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from qa.config import StoreSettings
from qa.errors import StoreError
from qa.index import keys
from qa.index.records import (
    PACKED_KEY,
    TEXT_KEY,
    StoredChunk,
    chunk_metadata,
    pack_metadata,
    passage_from_record,
    stored_versions,
    unpack_metadata,
)
from qa.types import Passage


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "connect" in text.lower() or isinstance(exc, ConnectionError):
        return f"cannot connect ({text})"
    return text


class ChromaStore:
    """Passages with their vectors and metadata in one Chroma collection (cosine space).

    Vectors are always passed in explicitly, so Chroma never loads an embedding model.
    """

    def __init__(
        self,
        collection: Any,
        client: Any,
        where: str,
        shared: bool = False,
        settings: StoreSettings | None = None,
    ) -> None:
        """`collection` and `client` may be None with the `settings` of an embedded store that
        exists on disk: Chroma is then opened at the first call that needs it (see `open`)."""
        self._opened: tuple[Any, Any] | None = None if collection is None else (collection, client)
        self._settings = settings
        self._opening = threading.Lock()
        self.where = where  # "the Chroma server at http://..." or "the index at ..."
        self.shared = shared  # on a server, where other processes may write too
        # The writer named on what this store writes: a process catching up with a shared
        # collection lists only what others wrote. PassageIndex.open sets it to the local
        # index folder's (PassageIndex.local_writer); a store used alone names itself.
        self.writer = uuid.uuid4().hex

    @classmethod
    def open(cls, settings: StoreSettings) -> ChromaStore:
        """Open or create the collection; raises StoreError when Chroma cannot be used.

        An embedded collection that exists on disk is opened at its first use instead: a
        question is answered from the keyword index, which reads only the collection's metadata
        (`meta`, `generation`), and importing and starting Chroma is a third of a cold
        `newsdesk ask`."""
        if not settings.chroma_server and (settings.chroma_path / _CHROMA_DB).is_file():
            return cls(None, None, f"the index at {settings.chroma_path}", settings=settings)
        return cls(*cls._connect(settings))

    @property
    def connected(self) -> bool:
        """Whether Chroma has been opened (an embedded store on disk waits for a first use)."""
        return self._opened is not None

    @property
    def _col(self) -> Any:
        return self._connection()[0]

    @property
    def _client(self) -> Any:
        return self._connection()[1]

    def _connection(self) -> tuple[Any, Any]:
        if self._opened is None:
            with self._opening:  # request threads of a server may get here at once
                if self._opened is None:
                    assert self._settings is not None
                    collection, client, _, _ = self._connect(self._settings)
                    self._opened = (collection, client)
        return self._opened

    def _metadata(self) -> dict[str, Any]:
        """The collection's metadata, read afresh."""
        if self._opened is None and self._settings is not None:
            peeked = _peek_metadata(self._settings)
            if peeked is not None:
                return peeked
        with self._reaching("read the collection of"):
            return dict(self._client.get_collection(self._col.name).metadata or {})

    @staticmethod
    def _connect(settings: StoreSettings) -> tuple[Any, Any, str, bool]:
        """(collection, client, where, shared) of the configured Chroma, the collection created
        when missing; StoreError when Chroma cannot be used."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        server = settings.chroma_server
        if server:
            host, port, https = server
            where = f"the Chroma server at {'https' if https else 'http'}://{host}:{port}"
        else:
            where = f"the index at {settings.chroma_path}"
        try:
            if server:
                token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
                client: Any = chromadb.HttpClient(
                    host=host,
                    port=port,
                    ssl=https,
                    headers={"Authorization": f"Bearer {token}"} if token else None,
                    settings=chroma_settings,
                )
                client.heartbeat()
            else:
                settings.chroma_path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(
                    path=str(settings.chroma_path), settings=chroma_settings
                )
            hnsw = {"hnsw:space": "cosine", "hnsw:construction_ef": settings.hnsw_construction_ef}
            # (Chroma applies the HNSW keys to a new collection only.)
            collection = client.get_or_create_collection(
                settings.collection, metadata=hnsw, embedding_function=None
            )
        except Exception as exc:  # chromadb raises many kinds; report them as one
            raise StoreError(
                f"Could not open {where}: {_reason(exc)}",
                "check that the server is running and the URL (and token) are right"
                if server
                else "check the path is writable, or choose another with --index",
            ) from exc
        return collection, client, where, bool(server)

    @contextmanager
    def _reaching(self, doing: str) -> Iterator[None]:
        """Chroma failures while `doing` something, as one StoreError naming the store."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"Could not {doing} {self.where}: {_reason(exc)}",
                "newsdesk carries on when the store is back; check that the Chroma server runs",
            ) from exc

    # Other processes writing to the same collection (a Chroma server) are noticed through a
    # generation token in the collection's metadata (keys.COLLECTION_GENERATION): every ingest
    # batch sets a fresh one after its writes, so a reader whose token differs knows it must
    # catch up.

    def generation(self) -> str:
        """The collection's current generation token ("" before any newsdesk write)."""
        return str(self._metadata().get(keys.COLLECTION_GENERATION, ""))

    def mark_changed(self) -> str:
        """Give the collection a fresh generation token (after writes); the token."""
        import uuid

        token = uuid.uuid4().hex
        self.set_meta({keys.COLLECTION_GENERATION: token})
        return token

    def meta(self, key: str) -> str | None:
        """A newsdesk key of the collection's metadata (read afresh), None when unset."""
        value = self._metadata().get(key)
        return None if value in (None, "") else str(value)

    def set_meta(self, values: Mapping[str, str | None]) -> None:
        """Set (or, with None, remove) keys of the collection's metadata, keeping the others."""
        with self._reaching("update the collection of"):
            current = self._client.get_collection(self._col.name).metadata or {}
            meta = {
                k: v
                for k, v in dict(current).items()
                if not k.startswith("hnsw:")  # fixed at creation; Chroma refuses them again
            }
            for key, value in values.items():
                # Chroma keeps a key once written: an unset one is written empty.
                meta[key] = "" if value is None else value
            self._col.modify(metadata=meta)

    def set_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of these stored passages (their records unchanged)."""
        if not len(ids):
            return
        with self._reaching("write vectors to"):
            self._col.update(ids=list(ids), embeddings=np.asarray(vectors, dtype=np.float32))

    def count(self) -> int:
        with self._reaching("count the passages in"):
            return int(self._col.count())

    def delete_article_passages(self, article_id: str, keep_hash: str | None = None) -> None:
        """Delete an article's passages, except those written for `keep_hash` if given."""
        where: dict[str, Any] = {"article_id": article_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        with self._reaching("delete passages from"):
            self._col.delete(where=where)

    @property
    def id(self) -> str:
        """The collection's unique id (changes when the collection is deleted and re-made)."""
        return str(self._col.id)

    def upsert(self, items: Sequence[StoredChunk]) -> list[dict[str, Any]]:
        """Write passages in one call (same id = overwrite); the metadata written, per item."""
        if not items:
            return []
        metas = [chunk_metadata(i, self.writer) for i in items]
        with self._reaching("write passages to"):
            self._col.upsert(
                ids=[i.passage.id for i in items],
                embeddings=np.stack([i.vector for i in items]).astype(np.float32),
                metadatas=[
                    pack_metadata({**m, TEXT_KEY: i.passage.text})
                    for m, i in zip(metas, items, strict=True)
                ],
            )
        return metas

    def set_also(
        self, article_id: str, also: list[dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """Record on every passage of an article the other outlets and URLs that ran it; the
        (id, metadata) written. Stamped as a new write, so other processes pick it up."""
        with self._reaching("update passages in"):
            got = self._col.get(where={"article_id": article_id}, include=["metadatas"])
            if not got["ids"]:
                return []
            stamp = {"also": json.dumps(also), "written_at": time.time(), "written_by": self.writer}
            raw = got["metadatas"] or []
            metas = [{**unpack_metadata(m), **stamp} for m in raw]
            # Each record keeps the layout it was written in (a flat one merges the stamp).
            self._col.update(
                ids=got["ids"],
                metadatas=[
                    pack_metadata(m) if PACKED_KEY in (r or {}) else m
                    for m, r in zip(metas, raw, strict=True)
                ],
            )
        return list(zip(got["ids"], metas, strict=True))

    def query(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """The k nearest passages, score = cosine similarity (1 - cosine distance)."""
        n = self.count()
        if n == 0:
            return []
        try:
            with self._reaching("search"):
                res = self._col.query(
                    query_embeddings=[np.asarray(vector, dtype=np.float32)],
                    n_results=min(k, n),
                    where=where or None,
                    include=["documents", "metadatas", "distances"],
                )
        except StoreError as exc:
            text = str(exc.__cause__).lower()
            if "no elements" in text or "nothing found" in text:
                return []  # a filter that matches nothing
            raise
        ids = res["ids"][0]
        docs = (res["documents"] or [[None] * len(ids)])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        out = []
        for pid, doc, meta, dist in zip(ids, docs, metas, dists, strict=True):
            record = unpack_metadata(meta)
            text = _text(doc, record)
            out.append(passage_from_record(pid, text, record, 1.0 - float(dist)))
        return out

    def get(self, ids: Sequence[str]) -> list[Passage]:
        if not ids:
            return []
        with self._reaching("read passages from"):
            got = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {pid: passage_from_record(pid, text, meta) for pid, text, meta, _ in _rows(got)}
        return [by_id[i] for i in ids if i in by_id]

    def article_passages(self, article_id: str) -> list[Passage]:
        """Every stored passage of one article, in body order."""
        with self._reaching("read an article from"):
            got = self._col.get(
                where={"article_id": article_id}, include=["documents", "metadatas"]
            )
        passages = [passage_from_record(pid, text, meta) for pid, text, meta, _ in _rows(got)]
        return sorted(passages, key=lambda p: (p.start, p.end))

    def article_versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """For each of these articles the collection holds (as any process wrote it): its
        content hash, the passages that version has, and how many of them are stored. What
        tells a re-ingest "unchanged" from "updated", and a complete write from a torn one."""
        if not article_ids:
            return {}
        with self._reaching("read passages from"):
            got = self._col.get(
                where={"article_id": {"$in": list(article_ids)}}, include=["metadatas"]
            )
        return stored_versions(unpack_metadata(m) for m in got["metadatas"] or [] if m)

    def metadata_written_since(
        self, since: float, batch: int = 5000, not_by: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, metadata) of the passages written at or after `since` (epoch seconds), except
        those written by the writer `not_by` (a store's `writer`)."""
        where: dict[str, Any] = {"written_at": {"$gte": since}}
        if not_by is not None:
            where = {"$and": [where, {"written_by": {"$ne": not_by}}]}
        offset = 0
        while True:
            with self._reaching("read passages from"):
                got = self._col.get(
                    where=where,
                    include=["metadatas"],
                    limit=batch,
                    offset=offset,
                )
            for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                yield pid, unpack_metadata(meta)
            if len(got["ids"]) < batch:
                return
            offset += batch

    def article_passage_ids(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The passage ids the collection holds for each of these articles."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        for i in range(0, len(article_ids), 200):
            chunk = list(article_ids[i : i + 200])
            with self._reaching("read passages from"):
                got = self._col.get(where={"article_id": {"$in": chunk}}, include=["metadatas"])
            for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                out.setdefault(str((meta or {}).get("article_id", "")), set()).add(pid)
        return out

    def records(
        self, ids: Sequence[str], vectors: bool = True
    ) -> list[tuple[str, str, dict[str, Any], np.ndarray]]:
        """These passages as (id, text, metadata, vector); the vectors empty unless wanted."""
        if not ids:
            return []
        include: Any = ["documents", "metadatas"] + (["embeddings"] if vectors else [])
        with self._reaching("read passages from"):
            got = self._col.get(ids=list(ids), include=include)
        return _rows(got)

    def iter_records(
        self, batch: int = 1000
    ) -> Iterator[tuple[str, str, dict[str, Any], np.ndarray]]:
        """Every stored passage as (id, text, metadata, vector), read in batches."""
        offset = 0
        while True:
            with self._reaching("read passages from"):
                got = self._col.get(
                    include=["documents", "metadatas", "embeddings"], limit=batch, offset=offset
                )
            yield from _rows(got)
            if len(got["ids"]) < batch:
                return
            offset += batch

    def iter_metadata(self, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every stored passage's metadata, read in batches."""
        offset = 0
        while True:
            with self._reaching("read passages from"):
                got = self._col.get(include=["metadatas"], limit=batch, offset=offset)
            metas = got["metadatas"] or []
            yield from (unpack_metadata(m) for m in metas)
            if len(metas) < batch:
                return
            offset += batch


def _text(doc: str | None, meta: dict[str, Any]) -> str:
    """A record's passage text, taken out of its metadata (or its document, when an older
    version wrote it)."""
    text = meta.pop(TEXT_KEY, None)
    return str(text) if text is not None else (doc or "")


def _rows(got: Any) -> list[tuple[str, str, dict[str, Any], np.ndarray]]:
    """A Chroma get result as (id, text, metadata without the text, vector) rows; the vector is
    empty when it was not asked for."""
    ids = got["ids"]
    docs = got.get("documents") or [None] * len(ids)
    vectors = got.get("embeddings")
    if vectors is None:
        vectors = [np.zeros(0, dtype=np.float32)] * len(ids)
    rows = []
    for pid, doc, meta, vec in zip(ids, docs, got["metadatas"] or [], vectors, strict=True):
        record = unpack_metadata(meta)
        text = _text(doc, record)
        rows.append((pid, text, record, np.asarray(vec, dtype=np.float32)))
    return rows


_CHROMA_DB = "chroma.sqlite3"  # an embedded Chroma's catalog (Chroma 1.x)


def _peek_metadata(settings: StoreSettings) -> dict[str, Any] | None:
    """An embedded collection's metadata read straight from Chroma's SQLite catalog, without
    importing or starting Chroma; None when the file does not look as expected (another Chroma
    version, no such collection): the caller then asks Chroma itself."""
    import sqlite3

    path = settings.chroma_path / _CHROMA_DB
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except (sqlite3.Error, OSError):
        return None
    try:
        found = db.execute(
            "SELECT c.id FROM collections c JOIN databases d ON d.id = c.database_id"
            " WHERE c.name = ? AND d.name = 'default_database' AND d.tenant_id = 'default_tenant'",
            (settings.collection,),
        ).fetchall()
        if len(found) != 1:
            return None
        rows = db.execute(
            "SELECT key, str_value, int_value, float_value, bool_value FROM collection_metadata"
            " WHERE collection_id = ?",
            (found[0][0],),
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    out: dict[str, Any] = {}
    for key, text, integer, real, flag in rows:
        value = next((v for v in (text, integer, real) if v is not None), None)
        out[key] = bool(flag) if value is None and flag is not None else value
    return out

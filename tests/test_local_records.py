"""A serving process reads passages from the local index's records, never from an embedded
Chroma (whose first read loads its whole HNSW index into the process), and an index made before
it kept records gets them from Chroma once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import ARCHIVE
from qa import Assistant

QUESTIONS = ("Who did Sullivan reportedly speak with?", "harbour ferry strike", "budget vote")


def _answers(assistant: Assistant) -> list[Any]:
    out: list[Any] = []
    for q in QUESTIONS:
        out.append([(p.id, p.text, p.title, p.url, p.also) for p in assistant.search(q, k=8)])
        answer = assistant.ask(q)
        out.append((answer.text, [c.passage.id for c in answer.citations]))
    first = assistant.search(QUESTIONS[0], k=1)[0]
    out.append(assistant.article(first.article_id))
    out.append(assistant.stats())
    out.append([p.id for p in assistant.newest(3)])
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records") / "index"
    Assistant.open(path, embedder="fake").ingest([ARCHIVE])
    return path


def test_serving_an_embedded_index_reads_nothing_from_chroma(index: Path) -> None:
    served = Assistant.open(index, embedder="fake")
    got = _answers(served)
    # Chroma is not even started: its metadata is read from its catalog file.
    assert not served.store.connected
    assert served.store.count() > 0  # (opened on first real use)
    assert served.store.connected
    # The same as reading every passage from Chroma.
    plain = Assistant.open(index, embedder="fake")
    plain.keyword.passages = lambda ids: {}  # type: ignore[method-assign]
    plain.keyword.article_passages = lambda article_id: None  # type: ignore[method-assign]
    assert _answers(plain) == got


def test_collection_metadata_read_from_chromas_file_equals_chromas_own(index: Path) -> None:
    from qa.index.store import _peek_metadata

    a = Assistant.open(index, embedder="fake")
    peeked = _peek_metadata(a.settings.store)
    assert peeked and peeked.get("newsdesk_generation")
    chroma = a.store._client.get_collection(a.settings.store.collection).metadata
    assert peeked == dict(chroma)
    # A collection the file does not hold: Chroma itself is asked (and makes it).
    other = Assistant.open(index, embedder="fake", collection="another")
    assert _peek_metadata(other.settings.store) is None
    assert other.store.generation() == ""
    assert other.store.connected


def test_local_records_equal_the_stored_passages(index: Path) -> None:
    a = Assistant.open(index, embedder="fake")
    ids = list(a.keyword.snapshot().passage_ids)
    local = a.keyword.passages(ids)
    assert len(local) == len(ids) == a.store.count()
    assert {p.id: p for p in a.store.get(ids)} == local


def test_an_index_without_records_gets_them_from_chroma_once(index: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(index, old)
    with sqlite3.connect(old / "keyword.sqlite") as db:  # as an index made before records
        db.execute("UPDATE docs SET record=NULL, also=NULL")
    a = Assistant.open(old, embedder="fake")
    assert a.keyword.missing_records() == []
    ids = list(a.keyword.snapshot().passage_ids)
    assert a.keyword.passages(ids) == {p.id: p for p in a.store.get(ids)}
    # Reopened, nothing is read from Chroma again.
    again = Assistant.open(old, embedder="fake")
    assert again.search("harbour ferry strike", k=3)
    assert not again.store.connected


def test_records_missing_locally_are_read_from_chroma(index: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(index, copy)
    a = Assistant.open(copy, embedder="fake")
    want = [p.id for p in a.search("harbour ferry strike", k=5)]
    with sqlite3.connect(copy / "keyword.sqlite") as db:  # lost after the index was opened
        db.execute("UPDATE docs SET record=NULL")
    assert [p.id for p in a.search("harbour ferry strike", k=5)] == want


def test_passages_are_written_packed_and_older_layouts_still_read(
    index: Path, tmp_path: Path
) -> None:
    """Chroma full-text indexes documents, which newsdesk never searches, and keeps a row per
    metadata key: the text and every key newsdesk does not filter on are one packed metadata
    value. Collections written by older versions (text as the document, or every key flat with
    the text as metadata) read the same, and keep their layout when updated."""
    import numpy as np

    from qa.index.records import FILTER_KEYS, ORDER_KEY, PACKED_KEY, TEXT_KEY

    a = Assistant.open(index, embedder="fake")
    pid = a.keyword.snapshot().passage_ids[0]
    raw = a.store._col.get(ids=[pid], include=["documents", "metadatas", "embeddings"])
    assert raw["documents"] == [None]
    [want] = a.store.get([pid])
    assert set(raw["metadatas"][0]) == {*FILTER_KEYS, PACKED_KEY}
    flat = {**raw["metadatas"][0], **json.loads(raw["metadatas"][0][PACKED_KEY])}
    del flat[PACKED_KEY], flat[ORDER_KEY]
    assert flat[TEXT_KEY] == want.text and want.text and flat["title"] == want.title
    vector = np.asarray(raw["embeddings"][0], dtype=np.float32)
    no_text = {k: v for k, v in flat.items() if k != TEXT_KEY}
    for name, write in {
        "documents": {"documents": [want.text], "metadatas": [no_text]},
        "flat": {"metadatas": [flat]},
    }.items():
        old = Assistant.open(tmp_path / name, embedder="fake")
        old.store._col.add(ids=[pid], embeddings=[vector], **write)
        assert old.store.get([pid]) == [want]
        assert old.store.records([pid])[0][:3] == a.store.records([pid])[0][:3]
        assert old.store.query(vector, 1)[0].text == want.text
        assert old.store.article_passages(want.article_id) == [want]
        also = [{"source": "Wire", "url": "https://wire.example/1", "title": "Copy"}]
        [(_, meta)] = old.store.set_also(want.article_id, also)
        assert meta["also"] == json.dumps(also) and meta["title"] == want.title
        [got] = old.store.get([pid])
        assert got.also == also and got.text == want.text and got.title == want.title
        assert PACKED_KEY not in old.store._col.get(ids=[pid])["metadatas"][0]


def test_packed_values_sort_in_the_order_they_were_written() -> None:
    """Chroma keeps every metadata string in one sorted index: packed values begin with their
    write time, so new ones go in at its end whatever their titles (qa.index.records.ORDER_KEY)."""
    from qa.index.records import FILTER_KEYS, PACKED_KEY, pack_metadata, unpack_metadata

    written = [999_999_999.5, 1_000_000_000.25, 1_764_590_000.0, 1_764_590_000.000001]
    metas = [
        {"article_id": f"a{i}", "title": title, "text": f"Body {i}", "written_at": at}
        for i, (title, at) in enumerate(
            zip(["Zebra", "Yak", "Apple", "Aardvark"], written, strict=True)
        )
    ]
    packed = [pack_metadata(m) for m in metas]
    values = [str(p[PACKED_KEY]) for p in packed]
    assert sorted(values) == values
    assert [unpack_metadata(p) for p in packed] == metas
    assert all(
        set(p) == {"article_id", "written_at", PACKED_KEY} <= {*FILTER_KEYS, PACKED_KEY}
        for p in packed
    )
    unstamped = {"article_id": "b", "title": "No time"}  # packed as before, read the same
    assert unpack_metadata(pack_metadata(unstamped)) == unstamped


def test_the_index_tells_stored_versions_as_the_store_does(index: Path) -> None:
    a = Assistant.open(index, embedder="fake")
    articles = [*sorted(set(a.keyword.snapshot().article_ids)), "no-such-article"]
    local = a.keyword.article_versions(articles)
    assert local == a.store.article_versions(articles)
    assert len(local) == len(articles) - 1
    assert all(present == n > 0 for _, n, present in local.values())

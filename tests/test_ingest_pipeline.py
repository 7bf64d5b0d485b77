"""The ingest pipeline on a real Chroma with the fake embedder: idempotence, updates, failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import ARCHIVE
from qa import Assistant
from qa.embedding import FakeEmbedder
from qa.index.records import unpack_metadata


def _ids(assistant: Assistant) -> list[str]:
    return sorted(m["article_id"] + "#" + str(m["chunk"]) for m in assistant.store.iter_metadata())


def _stored(assistant: Assistant) -> dict[str, dict[str, Any]]:
    got = assistant.store._col.get(include=["metadatas"])
    return {i: unpack_metadata(m) for i, m in zip(got["ids"], got["metadatas"], strict=True)}


def test_ingest_then_reingest_adds_nothing(fake_assistant: Assistant) -> None:
    first = fake_assistant.ingest([ARCHIVE])
    assert (first.added, first.updated, first.unchanged, first.failed) == (4, 0, 0, 0)
    assert first.passages == fake_assistant.store.count() > 0
    before = _ids(fake_assistant)
    embedder = fake_assistant.embedder
    assert isinstance(embedder, FakeEmbedder)
    calls = embedder.calls
    again = fake_assistant.ingest([ARCHIVE])
    assert (again.added, again.updated, again.unchanged, again.passages) == (0, 0, 4, 0)
    assert _ids(fake_assistant) == before
    # Nothing was embedded the second time (the embedder is called once, on an empty list).
    assert embedder.calls - calls <= 1


def test_changed_article_replaces_its_passages(fake_assistant: Assistant, tmp_path: Path) -> None:
    src = tmp_path / "one.json"
    record = json.loads((ARCHIVE / "exports.json").read_text())[0]
    src.write_text(json.dumps([record]))
    fake_assistant.ingest([src])
    old_texts = {p.text for p in fake_assistant.search("apples", k=10)}
    record["body"] = "A short corrected report: growers picked 39,000 tonnes of pears."
    src.write_text(json.dumps([record]))
    report = fake_assistant.ingest([src])
    assert (report.added, report.updated) == (0, 1)
    stored = list(fake_assistant.store.iter_metadata())
    assert len(stored) == 1 and stored[0]["article_id"] == record["url"]
    [passage] = fake_assistant.search("pears", k=5)
    assert passage.text == record["body"] and passage.text not in old_texts


def test_an_index_of_older_long_ids_keeps_them_until_an_article_changes(
    fake_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passage ids got shorter (`ingest.chunk.passage_id`). An index written with the older
    34-character ids is not re-written: unchanged articles keep theirs, and a changed article's
    new passages (new ids) replace all of its old ones, in Chroma and in the local index."""
    import ingest.chunk
    from eval.bench_chroma_writes import long_id

    src = tmp_path / "one.json"
    record = json.loads((ARCHIVE / "exports.json").read_text())[0]
    src.write_text(json.dumps([record]))
    with monkeypatch.context() as old:
        old.setattr(ingest.chunk, "passage_id", long_id)
        fake_assistant.ingest([src, ARCHIVE / "harbour-bridge.txt"])
    assert all(len(i) == 34 for i in _stored(fake_assistant))
    again = fake_assistant.ingest([src, ARCHIVE / "harbour-bridge.txt"])
    assert (again.unchanged, again.passages) == (2, 0)
    record["body"] = "A short corrected report: growers picked 39,000 tonnes of pears."
    src.write_text(json.dumps([record]))
    assert fake_assistant.ingest([src]).updated == 1
    after = _stored(fake_assistant)
    mine = [i for i, m in after.items() if m["article_id"] == record["url"]]
    assert len(mine) == 1 and len(mine[0]) == 18  # the new version, new id, nothing left over
    kept = [i for i, m in after.items() if m["article_id"] != record["url"]]
    assert kept and all(len(i) == 34 for i in kept)
    assert set(fake_assistant.keyword.snapshot().passage_ids) == set(after)
    [passage] = fake_assistant.search("pears", k=1)
    assert passage.id == mine[0] and passage.text == record["body"]


def test_bad_files_are_reported_and_the_rest_ingested(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ARCHIVE / "harbour-bridge.txt", folder)
    (folder / "broken.json").write_text("[{")
    (folder / "noise.bin").write_bytes(bytes(range(256)))
    fake_assistant.ingest([ARCHIVE / "wire.jsonl"])
    report = fake_assistant.ingest([folder])
    assert report.added == 1 and report.failed == 2
    assert any("broken.json" in f and "malformed JSON" in f for f in report.failures)
    assert any("noise.bin" in f and "unsupported" in f for f in report.failures)
    # What was indexed before is still there, once.
    assert fake_assistant.stats()["articles"] == 2


def test_same_article_twice_in_one_run_is_a_duplicate(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ARCHIVE / "wire.jsonl", folder / "a.jsonl")
    shutil.copy(ARCHIVE / "wire.jsonl", folder / "b.jsonl")
    report = fake_assistant.ingest([folder])
    assert (report.added, report.duplicate) == (1, 1)


def test_stats(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE])
    stats = fake_assistant.stats()
    assert stats["articles"] == 4
    assert stats["sources"] == 3  # Valley Gazette, Kingsport Courier, Coastal Wire
    assert stats["earliest"] == "2023-10-02T09:30:00+00:00"
    assert stats["latest"] == "2023-11-15T17:00:00+00:00"
    assert stats["chunks"] == fake_assistant.store.count()


def test_original_date_string_is_kept_beside_the_normalised_one(fake_assistant: Assistant) -> None:
    fake_assistant.ingest([ARCHIVE / "wire.jsonl"])
    [meta] = list(fake_assistant.store.iter_metadata())
    assert meta["published_at"] == "2023-11-07T06:15:00+00:00"
    assert meta["published_raw"] == "Tue, 07 Nov 2023 06:15:00 GMT"


def test_parallel_ingest_gives_the_same_index_as_one_process(tmp_path: Path) -> None:
    records = [
        {
            "title": f"Story {i}",
            "body": f"Council meeting {i} approved item {i}. " * (3 + i % 7),
            "source": f"Outlet {i % 4}",
            "url": f"https://n.example/{i}",
        }
        for i in range(90)
    ]
    archive = tmp_path / "many.jsonl"
    archive.write_text(
        "\n".join(json.dumps(r) for r in records) + "\n{not json\n", encoding="utf-8"
    )
    one = Assistant.open(tmp_path / "one", embedder="fake")
    two = Assistant.open(tmp_path / "two", embedder="fake", ingest_workers=2)
    seen: list[int] = []
    r1 = one.ingest([archive])
    r2 = two.ingest([archive], progress=lambda s: seen.append(s.articles))
    assert (r2.added, r2.passages, r2.failed) == (r1.added, r1.passages, r1.failed)
    assert (r2.added, r2.failed) == (90, 1)
    assert "many.jsonl (record 91)" in r2.failures[0]
    assert seen[-1] == 90 and seen == sorted(seen)

    def ids(a: Assistant) -> list[str]:
        return sorted(pid for pid, *_ in a.store.iter_records())

    assert ids(one) == ids(two) and two.keyword.count() == two.store.count()
    again = two.ingest([archive])
    assert (again.added, again.unchanged) == (0, 90)

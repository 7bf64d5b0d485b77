"""Article identity: wire copies folded into one story, updates, and a reset store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa import Assistant

STORY = (
    "Officials in the port city of Marlow said on Thursday that the new ferry terminal will open "
    "in April after two years of delays. The terminal cost 85 million dollars and will handle up "
    "to 12 sailings a day to the islands. Harbour master Ines Duarte said the first sailing would "
    "leave at 6 a.m. on April 3. Local businesses welcomed the news, saying the delays had cost "
    "them tourist trade during two summer seasons. The old terminal will be demolished in May "
    "and the site turned into a public park with a playground and a seafront walkway."
)


def _record(
    url: str, source: str, body: str = STORY, title: str = "Marlow ferry terminal to open in April"
) -> dict[str, Any]:
    return {
        "title": title,
        "source": source,
        "url": url,
        "author": "Wire Staff",
        "published_at": "2023-11-02T10:00:00Z",
        "body": body,
    }


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records))
    return path


def test_wire_copies_are_stored_once_and_list_every_outlet(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    # A wire copy: punctuation touched and a credit line added (similarity about 0.95).
    copy = STORY.replace("on Thursday", "on Thursday,") + "\n\nReporting by Wire Staff."
    src = _write(
        tmp_path / "wire.json",
        [
            _record("https://a.example/ferry", "Alpha Daily"),
            _record("https://b.example/news/ferry-terminal", "Beta Post", body=copy),
            _record(
                "https://c.example/ferry?id=9", "Gamma Times", title="Ferry terminal opens soon"
            ),
        ],
    )
    report = fake_assistant.ingest([src])
    assert (report.added, report.duplicate) == (1, 2)
    metas = list(fake_assistant.store.iter_metadata())
    assert {m["article_id"] for m in metas} == {"https://a.example/ferry"}
    [passage] = fake_assistant.search("ferry terminal Marlow", k=1)
    assert passage.source == "Alpha Daily"
    assert [(a["source"], a["url"]) for a in passage.also] == [
        ("Beta Post", "https://b.example/news/ferry-terminal"),
        ("Gamma Times", "https://c.example/ferry?id=9"),
    ]
    stats = fake_assistant.stats()
    assert stats["articles"] == 1 and stats["sources"] == 3
    # Again: nothing changes, the copies are still recognised.
    again = fake_assistant.ingest([src])
    assert (again.added, again.updated, again.unchanged, again.duplicate) == (0, 0, 1, 2)
    assert fake_assistant.search("ferry terminal Marlow", k=1)[0].also == passage.also


def test_copy_in_a_later_run_is_folded_into_the_indexed_story(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    fake_assistant.ingest(
        [_write(tmp_path / "one.json", [_record("https://a.example/ferry", "Alpha Daily")])]
    )
    report = fake_assistant.ingest(
        [_write(tmp_path / "two.json", [_record("https://d.example/ferry", "Delta News")])]
    )
    assert (report.added, report.duplicate) == (0, 1)
    [passage] = fake_assistant.search("ferry", k=1)
    assert passage.also == [
        {"source": "Delta News", "url": "https://d.example/ferry", "title": passage.title}
    ]


def test_different_stories_are_not_folded(fake_assistant: Assistant, tmp_path: Path) -> None:
    other = (
        STORY.replace("ferry terminal", "rail station")
        .replace("April", "June")
        .replace("85 million", "40 million")
        .replace("sailings a day to the islands", "trains an hour to the capital")
    )
    report = fake_assistant.ingest(
        [
            _write(
                tmp_path / "two.json",
                [
                    _record("https://a.example/ferry", "Alpha Daily"),
                    _record("https://a.example/rail", "Alpha Daily", body=other, title="Rail"),
                ],
            )
        ]
    )
    assert (report.added, report.duplicate) == (2, 0)


def test_update_by_url_replaces_passages_and_keeps_one_story(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    src = tmp_path / "one.json"
    _write(src, [_record("https://a.example/ferry", "Alpha Daily")])
    fake_assistant.ingest([src])
    _write(
        src,
        [
            _record(
                "https://a.example/ferry",
                "Alpha Daily",
                body="Correction: the terminal opens in May, not April.",
            )
        ],
    )
    report = fake_assistant.ingest([src])
    assert (report.added, report.updated) == (0, 1)
    texts = [p.text for p in fake_assistant.search("terminal", k=10)]
    assert texts == ["Correction: the terminal opens in May, not April."]


def test_catalog_is_rebuilt_when_the_store_is_replaced(tmp_path: Path) -> None:
    import chromadb

    index = tmp_path / "index"
    src = _write(tmp_path / "one.json", [_record("https://a.example/ferry", "Alpha Daily")])
    Assistant.open(index, embedder="fake").ingest([src])
    # Someone drops the collection: the vectors are gone, the catalog is not.
    chromadb.PersistentClient(path=str(index / "chroma")).delete_collection("newsdesk")
    report = Assistant.open(index, embedder="fake").ingest([src])
    assert report.added == 1

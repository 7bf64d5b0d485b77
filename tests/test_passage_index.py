"""The passage index's protocol: Chroma written first and the keyword index second, with the meta
keys that tell a process when the two may disagree (qa.index.passage_index)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from conftest import ROOT, make_passage
from qa.config import Settings
from qa.index import keys
from qa.index.passage_index import PassageIndex
from qa.index.records import StoredChunk
from qa.index.store import ChromaStore


def _open(folder: Path) -> PassageIndex:
    store = ChromaStore.open(Settings(index_dir=folder, embedder="fake").store)
    return PassageIndex.open(store, folder / "keyword.sqlite")


def _item(pid: str, text: str, article: str | None = None, digest: str = "h1") -> StoredChunk:
    passage = make_passage(pid, text)
    if article is not None:
        passage = replace(passage, article_id=article)
    vector = np.random.default_rng(len(pid)).standard_normal(4).astype(np.float32)
    return StoredChunk(passage, vector / np.linalg.norm(vector), digest, 0, 1)


def test_a_batch_marks_the_keyword_index_behind_until_it_commits(tmp_path: Path) -> None:
    index = _open(tmp_path)
    assert index.keyword.get_meta(keys.GENERATION) == index.store.generation() != ""
    index.begin()
    assert index.keyword.get_meta(keys.GENERATION) == ""
    reached: list[str] = []
    index.write(
        [_item("p1", "Ferry workers voted to strike."), _item("p2", "The council met.")],
        checkpoint=reached.append,
    )
    assert reached == ["chroma", "keyword"]
    assert index.keyword.count() == index.store.count() == 2
    token = index.commit()
    assert index.store.generation() == token == index.keyword.get_meta(keys.GENERATION)
    assert index.snapshot().passage_ids == ["p1", "p2"]


def test_a_batch_killed_between_the_two_writes_is_repaired_on_open(tmp_path: Path) -> None:
    index = _open(tmp_path)
    index.begin()
    index.store.upsert([_item("p1", "Written to Chroma only: the process died here.")])
    reopened = _open(tmp_path)
    assert reopened.keyword.count() == reopened.store.count() == 1
    assert reopened.keyword.get_meta(keys.GENERATION) == reopened.store.generation() != ""
    assert reopened.keyword.passages(["p1"])["p1"].text.startswith("Written to Chroma only")


def test_replacing_an_article_and_its_wire_copies_reach_both_stores(tmp_path: Path) -> None:
    index = _open(tmp_path)
    index.write([_item("old", "The first version.", article="art", digest="h1")])
    index.write([_item("new", "The second version.", article="art", digest="h2")])
    index.replace_article("art", "h2", keep=["new"])
    assert index.store.article_passage_ids(["art"]) == {"art": {"new"}}
    assert index.keyword.article_passage_ids(["art"]) == {"art": {"new"}}
    assert index.versions(["art", "missing"]) == {"art": ("h2", 1, 1)}
    copy = {"source": "Harbour Herald", "url": "https://herald.test/x", "title": "Copy"}
    index.set_wire_copies("art", [copy])
    assert index.keyword.passages(["new"])["new"].also == [copy]
    assert index.store.get(["new"])[0].also == [copy]
    assert index.keyword.copy_outlets() == {"Harbour Herald"}


def test_the_index_meta_keys_are_spelled_only_in_qa_index_keys() -> None:
    # "schema" and "version" are common words elsewhere (OpenAPI, feeds); the rest are not.
    names = [
        value
        for name, value in vars(keys).items()
        if name.isupper() and name not in ("SCHEMA", "VERSION")
    ]
    literal = re.compile("|".join(rf"[\"']{re.escape(n)}[\"']" for n in names))
    for folder in ("qa", "ingest"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "qa" / "index" / "keys.py":
                continue
            found = literal.search(path.read_text(encoding="utf-8"))
            assert found is None, (
                f"{path.relative_to(ROOT)} spells {found.group(0) if found else ''}"
            )

"""The HNSW configuration newsdesk gives a Chroma collection it creates (real embedded Chroma)."""

from __future__ import annotations

from pathlib import Path

from qa.config import Settings
from qa.index.store import ChromaStore


def _construction_ef(store: ChromaStore) -> int:
    return int(store._col.configuration["hnsw"]["ef_construction"])


def test_a_new_collection_takes_the_configured_construction_ef_and_keeps_it(
    tmp_path: Path,
) -> None:
    assert Settings(index_dir=tmp_path).hnsw_construction_ef == 32
    store = ChromaStore.open(Settings(index_dir=tmp_path, hnsw_construction_ef=40).store)
    assert _construction_ef(store) == 40
    assert store._col.configuration["hnsw"]["space"] == "cosine"
    # An existing collection keeps the graph it was built with.
    again = ChromaStore.open(Settings(index_dir=tmp_path, hnsw_construction_ef=100).store)
    assert _construction_ef(again) == 40

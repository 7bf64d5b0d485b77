"""What a Chroma write costs, and how the cost grows with the collection, by what is written.

    python -m eval.bench_chroma_writes --archive bench-out/scale/archive-10000.jsonl

Upserts `--passages` random 384-d vectors in batches of 500 into a fresh embedded collection,
with newsdesk-like metadata (sixteen keys), six ways: the passage text as Chroma's document
(which Chroma also indexes for full-text search, with trigrams; what newsdesk did first), the
text as one more metadata key (what it did next), the filter keys flat and the rest, text
included, packed into one value that begins with the title (`packed-by-title`, what it did
next), the same beginning with the write time (`packed`: `qa.index.records.pack_metadata`,
what newsdesk does now), that with the 34-character passage ids newsdesk wrote before
(`packed-long-ids`), and no text at all. Passage ids are newsdesk's (`ingest.chunk.passage_id`)
but for that one. Reports the seconds in all, and passages per second over the first and the
last quarter of the batches. Texts are 1,200-character slices of the archive's article bodies,
titles its titles (shuffled); `--ways` picks some of the six.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import passage_id
from qa.config import Settings
from qa.index.records import ORDER_KEY, PACKED_KEY, TEXT_KEY, pack_metadata

BATCH = 500
WAYS = ("document", "metadata", "packed-by-title", "packed", "packed-long-ids", "none")


def long_id(article_id: str, content_hash: str, index: int) -> str:
    """A passage id as newsdesk made them before `ingest.chunk.passage_id` (34 characters)."""
    digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:20]
    return f"{digest}-{content_hash[:8]}-{index:04d}"


def run(
    texts: list[str], titles: list[str], where: str, passages: int, folder: Path
) -> dict[str, float]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(folder / where), settings=ChromaSettings(anonymized_telemetry=False)
    )
    hnsw = {"hnsw:space": "cosine", "hnsw:construction_ef": Settings().hnsw_construction_ef}
    col = client.create_collection("bench", metadata=hnsw)  # as qa.index.store makes them
    rng = np.random.default_rng(0)
    took: list[float] = []
    for b in range(passages // BATCH):
        metas: list[dict[str, Any]] = [
            {
                "article_id": f"a{b}-{i // 3}",
                "title": titles[(b * BATCH + i) // 3 % len(titles)],
                "source": f"Outlet {i % 40}",
                "author": f"Author {i % 300}",
                "published_at": "2023-10-01T12:00:00+00:00",
                "url": f"https://outlet.example/{b}/{i // 3}",
                "published_ts": 1696161600 + b,
                "start": i * 1000,
                "end": i * 1000 + 1200,
                "content_hash": f"{b:08x}{i // 3:08x}",  # the article's
                "chunk": i % 3,
                "n_chunks": 3,
                "also": "[]",
                "published_raw": "Sun, 01 Oct 2023 12:00:00 GMT",
                "written_at": time.time(),
                "written_by": "0123456789abcdef0123456789abcdef",
            }
            for i in range(BATCH)
        ]
        body = [f"{texts[(b * BATCH + i) % len(texts)]} ({b}-{i})" for i in range(BATCH)]
        make_id = long_id if where == "packed-long-ids" else passage_id
        write: dict[str, Any] = {
            "ids": [make_id(m["article_id"], m["content_hash"], m["chunk"]) for m in metas],
            "embeddings": rng.standard_normal((BATCH, 384)).astype(np.float32),
            "metadatas": metas,
        }
        if where == "document":
            write["documents"] = body
        elif where == "metadata":
            for meta, text in zip(metas, body, strict=True):
                meta[TEXT_KEY] = text
        elif where in ("packed", "packed-by-title", "packed-long-ids"):
            write["metadatas"] = [
                pack_metadata({**meta, TEXT_KEY: text})
                for meta, text in zip(metas, body, strict=True)
            ]
            if where == "packed-by-title":  # the layout before qa.index.records.ORDER_KEY
                for meta in write["metadatas"]:
                    rest = json.loads(meta[PACKED_KEY])
                    del rest[ORDER_KEY]
                    meta[PACKED_KEY] = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
        started = time.perf_counter()
        col.upsert(**write)
        took.append(time.perf_counter() - started)
    quarter = max(1, len(took) // 4)
    return {
        "seconds": round(sum(took), 1),
        "first_quarter_per_s": round(BATCH * quarter / sum(took[:quarter])),
        "last_quarter_per_s": round(BATCH * quarter / sum(took[-quarter:])),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="a JSONL of articles")
    parser.add_argument("--passages", type=int, default=20_000)
    parser.add_argument(
        "--ways", default=",".join(WAYS), help="comma-separated, of " + ", ".join(WAYS)
    )
    args = parser.parse_args(argv)
    ways = [w for w in args.ways.split(",") if w]
    if unknown := set(ways) - set(WAYS):
        parser.error(f"unknown --ways: {', '.join(sorted(unknown))}")
    with args.archive.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in islice(lines, 2000)]
    texts = [str(r["body"])[:1200] for r in records]
    titles = [f"{r.get('title') or 'Untitled'} ({i})" for i, r in enumerate(records)]
    random.Random(0).shuffle(titles)
    folder = Path(tempfile.mkdtemp(prefix="chroma-writes-"))
    try:
        out = {w: run(texts, titles, w, args.passages, folder) for w in ways}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"passages": args.passages, "text_as": out}, indent=2))


if __name__ == "__main__":
    main()

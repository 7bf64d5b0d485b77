"""`newsdesk reindex`: re-embed every stored passage with the configured embedder, in place.

Passages keep their ids, text and metadata; only their vectors (and sentence vectors) change,
in Chroma and in the keyword index. Crash safety: the collection first records the vector
space being moved to (`keys.SPACE_TARGET`); batches go in passage-id order, each written to
Chroma, then to the keyword index (PassageIndex.set_vectors), then recorded as done
(`keys.REINDEX_CURSOR`); the index's own space is set and the target removed only at the end.
An index with a target is refused by every other command until a reindex finishes it; a
reindex killed at any moment resumes after its last recorded batch (a batch written but not
recorded is written again, to the same effect).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest import failpoints
from ingest.chunk import Chunk, Chunker
from ingest.parallel import embed_chunks
from qa.embedding import Embedder
from qa.errors import ConfigError
from qa.index import keys
from qa.index.passage_index import PassageIndex

BATCH = 256


@dataclass
class ReindexReport:
    """What a reindex did: the spaces moved from and to, passages re-embedded, seconds."""

    before: str | None
    after: str
    passages: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def reindex(
    index: PassageIndex,
    embedder: Embedder,
    before: str | None,
    chunker: Chunker,
    progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Re-embed the index in place with `embedder` (its vectors move from the space `before`
    to the embedder's). Resumes an interrupted reindex to the same space; starts over when the
    interrupted one was to another. Raises ConfigError for an embedder without a space."""
    target = getattr(embedder, "space", None)
    if not target:
        raise ConfigError(
            "The configured embedder does not name its vector space", "use a newsdesk embedder"
        )
    started = time.perf_counter()
    store = index.store
    if store.meta(keys.SPACE_TARGET) != target:
        if before == target:
            return ReindexReport(before, target, 0, 0.0)  # nothing to do
        store.set_meta({keys.SPACE_TARGET: target, keys.REINDEX_CURSOR: None})
    total, done = index.keyword.count(), 0
    after = store.meta(keys.REINDEX_CURSOR) or ""
    for passages in index.keyword.iter_passages(after=after, batch=BATCH):
        chunks = [Chunk(p, chunker.embed_text(p)) for p in passages]
        vectors, sentences = embed_chunks(embedder, chunks)
        ids = [p.id for p in passages]
        index.set_vectors(ids, vectors, sentences, checkpoint=failpoints.reached)
        store.set_meta({keys.REINDEX_CURSOR: ids[-1]})
        done += len(ids)
        if progress:
            progress(done, total)
    store.set_meta({keys.SPACE: target, keys.SPACE_TARGET: None, keys.REINDEX_CURSOR: None})
    index.commit()
    return ReindexReport(before, target, done, round(time.perf_counter() - started, 3))

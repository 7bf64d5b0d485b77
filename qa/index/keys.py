"""The index's meta keys, named once: those of the local keyword index and those of the Chroma
collection that the protocol between them (qa.index.passage_index) and a reindex read and write.
"""

from __future__ import annotations

# In the keyword index's `meta` table (keyword.sqlite, one per index folder).
SCHEMA = "schema"  # the layout of the file (qa.index.schema.SCHEMA_VERSION)
VERSION = "version"  # bumped by every write the searchable snapshot must see
GENERATION = "generation"  # the collection's generation this index holds all of ("" = behind)
WRITTEN_HWM = "written_hwm"  # the newest `written_at` read from the collection (epoch seconds)
WRITER = "writer"  # the name what is written through this index folder is stamped with

# In the Chroma collection's metadata (shared by every process using the collection).
COLLECTION_GENERATION = "newsdesk_generation"  # a fresh token after every ingest batch
SPACE = "newsdesk_embed_space"  # the vector space of the stored vectors
SPACE_TARGET = "newsdesk_embed_space_target"  # the space an unfinished reindex moves them to
REINDEX_CURSOR = "newsdesk_reindex_after"  # the last passage id an unfinished reindex wrote

"""Ingest: read archives into Articles, chunk them into passages, embed and upsert them."""

from ingest.pipeline import ingest_paths

__all__ = ["ingest_paths"]

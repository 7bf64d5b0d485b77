"""Ingest: read archives into Articles, chunk them into passages, embed and store them."""

from ingest.pipeline import Ingestor, IngestProgress

__all__ = ["IngestProgress", "Ingestor"]

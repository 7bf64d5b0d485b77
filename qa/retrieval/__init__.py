"""Retrieval: question understanding, filters, the retrievers, the hybrid's signals and blend."""

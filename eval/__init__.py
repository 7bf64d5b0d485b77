"""Retrieval benchmarks: official MultiHop-RAG metrics, article recall and latency per retriever."""

from eval.runner import run_retrieval_eval

__all__ = ["run_retrieval_eval"]

"""Importing the package stays light: no torch, chromadb, gradio or llama-index at import time."""

import subprocess
import sys

HEAVY = ("torch", "chromadb", "gradio", "sentence_transformers", "llama_index", "transformers")


def test_import_qa_pulls_in_no_heavy_library() -> None:
    code = f"import sys, qa, qa.cli, ingest; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_names() -> None:
    import qa

    for name in ("Assistant", "Answer", "Citation", "Passage", "Settings", "NewsdeskError"):
        assert hasattr(qa, name)

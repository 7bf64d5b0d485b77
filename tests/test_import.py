"""Importing the package stays light: no torch, chromadb, gradio or llama-index at import time."""

import subprocess
import sys

HEAVY = ("torch", "chromadb", "gradio", "sentence_transformers", "llama_index", "transformers")


def test_import_qa_pulls_in_no_heavy_library() -> None:
    code = f"import sys, qa, qa.cli, ingest; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cli_loads_eval_and_the_web_app_by_name_only() -> None:
    """qa sits below eval and app: the CLI's `eval` and `serve` load them when they run."""
    code = (
        "import sys, qa, qa.cli, qa.assistant; "
        "print([m for m in ('eval', 'app') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_names() -> None:
    import qa

    for name in ("Assistant", "Answer", "Citation", "Passage", "Settings", "NewsdeskError"):
        assert hasattr(qa, name)

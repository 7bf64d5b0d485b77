"""Imports flow one way: ingest -> index <- retrieval/answers <- assistant <- cli/http/web.

Every import statement of `qa/`, `ingest/` and `app.py` (at module level or inside a function,
read from the source, so lazy imports count too) must point at its own layer or a lower one.
docs/architecture.md draws the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

# Lower numbers are lower layers; a module may import its own layer and any lower one.
RANK = {
    "foundation": 0,  # types, config, errors, embedding, nlp, text, ...
    "index": 1,  # qa/index/
    "ingest": 2,  # ingest/ writes through the index
    "retrieval": 2,  # qa/retrieval/ reads the index
    "answers": 2,  # qa/answers/ reads passages (and may use retrieval's question reading)
    "facade": 3,  # qa/assistant.py, the composition root, and what only they use
    "surface": 4,  # qa/cli.py, qa/serve/, app.py
}
SIDEWAYS = {("answers", "retrieval")}  # answers read a question's outlets as retrieval does

FACADE = {"assistant", "backends", "browse", "progress"}
SURFACE = {"serve", "cli"}


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "ingest":
        return "ingest"
    if parts[0] in ("app", "eval"):
        return "surface"
    if parts[0] != "qa":
        return None  # a third-party or standard-library module
    if len(parts) == 1:
        return "facade"  # `from qa import Assistant`
    sub = parts[1]
    if sub in ("index", "retrieval", "answers"):
        return sub
    if sub in FACADE:
        return "facade"
    if sub in SURFACE:
        return "surface"
    return "foundation"


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_imports_point_down_the_layers() -> None:
    sources = [*ROOT.glob("qa/**/*.py"), *ROOT.glob("ingest/**/*.py"), ROOT / "app.py"]
    assert len(sources) > 50
    wrong = []
    for path in sources:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        mine = layer(module)
        assert mine is not None
        for imported in _imports(path):
            theirs = layer(imported)
            if theirs is None or theirs == mine or (mine, theirs) in SIDEWAYS:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{module} ({mine}) imports {imported} ({theirs})")
    assert wrong == []


def test_the_layer_map_reads_the_tree_as_drawn() -> None:
    """The check above is only as good as its map: spot-check it."""
    assert layer("qa.index.keyword") == "index"
    assert layer("qa.retrieval.hybrid") == "retrieval"
    assert layer("qa.answers.extractive") == "answers"
    assert layer("qa.assistant") == "facade"
    assert layer("qa.serve.http_api") == "surface"
    assert layer("qa.cli") == "surface"
    assert layer("qa.types") == "foundation"
    assert layer("ingest.pipeline") == "ingest"
    assert layer("numpy") is None

"""Settings: the only source of defaults, flat for users, handed to components in groups."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conftest import ARCHIVE
from qa import Assistant, backends
from qa.answers.extractive import ExtractiveAnswerer
from qa.answers.llm import LLMAnswerer
from qa.config import GROUPS, AnswerSettings, Settings
from qa.embedding import FakeEmbedder


def test_every_setting_belongs_to_exactly_one_group() -> None:
    grouped = [f.name for group in GROUPS for f in dataclasses.fields(group)]
    assert sorted(grouped) == sorted(Settings.model_fields)
    # A group restates no default: its values come from a Settings.
    assert all(
        f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        for group in GROUPS
        for f in dataclasses.fields(group)
    )


def test_groups_carry_the_settings_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_TOP_K", "7")
    settings = Settings(answer_passages=3, llm_timeout=9.5, chunk_overlap=5, port=8123)
    assert settings.retrieval.top_k == 7
    assert settings.answers == AnswerSettings(
        answer_passages=3,
        max_answer_sentences=settings.max_answer_sentences,
        ner_model=settings.ner_model,
        min_evidence=settings.min_evidence,
        min_coverage=settings.min_coverage,
    )
    assert (settings.llm.llm_timeout, settings.ingest.chunk_overlap) == (9.5, 5)
    assert (settings.server.port, settings.store.index_dir) == (8123, settings.index_dir)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.answers.min_evidence = 0.0  # type: ignore[misc]


def test_both_answerers_read_answer_passages() -> None:
    settings = Settings(
        answer_passages=3,
        max_answer_sentences=2,
        answerer="openai",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="m",
    )
    answerer = backends.build_answerer(settings, FakeEmbedder())
    assert isinstance(answerer, LLMAnswerer)
    assert answerer.reader.read_passages == 3 and answerer._read == 3
    plain = ExtractiveAnswerer(FakeEmbedder(), settings.answers)
    assert plain.reader.read_passages == 3 and plain._max_sentences == 2
    # The LLM and the answerer follow the llm group's timeout and token budget.
    assert answerer._timeout == settings.llm_timeout
    slow = settings.model_copy(update={"llm_timeout": 7})
    llm = backends.build_llm(slow)
    assert (llm.timeout, llm.max_tokens) == (7, slow.llm_max_tokens)


def test_cli_search_returns_top_k_passages_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.cli import main

    Assistant.open(tmp_path / "ix", embedder="fake").ingest([ARCHIVE])
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake")
    monkeypatch.setenv("NEWSDESK_TOP_K", "2")
    try:
        main(["--index", str(tmp_path / "ix"), "search", "council", "--json"])
    except SystemExit as exc:
        assert not exc.code
    assert [r["rank"] for r in json.loads(capsys.readouterr().out)] == [1, 2]


# Parameter names components used for a setting (parameter -> Settings field).
_SAID_OTHERWISE = {
    "max_sentences": "max_answer_sentences",
    "read_passages": "answer_passages",
    "depth": "rerank_depth",
    "overlap": "chunk_overlap",
    "threshold": "dedup_threshold",
    "timeout": "llm_timeout",
    "max_tokens": "llm_max_tokens",
    "temperature": "llm_temperature",
    "batch_size": "embed_batch_size",
    "threads": "embed_threads",
    "variant": "embed_variant",
    "k": "top_k",
    "workers": "ingest_workers",
}


def test_no_component_restates_a_setting_default() -> None:
    """A parameter named after a setting never defaults to that setting's default value."""
    import ast

    root = Path(__file__).resolve().parents[1]
    defaults = {name: f.default for name, f in Settings.model_fields.items()}
    found = []
    for path in sorted([*root.glob("qa/**/*.py"), *root.glob("ingest/**/*.py")]):
        if path.name == "config.py" and path.parent.name == "qa":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [
                *zip(
                    positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
                ),
                *(
                    (a, d)
                    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                    if d is not None
                ),
            ]
            for arg, default in pairs:
                field = _SAID_OTHERWISE.get(arg.arg, arg.arg)
                if field not in defaults or not isinstance(default, ast.Constant):
                    continue
                # (None and a flag's False mean "not given": the setting then applies.)
                if default.value in (None, False):
                    continue
                if default.value == defaults[field]:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {arg.arg}")
    assert found == []

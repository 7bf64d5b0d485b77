"""The `newsdesk eval` commands: benchmark retrieval on a query set with gold evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eval.runner import RETRIEVERS

eval_app = typer.Typer(
    help="Measure retrieval quality and speed on question sets with gold evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@eval_app.callback()
def _eval() -> None:
    """Measure retrieval quality and speed on question sets with gold evidence."""


def _check_retrievers(values: list[str] | None) -> list[str] | None:
    """Reject names other than bm25, dense and hybrid."""
    for value in values or []:
        if value not in RETRIEVERS:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(RETRIEVERS)}")
    return values


@eval_app.command()
def retrieval(
    corpus: Annotated[
        Path,
        typer.Option(help="Articles to search: a file (e.g. MultiHop-RAG corpus.json) or folder."),
    ],
    queries: Annotated[
        Path,
        typer.Option(help="JSON query file with gold evidence (format: see eval/datasets.py)."),
    ],
    k: Annotated[
        int, typer.Option("--k", "-k", min=1, max=100, help="Passages retrieved per query.")
    ] = 10,
    retriever: Annotated[
        list[str] | None,
        typer.Option(
            "--retriever",
            help="Retriever to evaluate: bm25, dense or hybrid; repeat for several "
            "(default: all three).",
            callback=_check_retrievers,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for the index, retrieval.json, runs and the chart.")
    ] = Path("eval-out"),
    limit: Annotated[
        int | None, typer.Option(min=1, help="Evaluate only the first N answerable queries.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Ingest CORPUS into OUT/index, run every query through each retriever and score it.

    Official MRR@10, MAP@10, Hits@4, Hits@10; gold-article recall@10, all-gold@10; latency.
    """
    from eval.report import format_table
    from eval.runner import run_retrieval_eval

    def progress(message: str) -> None:
        typer.echo(message, err=True)

    results = run_retrieval_eval(
        corpus,
        queries,
        out,
        retrievers=retriever or list(RETRIEVERS),
        k=k,
        limit=limit,
        progress=progress,
    )
    if as_json:
        typer.echo(json.dumps(results, indent=2))
    else:
        typer.echo(format_table(results))
    typer.echo(f"wrote {out / 'retrieval.json'} and {out / 'retrieval.png'}", err=as_json)


@eval_app.command()
def answers(
    corpus: Annotated[
        Path, typer.Option(help="Articles to ask about: a file (e.g. corpus.json) or folder.")
    ],
    queries: Annotated[
        Path,
        typer.Option(help="JSON query file with gold evidence and answers (see eval/datasets.py)."),
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for the index, answers.json and answers-runs.jsonl.")
    ] = Path("eval-out"),
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Ask only the first N answerable and N null queries."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Ask every query (null ones too) and score refusals, citations, answers and latency."""
    from eval.answers import format_answer_table, run_answer_eval

    results = run_answer_eval(
        corpus, queries, out, limit=limit, progress=lambda m: typer.echo(m, err=True)
    )
    typer.echo(json.dumps(results, indent=2) if as_json else format_answer_table(results))
    typer.echo(f"wrote {out / 'answers.json'} and {out / 'answers-runs.jsonl'}", err=as_json)


@eval_app.command()
def pages(
    pages_dir: Annotated[Path, typer.Option("--pages", help="Folder of HTML pages to ingest.")],
    texts: Annotated[
        Path | None, typer.Option(help="Folder of expected article texts (NAME.txt).")
    ] = None,
    expected: Annotated[
        Path | None,
        typer.Option(help="Hand-checked metadata (JSON; e.g. eval/data/real_pages_expected.json)."),
    ] = None,
    not_articles: Annotated[
        Path | None,
        typer.Option(help="Pages whose expected text is not their article (JSON page: reason)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write real_pages.json here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest a folder of web pages; score stored bodies (word-shingle F1) and metadata."""
    from eval.real_pages import main as real_pages

    argv = ["--pages", str(pages_dir)]
    options = (
        ("--texts", texts),
        ("--expected", expected),
        ("--not-articles", not_articles),
        ("--out", out),
    )
    for flag, value in options:
        if value is not None:
            argv += [flag, str(value)]
    real_pages(argv + (["--json"] if as_json else []))

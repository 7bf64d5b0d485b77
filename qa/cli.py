"""The `newsdesk` command line; the one place (with the web chat) where errors are rendered."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer

from qa.errors import NewsdeskError

app = typer.Typer(
    help="Ask questions of a news archive and get answers with numbered citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    """Global options of the current invocation."""

    overrides: ClassVar[dict[str, Any]] = {}
    debug: ClassVar[bool] = False


def _register_subcommands() -> None:
    from eval.cli import eval_app

    app.add_typer(eval_app, name="eval", help="Measure retrieval quality on your own archive.")


_register_subcommands()


def _assistant(create: bool = False) -> Any:
    """The assistant of this invocation; unless `create` (ingest), the index must exist."""
    from qa.assistant import Assistant

    assistant = Assistant.open(**_State.overrides)
    if not create:
        assistant.require_index()
    return assistant


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.callback()
def _global(
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Index directory [default: ./data/index or $NEWSDESK_INDEX]."),
    ] = None,
    chroma_url: Annotated[
        str | None,
        typer.Option(
            "--chroma-url",
            help="Use the Chroma server at this URL (http://host:port) instead of embedded "
            "Chroma [$NEWSDESK_CHROMA_URL; token: $NEWSDESK_CHROMA_TOKEN].",
        ),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(help="Chroma collection (several archives can share one server)."),
    ] = None,
    chroma_host: Annotated[
        str | None, typer.Option(help="Chroma server host (or use --chroma-url).")
    ] = None,
    chroma_port: Annotated[int | None, typer.Option(help="Port of the Chroma server.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    overrides: dict[str, Any] = {}
    if index is not None:
        overrides["index_dir"] = index
    if chroma_url:
        overrides["chroma_url"] = chroma_url
    if collection:
        overrides["collection"] = collection
    if chroma_host:
        overrides["chroma_host"] = chroma_host
    if chroma_port:
        overrides["chroma_port"] = chroma_port
    _State.overrides = overrides
    _State.debug = debug


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles.")],
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-f",
            help="Map a field to your export's name, e.g. --field body=story --field "
            "published_at=time (fields: body, title, published_at, source, author, url).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, max=64, help="Processes that chunk and embed [1]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Read, chunk, embed and index articles: text, Markdown, JSON, JSONL, CSV, HTML, RSS/Atom,
    WARC (and .gz of each). Unchanged articles are skipped, so it is safe to re-run."""
    from qa.progress import ProgressPrinter

    field_map = _field_map(field or [])
    assistant = _assistant(create=True)
    printer = ProgressPrinter(quiet=quiet)
    try:
        report = assistant.ingest(paths, field_map=field_map, progress=printer, workers=workers)
    finally:
        printer.close()
    if as_json:
        # Failures for machines: {path, record, reason} (record: None for a whole file).
        data = report.to_dict()
        data["failures"] = data.pop("failed_items")
        _print_json(data)
    else:
        for failure in report.failures:
            typer.echo(f"failed: {failure}", err=True)
        from qa.text import plural

        typer.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"duplicate {report.duplicate}, failed {report.failed}; "
            f"{plural(report.passages, 'passage')} in {report.seconds:.1f} s"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def reindex(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Re-embed every passage with the configured embedder, in place (after changing the
    embedder or its precision). Safe to interrupt: run it again to finish."""
    last = [0.0]

    def say(done: int, total: int) -> None:
        import time

        if not quiet and time.monotonic() - last[0] >= 5:
            last[0] = time.monotonic()
            typer.echo(f"re-embedded {done:,} of {total:,} passages", err=True)

    report = _assistant().reindex(progress=say)
    if as_json:
        _print_json(report.to_dict())
    elif report.passages or report.before != report.after:
        typer.echo(
            f"re-embedded {report.passages} passages ({report.before} -> {report.after}) "
            f"in {report.seconds:.1f} s"
        )
    else:
        typer.echo(f"nothing to do: the index is already in {report.after}")


SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source", "-s", help="Only this outlet (any case or punctuation; repeat for several)."
    ),
]
AuthorOpt = Annotated[
    list[str] | None, typer.Option("--author", help="Only this author (repeat for several).")
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Published on or after (ISO date, e.g. 2023-10-01).")
]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Published on or before (ISO date).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Ask the archive as it stood on this date (ISO date)."),
]


def _filters(
    source: list[str] | None,
    author: list[str] | None,
    since: str | None,
    until: str | None,
    as_of: str | None = None,
) -> Any:
    from qa.types import SearchFilters

    return SearchFilters(tuple(source or ()), tuple(author or ()), since, until, as_of) or None


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[
        int | None,
        typer.Option("--k", "-k", min=1, max=100, help="How many passages [default: top_k, 10]."),
    ] = None,
    source: SourceOpt = None,
    author: AuthorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the passages that best match QUERY, best first."""
    filters = _filters(source, author, since, until, as_of)
    passages = _assistant().search(query, k=k, filters=filters)
    from qa.types import search_rows

    rows = search_rows(passages)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        typer.echo(f"[{row['rank']}] {row['score']:.3f}  {_byline(row)}")
        typer.echo(f"    {row['text'][:300]}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the archive.")],
    source: SourceOpt = None,
    author: AuthorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Answer QUESTION from the archive, with numbered citations (or say it cannot)."""
    answer = _assistant().ask(question, filters=_filters(source, author, since, until, as_of))
    if as_json:
        _print_json(answer.to_dict())
        return
    typer.echo(answer.text)
    for c in answer.to_dict()["citations"]:
        typer.echo(f"[{c['n']}] {_byline(c)}")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Count the indexed articles, passages and outlets, and the date range."""
    data = _assistant().stats()
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key:>9}: {value}")


@app.command()
def articles(
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the stored articles, newest first: id, title, outlet, author, date, URL and the
    file each came from."""
    rows = [
        a.to_dict(body=False) for a in _assistant().articles(_filters(source, None, since, until))
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        typer.echo(_byline(row))
        typer.echo(
            f"    id: {row['article_id']}" + (f"  file: {row['path']}" if row["path"] else "")
        )
    typer.echo(f"{len(rows)} article{'' if len(rows) == 1 else 's'}")


@app.command()
def article(
    article_id: Annotated[str, typer.Argument(help="An article id (from `articles` or `search`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one stored article: its metadata and whole text."""
    found = _assistant().article(article_id).to_dict()
    if as_json:
        _print_json(found)
        return
    typer.echo(found["title"])
    for label, key in (
        ("outlet", "source"),
        ("author", "author"),
        ("published", "published_at"),
        ("url", "url"),
        ("file", "path"),
        ("id", "article_id"),
    ):
        if found.get(key):
            typer.echo(f"{label:>9}: {found[key]}")
    if found.get("date_source"):
        typer.echo(f"{'date from':>9}: {found['date_source']}")
    typer.echo("")
    typer.echo(found["body"])


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 7860].")] = None,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth", help="Allow a non-loopback address without authentication."
        ),
    ] = False,
) -> None:
    """Serve the web chat and the HTTP API (docs at /docs)."""
    from app import serve as serve_app

    if insecure_no_auth:
        _State.overrides["insecure_no_auth"] = True
    assistant = _assistant()
    serve_app(assistant, host=host or assistant.settings.host, port=port or assistant.settings.port)


def _field_map(pairs: list[str]) -> dict[str, str]:
    from ingest.fields import FIELDS

    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, theirs = pair.partition("=")
        if not sep or name.strip() not in FIELDS or not theirs.strip():
            raise typer.BadParameter(
                f"'{pair}' is not FIELD=NAME with FIELD one of {', '.join(FIELDS)}",
                param_hint="--field",
            )
        mapping[name.strip()] = theirs.strip()
    return mapping


def _byline(row: dict[str, Any]) -> str:
    parts = [
        row["title"],
        row.get("source"),
        row.get("author"),
        (row.get("published_at") or "")[:10],
    ]
    line = " | ".join(str(p) for p in parts if p)
    return f"{line}  {row['url']}" if row.get("url") else line


# The option of each search filter, to name it in an error (qa.errors.FilterError.field).
_OPTIONS = {
    "sources": "--source",
    "authors": "--author",
    "since": "--since",
    "until": "--until",
    "as_of": "--as-of",
}


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and renders newsdesk errors as one line plus a hint."""
    try:
        # Without standalone mode, typer returns the code of a typer.Exit instead of exiting.
        code = app(args=argv, prog_name="newsdesk", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except NewsdeskError as exc:
        if _State.debug:
            raise
        option = _OPTIONS.get(getattr(exc, "field", ""), "")
        typer.echo(f"error: {option + ': ' if option else ''}{exc.message}", err=True)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors and bad parameters
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(int(getattr(exc, "exit_code", 2)))


if __name__ == "__main__":
    main()

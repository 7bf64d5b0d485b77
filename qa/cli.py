"""The `newsdesk` command line; renders newsdesk errors for a terminal (the one place it does)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer
from typer.core import TyperGroup

from qa.errors import NewsdeskError, error_text

# Command groups whose code lives outside qa: name -> (module, its Typer app). They are loaded
# by module name when named (or listed in --help), so that qa never imports eval.
_ELSEWHERE = {"eval": ("eval.cli", "eval_app")}
# The module that serves the web chat and the HTTP API (`newsdesk serve`), loaded by name so
# that qa never imports it.
_SERVER_MODULE = "qa.serve.server"


class _Commands(TyperGroup):
    """The CLI's commands: those of this module, then the groups of `_ELSEWHERE`."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _ELSEWHERE if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in _ELSEWHERE and cmd_name not in self.commands:
            module, name = _ELSEWHERE[cmd_name]
            group = typer.main.get_command(getattr(importlib.import_module(module), name))
            group.name = cmd_name
            self.add_command(group, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_Commands,
    help="Ask questions of a news archive and get answers with numbered citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    """Global options of the current invocation."""

    overrides: ClassVar[dict[str, Any]] = {}
    debug: ClassVar[bool] = False


# The options that say which index to open: accepted before the command (for every command)
# and after it (on each command that opens an index), where the latter win.
IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (default: ./data/index or $NEWSDESK_INDEX)."),
]
ChromaUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--chroma-url",
        help="Use the Chroma server at this URL (http://host:port) instead of embedded "
        "Chroma [$NEWSDESK_CHROMA_URL; token: $NEWSDESK_CHROMA_TOKEN].",
    ),
]
CollectionOpt = Annotated[
    str | None,
    typer.Option("--collection", help="Chroma collection (several archives can share one server)."),
]


def _index_overrides(
    index: Path | None, chroma_url: str | None, collection: str | None
) -> dict[str, Any]:
    """The settings the index options give (none for an option not given)."""
    given = {"index_dir": index, "chroma_url": chroma_url, "collection": collection}
    return {key: value for key, value in given.items() if value}


def _assistant(
    index: Path | None = None,
    chroma_url: str | None = None,
    collection: str | None = None,
    create: bool = False,
    **overrides: Any,
) -> Any:
    """The assistant of this invocation: the global options, then the index options given
    after the command, then `overrides`. Unless `create` (ingest), the index must exist."""
    from qa.assistant import Assistant

    settings = {**_State.overrides, **_index_overrides(index, chroma_url, collection), **overrides}
    assistant = Assistant.open(**settings)
    if not create:
        assistant.require_index()
    return assistant


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.callback()
def _global(
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
    chroma_host: Annotated[
        str | None, typer.Option(help="Chroma server host (or use --chroma-url).")
    ] = None,
    chroma_port: Annotated[int | None, typer.Option(help="Port of the Chroma server.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    overrides = _index_overrides(index, chroma_url, collection)
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Read, chunk, embed and index articles: text, Markdown, JSON, JSONL, CSV, HTML, RSS/Atom,
    WARC (and .gz of each). Unchanged articles are skipped, so it is safe to re-run."""
    from qa.progress import ProgressPrinter

    field_map = _field_map(field or [])
    assistant = _assistant(index, chroma_url, collection, create=True)
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Re-embed every passage with the configured embedder, in place (after changing the
    embedder or its precision). Safe to interrupt: run it again to finish."""
    last = [0.0]

    def say(done: int, total: int) -> None:
        import time

        if not quiet and time.monotonic() - last[0] >= 5:
            last[0] = time.monotonic()
            typer.echo(f"re-embedded {done:,} of {total:,} passages", err=True)

    report = _assistant(index, chroma_url, collection).reindex(progress=say)
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Show the passages that best match QUERY, best first."""
    filters = _filters(source, author, since, until, as_of)
    passages = _assistant(index, chroma_url, collection).search(query, k=k, filters=filters)
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Answer QUESTION from the archive, with numbered citations (or say it cannot)."""
    filters = _filters(source, author, since, until, as_of)
    answer = _assistant(index, chroma_url, collection).ask(question, filters=filters)
    if as_json:
        _print_json(answer.to_dict())
        return
    typer.echo(answer.text)
    for c in answer.to_dict()["citations"]:
        typer.echo(f"[{c['n']}] {_byline(c)}")


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Count the indexed articles, passages and outlets, and the date range."""
    data = _assistant(index, chroma_url, collection).stats()
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """List the stored articles, newest first: id, title, outlet, author, date, URL and the
    file each came from."""
    assistant = _assistant(index, chroma_url, collection)
    rows = [a.to_dict(body=False) for a in assistant.articles(_filters(source, None, since, until))]
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
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Show one stored article: its metadata and whole text."""
    found = _assistant(index, chroma_url, collection).article(article_id).to_dict()
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
        str | None, typer.Option(help="Address to listen on (default: 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: 7860).")] = None,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth", help="Allow a non-loopback address without authentication."
        ),
    ] = False,
    index: IndexOpt = None,
    chroma_url: ChromaUrlOpt = None,
    collection: CollectionOpt = None,
) -> None:
    """Serve the web chat and the HTTP API (docs at /docs)."""
    serve_app = importlib.import_module(_SERVER_MODULE).serve
    given = {"host": host, "port": port, "insecure_no_auth": insecure_no_auth}
    extra = {name: value for name, value in given.items() if value}
    # create=True: serve checks the bind first, then that the index exists
    assistant = _assistant(index, chroma_url, collection, create=True, **extra)
    serve_app(assistant, assistant.settings.server)


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


def _option(exc: NewsdeskError) -> str:
    """The option a bad filter came from ("" for any other error)."""
    return _OPTIONS.get(getattr(exc, "field", ""), "")


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
        typer.echo(error_text(exc, _option(exc)), err=True)
        sys.exit(exc.exit_code)
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

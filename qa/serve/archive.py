"""The web chat's archive tab: counts and coverage per month, the list of articles and of
outlets, and files added from the browser (stored and ingested by qa.serve.uploads)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answers.citations import article_link, markdown_text
from qa.errors import NewsdeskError
from qa.serve.errors import error_markdown
from qa.text import plural

if TYPE_CHECKING:
    from ingest.pipeline import IngestProgress
    from qa.assistant import Assistant

ARTICLES_SHOWN = 500


def archive_summary(assistant: Assistant, listing: Any = None) -> tuple[str, Any]:
    """The archive tab's head: counts, the date span and how many articles have no date, as
    Markdown; and articles per month (every month of the span, empty ones as 0) as a table."""
    import pandas as pd

    from qa.browse import ArchiveList

    empty = pd.DataFrame({"month": [], "articles": []})
    try:
        stats = assistant.stats()
        months = assistant.coverage()
        undated = (listing or ArchiveList(assistant)).undated()
    except NewsdeskError as exc:
        return error_markdown(exc), empty
    span = (
        f"published {(stats['earliest'] or '')[:10]} to {(stats['latest'] or '')[:10]}"
        if stats["earliest"]
        else "no publication dates"
    )
    text = (
        f"**{plural(stats['articles'], 'article')}** · **{plural(stats['chunks'], 'passage')}** · "
        f"**{plural(stats['sources'], 'outlet')}** · {span}"
    )
    if undated:
        text += (
            f" · **{plural(undated, 'article')} without a date** "
            f"({'is' if undated == 1 else 'are'} not in the chart)"
        )
    return text, pd.DataFrame(_every_month(months) or {"month": [], "articles": []})


def _every_month(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`months` with the months between them that have no article, as 0."""
    if not months:
        return []
    counts = {m["month"]: m["articles"] for m in months}
    year, month = map(int, months[0]["month"].split("-"))
    last = months[-1]["month"]
    out = []
    while True:
        key = f"{year:04d}-{month:02d}"
        out.append({"month": key, "articles": counts.get(key, 0)})
        if key >= last:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def article_table(listing: Any, text: str = "") -> tuple[str, Any]:
    """The archive's articles matching `text` (title, outlet or byline), newest first, as a
    table whose titles link to the article view; and a line saying how many match."""
    import pandas as pd

    columns = ["Published", "Title", "Outlet"]
    try:
        rows, total = listing.articles(text, ARTICLES_SHOWN)
    except NewsdeskError as exc:
        return error_markdown(exc), pd.DataFrame(columns=columns)
    table = pd.DataFrame(
        [
            [
                (r.published_at or "")[:10] or "undated",
                f"[{markdown_text(r.title or '(untitled)', markers=False)}]"
                f"({article_link(r.article_id)})",
                r.source or "",
            ]
            for r in rows
        ],
        columns=columns,
    )
    what = f"matching “{markdown_text(text.strip())}”" if text.strip() else "in the archive"
    shown = f"; the newest {len(rows):,} are listed" if total > len(rows) else ""
    return f"{plural(total, 'article')} {what}{shown}. Click a column to sort.", table


def outlet_table(listing: Any) -> Any:
    """Every outlet with its number of articles, most first."""
    import pandas as pd

    try:
        counts = listing.outlets()
    except NewsdeskError:
        counts = []
    return pd.DataFrame(
        [[name or "(no outlet)", n] for name, n in counts], columns=["Outlet", "Articles"]
    )


def upload_files(assistant: Assistant, paths: list[str] | None, progress: Any = None) -> str:
    """The archive tab's upload: ingest the files the browser sent (qa.serve.uploads checks,
    renames and stores them), reporting progress; a Markdown summary with every per-file error."""
    from qa.serve.uploads import ingest_uploads

    if not paths:
        return "Choose files to add first."

    def tick(state: IngestProgress) -> None:
        if progress is not None:
            done = state.articles / state.total if state.total else None
            articles, passages = (
                plural(state.articles, "article"),
                plural(state.passages, "passage"),
            )
            progress(done, desc=f"{articles} read, {passages}")

    try:
        with ExitStack() as stack:
            files = [(Path(p).name, stack.enter_context(Path(p).open("rb"))) for p in paths]
            report = ingest_uploads(assistant, files, tick)
    except NewsdeskError as exc:
        return error_markdown(exc)
    lines = [
        f"**{report.added}** added · **{report.updated}** updated · "
        f"**{report.unchanged}** unchanged · **{report.duplicate}** wire "
        f"{'copy' if report.duplicate == 1 else 'copies'} · "
        f"**{plural(report.passages, 'passage')}** · **{report.failed}** failed · "
        f"{report.seconds:.1f} s"
    ]
    lines += [f"- ⚠️ {markdown_text(f)}" for f in report.failures]
    return "\n".join(lines)

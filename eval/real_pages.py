"""How well newsdesk reads real web pages: ingest a folder of pages, then score the stored
article bodies against expected texts and count (and, with a hand-checked file, check) the
titles, outlets, bylines and dates it stored.

    python -m eval.real_pages --pages ../shared/data/real-pages/html \\
        --texts ../shared/data/real-pages/text --expected eval/data/real_pages_expected.json

(also `newsdesk eval pages ...`). Body F1 is the article-extraction benchmarks' measure:
precision and recall of 4-word shingles per page, averaged over pages, F1 of the averages.
A page with an expected text that newsdesk refused or could not read scores 0 ("lost").
An expected text that is empty or a short note in capitals ("EXTRACTED NOTHING") is no
expectation: the page is reported, not scored.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHINGLE = 4
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """The n-word shingles of a text (words: runs of letters and digits)."""
    words = _TOKEN.findall(text or "")
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def precision_recall(expected: str, got: str) -> tuple[float, float]:
    """Shingle precision and recall of `got` against `expected` (1, 1 when both are empty)."""
    truth, found = shingles(expected), shingles(got)
    tp = sum((truth & found).values())
    fp = sum((found - truth).values())
    fn = sum((truth - found).values())
    if fp == fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def is_note(expected: str) -> bool:
    """An expected text that says nothing to compare with: empty, or a short note written
    mostly in capitals ("MISSED ENTIRE ARTICLE BECAUSE IT'S LOADED BY JAVASCRIPT")."""
    text = expected.strip()
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    return len(text) < 200 and sum(c.isupper() for c in letters) > len(letters) / 2


def expected_text(texts: Path | None, page: Path) -> str | None:
    """The expected text of a page: TEXTS/NAME.txt, or the name without a trailing
    "_article" (cnn_article.html -> cnn.txt); None when there is none."""
    if texts is None:
        return None
    for stem in (page.stem, page.stem.removesuffix("_article")):
        candidate = texts / f"{stem}.txt"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


@dataclass
class PageResult:
    """What newsdesk stored for one page, and how it compares."""

    page: str
    article_id: str | None = None
    failure: str | None = None
    title: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    date_source: str | None = None
    scored: bool = False
    precision: float | None = None
    recall: float | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    names_author: bool | None = None  # hand-checked: the page names an author


def run(
    pages: Path,
    texts: Path | None,
    expected: Path | None,
    index: Path,
    embedder: str | None = None,
    not_articles: Path | None = None,
) -> dict[str, Any]:
    """Ingest `pages` into a fresh index at `index` and measure what was stored.

    `not_articles` lists (JSON: {page: reason}) pages whose expected text a person judged not
    to be the page's article: the body F1 is also given without them."""
    from ingest.normalise import plausible_date
    from ingest.readers import iter_files, read_path
    from qa.assistant import Assistant
    from qa.errors import IngestError, NotFoundError
    from qa.types import Article

    overrides: dict[str, Any] = {"embedder": embedder} if embedder else {}
    assistant = Assistant.open(index, **overrides)
    report = assistant.ingest([pages])
    failed = {str(Path(f["path"]).resolve()): f["reason"] for f in report.failed_items}
    by_path = {str(Path(a.path).resolve()): a.id for a in assistant.articles() if a.path}
    results: list[PageResult] = []
    for item in iter_files([pages]):
        if isinstance(item, IngestError):
            continue
        path = str(item.resolve())
        result = PageResult(item.name, failure=failed.get(path))
        article_id = by_path.get(path)
        if article_id is None and result.failure is None:
            # Stored under another page's file (the same article): find it by its id.
            read = [r for r in read_path(item) if isinstance(r, Article)]
            article_id = read[0].id if read else None
        stored: Article | None = None
        if article_id is not None:
            try:
                stored = assistant.article(article_id)
            except NotFoundError:
                stored = None
        if stored is not None:
            result.article_id = stored.id
            result.title, result.source = stored.title, stored.source
            result.authors = list(stored.authors)
            result.published_at = stored.published_at
            result.date_source = stored.extra.get("date_source")
        want = expected_text(texts, item)
        if want is not None and not is_note(want):
            result.scored = True
            got = stored.body if stored is not None else ""
            result.precision, result.recall = precision_recall(want, got)
        results.append(result)
    if expected is not None:
        check_metadata(results, json.loads(expected.read_text(encoding="utf-8")))
    stored_results = [r for r in results if r.article_id]
    scored = [r for r in results if r.scored]
    summary: dict[str, Any] = {
        "pages": len(results),
        "stored": len(stored_results),
        "refused": len([r for r in results if r.failure]),
        "scored": len(scored),
        "lost": sorted(r.page for r in scored if not r.article_id),
        **body_scores(scored),
        "with_title": sum(1 for r in stored_results if r.title),
        "with_outlet": sum(1 for r in stored_results if r.source),
        "with_author": sum(1 for r in stored_results if r.authors),
        "with_date": sum(1 for r in stored_results if r.published_at),
        "placeholder_dates": sum(
            1 for r in stored_results if r.published_at and not plausible_date(r.published_at)
        ),
        "date_sources": dict(Counter(r.date_source or "none" for r in stored_results)),
        "refusals": {r.page: r.failure for r in results if r.failure},
    }
    if expected is not None:
        summary["hand_checked"] = metadata_scores(results)
    if not_articles is not None:
        excluded = json.loads(not_articles.read_text(encoding="utf-8"))
        kept = [r for r in scored if r.page not in excluded]
        summary["without_not_articles"] = {
            "scored": len(kept),
            "lost": sorted(r.page for r in kept if not r.article_id),
            **body_scores(kept),
        }
    return {"summary": summary, "pages": [r.__dict__ for r in results]}


def body_scores(scored: list[PageResult]) -> dict[str, float]:
    """Mean shingle precision and recall over pages, and the F1 of the two means."""
    mean_p = sum(r.precision or 0 for r in scored) / len(scored) if scored else 0.0
    mean_r = sum(r.recall or 0 for r in scored) / len(scored) if scored else 0.0
    f1 = 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0
    return {
        "body_precision": round(mean_p, 4),
        "body_recall": round(mean_r, 4),
        "body_f1": round(f1, 4),
    }


def _norm(text: str | None) -> str:
    """A value compared loosely: case, quotes, dashes, spacing and full stops ignored."""
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("“", '"')
    text = text.replace("”", '"').replace("–", "-").replace("—", "-").replace(".", "")
    return " ".join(text.split())


def check_metadata(results: list[PageResult], expected: list[dict[str, Any]]) -> None:
    """Compare each hand-checked page's stored title, outlet, authors and date with the
    values a person read on the page (`expected`: see eval/data/README.md)."""
    by_page = {r.page: r for r in results}
    for want in expected:
        result = by_page.get(want["page"])
        if result is None:
            continue
        result.names_author = bool(want["authors"])
        if not result.article_id:
            result.checks = {"stored": False}
            continue
        titles = {_norm(t) for t in want["title"]}
        outlets = {_norm(o) for o in want["outlet"]}
        dates = set(want["date"])
        result.checks = {
            "title": _norm(result.title) in titles,
            "outlet": _norm(result.source) in outlets,
            "authors": [_norm(a) for a in result.authors] == [_norm(a) for a in want["authors"]],
            "date": (result.published_at or "")[:10] in dates
            if dates
            else result.published_at is None,
        }


def metadata_scores(results: list[PageResult]) -> dict[str, Any]:
    """Right answers per field over the hand-checked pages; bylines also over the pages that
    name an author, and how many pages that name none were given one."""
    checked = [r for r in results if r.checks]
    out: dict[str, Any] = {"pages": len(checked)}
    for key in ("title", "outlet", "authors", "date"):
        right = sum(1 for r in checked if r.checks.get(key))
        out[key] = f"{right}/{len(checked)}"
    for label, rows in (
        ("bylines_where_named", [r for r in checked if r.names_author]),
        ("bylines_where_none", [r for r in checked if not r.names_author]),
    ):
        out[label] = f"{sum(1 for r in rows if r.checks.get('authors'))}/{len(rows)}"
    return out


def render(data: dict[str, Any]) -> str:
    """The report for people."""
    s = data["summary"]
    lines = [
        f"pages {s['pages']}: stored {s['stored']}, refused or unreadable {s['refused']}",
        f"body (4-word shingles, {s['scored']} pages with an expected text, "
        f"{len(s['lost'])} lost): F1 {s['body_f1']:.4f}  precision {s['body_precision']:.4f}  "
        f"recall {s['body_recall']:.4f}",
        f"stored articles with a title {s['with_title']}, outlet {s['with_outlet']}, "
        f"author {s['with_author']}, date {s['with_date']} (placeholder dates: "
        f"{s['placeholder_dates']})",
    ]
    if "without_not_articles" in s:
        w = s["without_not_articles"]
        lines.append(
            f"body without the pages whose expected text is not their article ({w['scored']} "
            f"pages, {len(w['lost'])} lost): F1 {w['body_f1']:.4f}  precision "
            f"{w['body_precision']:.4f}  recall {w['body_recall']:.4f}"
        )
    lines += [
        "dates read from: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["date_sources"].items(), key=lambda x: -x[1])),
    ]
    if "hand_checked" in s:
        h = s["hand_checked"]
        lines.append(
            f"hand-checked {h['pages']} pages: titles {h['title']}, outlets {h['outlet']}, "
            f"dates {h['date']}, bylines {h['bylines_where_named']} where the page names one "
            f"({h['bylines_where_none']} right where it names none)"
        )
        for r in (p for p in data["pages"] if p["checks"]):
            wrong = [k for k, ok in r["checks"].items() if not ok]
            if wrong:
                lines.append(f"  {r['page']}: wrong {', '.join(wrong)}")
    if s["lost"]:
        lines.append("lost (an expected text, nothing stored): " + ", ".join(s["lost"]))
    lines.append("refused:")
    lines += [f"  {page}: {reason}" for page, reason in s["refusals"].items()]
    low = sorted(
        (p for p in data["pages"] if p["scored"]),
        key=lambda p: _f1(p["precision"], p["recall"]),
    )[:10]
    lines.append("lowest body F1:")
    lines += [
        f"  {p['page']}: {_f1(p['precision'], p['recall']):.3f} "
        f"(P {p['precision']:.3f}, R {p['recall']:.3f})"
        for p in low
    ]
    return "\n".join(lines)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder of HTML pages")
    parser.add_argument("--texts", type=Path, help="folder of expected texts (NAME.txt)")
    parser.add_argument("--expected", type=Path, help="hand-checked metadata (JSON)")
    parser.add_argument(
        "--not-articles",
        type=Path,
        help="pages whose expected text is not their article (JSON {page: reason})",
    )
    parser.add_argument("--index", type=Path, help="index folder to fill (default: temporary)")
    parser.add_argument("--out", type=Path, help="write real_pages.json here")
    parser.add_argument(
        "--embedder", help="override the embedder (e.g. 'fake': bodies and metadata only)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsdesk-pages-") as tmp:
        data = run(
            args.pages,
            args.texts,
            args.expected,
            args.index or Path(tmp),
            args.embedder,
            args.not_articles,
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "real_pages.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    if args.json:
        print(json.dumps(data["summary"], indent=2, ensure_ascii=False))
    else:
        print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Render retrieval results: plain-text and Markdown tables, and a PNG bar chart."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from qa.errors import ConfigError

QUALITY = (
    ("mrr@10", "MRR@10"),
    ("map@10", "MAP@10"),
    ("hits@4", "Hits@4"),
    ("hits@10", "Hits@10"),
    ("article_recall@10", "ArtRecall@10"),
    ("all_gold@10", "AllGold@10"),
)
LATENCY = (("latency_p50_ms", "p50 ms"), ("latency_p95_ms", "p95 ms"))


def _cell(value: Any, digits: int) -> str:
    """A metric as text: fixed decimals, '-' when missing."""
    return "-" if value is None else f"{float(value):.{digits}f}"


def _metric_cells(metrics: dict[str, Any]) -> list[str]:
    return [_cell(metrics.get(key), 4) for key, _ in QUALITY] + [
        _cell(metrics.get(key), 1) for key, _ in LATENCY
    ]


def overall_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the overall table: one row per retriever."""
    header = ["Retriever", *(label for _, label in QUALITY + LATENCY)]
    rows = [[name, *_metric_cells(data["overall"])] for name, data in results["retrievers"].items()]
    return header, rows


def type_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-question-type table: one row per (type, retriever)."""
    header = ["Type", "Retriever", "n", *(label for _, label in QUALITY + LATENCY)]
    types = sorted({t for data in results["retrievers"].values() for t in data["by_type"]})
    rows = []
    for qtype in types:
        for name, data in results["retrievers"].items():
            metrics = data["by_type"].get(qtype)
            if metrics:
                rows.append([qtype, name, str(metrics["n"]), *_metric_cells(metrics)])
    return header, rows


def _plain(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to width; text columns left-aligned, numbers right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = [all(_is_number(r[i]) for r in rows) and bool(rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned."""
    numeric = [all(_is_number(r[i]) for r in rows) and bool(rows) for i in range(len(header))]
    rule = ["---:" if num else "---" for num in numeric]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *rows])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text == "-"
    return True


def _title(results: dict[str, Any]) -> str:
    return (
        f"{results['n_queries']} queries (k={results['k']}, "
        f"{results['skipped_null']} null queries skipped)"
    )


def format_table(results: dict[str, Any]) -> str:
    """The results as two plain-text tables: overall, then per question type."""
    return "\n\n".join(
        [
            f"Retrieval on {_title(results)}",
            _plain(*overall_rows(results)),
            "By question type",
            _plain(*type_rows(results)),
        ]
    )


def markdown_table(results: dict[str, Any]) -> str:
    """The same two tables in Markdown, for BENCHMARKS.md."""
    return "\n\n".join(
        [
            f"Retrieval on {_title(results)}:",
            _markdown(*overall_rows(results)),
            "By question type:",
            _markdown(*type_rows(results)),
        ]
    )


def require_plotting() -> None:
    """Raise ConfigError, naming the extra to install, when matplotlib (which draws the chart;
    in the `eval` extra, not a dependency of the assistant) is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ConfigError(
            "The evaluation draws its chart with matplotlib, which is not installed",
            "install newsdesk's eval extra: `pip install -e '.[eval]'` in the newsdesk folder "
            "(`make install-dev` and `make test` install it)",
        )


def plot(results: dict[str, Any], path: Path) -> Path:
    """Draw a grouped bar chart of the six quality metrics per retriever into PNG `path`.
    Raises ConfigError when matplotlib (the `eval` extra) is not installed."""
    require_plotting()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["retrievers"])
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(10, 5))
    try:
        for i, name in enumerate(names):
            overall = results["retrievers"][name]["overall"]
            values = [float(overall.get(key) or 0.0) for key, _ in QUALITY]
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(QUALITY))]
            bars = ax.bar(xs, values, width, label=name)
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        ax.set_xticks(range(len(QUALITY)), [label for _, label in QUALITY])
        ax.set_ylim(0, 1.08)
        ax.set_xlabel("Metric")
        ax.set_ylabel("Score (0-1, higher is better)")
        ax.set_title(f"Retrieval on {_title(results)}")
        ax.legend(title="Retriever")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=120)
    finally:
        plt.close(fig)
    return path

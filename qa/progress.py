"""Ingest progress for people: a tqdm bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

PLAIN_EVERY_SECONDS = 5.0


class ProgressPrinter:
    """Callable handed to the ingest pipeline; call `close()` when the run ends."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        self._last = 0.0

    def __call__(self, state: Any) -> None:
        if self.quiet:
            return
        if self.tty:
            self._update_bar(state)
        elif time.monotonic() - self._last >= PLAIN_EVERY_SECONDS:
            self._last = time.monotonic()
            self.stream.write(self.line(state) + "\n")
            self.stream.flush()

    @staticmethod
    def line(state: Any) -> str:
        """'ingest: 320/609 articles (53%), 2,950 passages, 14.2 passages/s, ETA 3m10s'."""
        rate = state.passages / state.elapsed if state.elapsed > 0 else 0.0
        done = f"{state.articles}"
        eta = ""
        if state.total and state.total >= state.articles > 0:
            done += f"/{state.total} articles ({100 * state.articles // state.total}%)"
            left = state.elapsed * (state.total - state.articles) / state.articles
            eta = f", ETA {_duration(left)}"
        else:
            done += " articles"
        return f"ingest: {done}, {state.passages:,} passages, {rate:.1f} passages/s{eta}"

    def _update_bar(self, state: Any) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=state.total, unit="article", file=self.stream, leave=True)
        if state.total and state.total > (self._bar.total or 0):
            self._bar.total = state.total
        self._bar.update(state.articles - self._bar.n)
        rate = state.passages / state.elapsed if state.elapsed > 0 else 0.0
        self._bar.set_postfix(passages=state.passages, per_s=f"{rate:.1f}", refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"

"""Ingest progress for people: a tqdm bar on a terminal, plain periodic lines otherwise.

The pipeline calls the printer as records are read and after every batch is written; a
background ticker also redraws (terminal) or prints (otherwise) the latest totals at a steady
pace, so a long batch never leaves the output silent.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

PLAIN_EVERY_SECONDS = 5.0
BAR_EVERY_SECONDS = 1.0


class ProgressPrinter:
    """Callable handed to the ingest pipeline; call `close()` when the run ends.

    On a terminal, a tqdm bar of articles (rate and ETA averaged over the whole run, so they do
    not swing with every batch); otherwise the first line as soon as the first record is read,
    then a line every `every` seconds until `close()`.
    """

    def __init__(
        self, stream: TextIO | None = None, quiet: bool = False, every: float | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every or (BAR_EVERY_SECONDS if self.tty else PLAIN_EVERY_SECONDS)
        self._bar: Any = None
        self._state: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, state: Any) -> None:
        if self.quiet:
            return
        first = self._state is None
        self._state = state
        if self.tty:
            self._update_bar(state)
        elif first:
            self._print_line()
        if first and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="ingest-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            if self.tty:
                self._update_bar(self._state)
            else:
                self._print_line()

    def _print_line(self) -> None:
        with self._lock:
            if self._state is not None and not self._stop.is_set():
                self.stream.write(self.line(self._state) + "\n")
                self.stream.flush()

    @staticmethod
    def line(state: Any) -> str:
        """'ingest: 320/609 articles (53%), 2,950 passages, 14.2 passages/s, ETA 3m10s'."""
        done = _done(state)
        rate = state.passages / state.elapsed if state.elapsed > 0 else 0.0
        shown = f"{done:,}"
        eta = ""
        if state.total and state.total >= done:
            shown += f"/{state.total:,} articles ({100 * done // state.total}%)"
            if done > 0:
                left = state.elapsed * (state.total - done) / done
                eta = f", ETA {_duration(left)}"
        else:
            shown += " articles"
        return f"ingest: {shown}, {state.passages:,} passages, {rate:.1f} passages/s{eta}"

    def _update_bar(self, state: Any) -> None:
        from tqdm import tqdm

        with self._lock:
            if self._stop.is_set():
                return
            if self._bar is None:
                # smoothing=0: the rate (and so the ETA) is the whole run's average.
                self._bar = tqdm(
                    total=state.total, unit="article", file=self.stream, leave=True, smoothing=0
                )
            if state.total and state.total > (self._bar.total or 0):
                self._bar.total = state.total
            self._bar.update(max(0, _done(state) - self._bar.n))
            rate = state.passages / state.elapsed if state.elapsed > 0 else 0.0
            self._bar.set_postfix(passages=state.passages, per_s=f"{rate:.1f}", refresh=True)

    def close(self) -> None:
        """Stop the ticker and close the bar (the caller prints the summary)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def _done(state: Any) -> int:
    """Articles handled (and records failed) so far."""
    return int(getattr(state, "done", state.articles))


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"

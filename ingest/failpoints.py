"""Fail points for crash tests: ``NEWSDESK_CRASH_AT=point:n`` kills the process (SIGKILL, no
clean-up of any kind) the n-th time ingest reaches `point`. Unset, each check is one dict lookup.

Points, in the order a batch meets them: ``read`` (an article has been read), ``embedded`` (a
batch's passages are embedded, nothing written), ``chroma`` (written to Chroma, not yet to the
keyword index), ``keyword`` (written to both, not yet recorded in the catalog).
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def reached(point: str) -> None:
    spec = os.environ.get("NEWSDESK_CRASH_AT")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)

"""Memory of the keyword snapshot (BM25 matrices and vectors the hybrid retriever searches).

    python -m eval.bench_snapshot --index INDEX_DIR --copies 10

Copies INDEX_DIR/keyword.sqlite to a temporary file, repeats its passages `--copies` times
(new passage ids, same content), and in a fresh process reports the resident memory before and
after building the snapshot, the peak during the build, the size of the finished arrays and
the time the build took.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

_MEASURE = """
import json, sys, time
from pathlib import Path
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
from qa.index.keyword import KeywordIndex
index = KeywordIndex(Path(sys.argv[1]))
before = rss("VmRSS")
started = time.perf_counter()
m = index.snapshot()
seconds = time.perf_counter() - started
arrays = m.vectors.nbytes + sum(
    w.data.nbytes + w.indices.nbytes + w.indptr.nbytes for w in (m.weights, m.sent_weights)
)
print(json.dumps({"passages": len(m), "before_mb": before, "after_mb": rss("VmRSS"),
                  "peak_mb": rss("VmHWM"), "arrays_mb": arrays // 2**20,
                  "build_s": round(seconds, 1)}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "keyword.sqlite"
        shutil.copy(args.index / "keyword.sqlite", path)
        cols = "article_id, source, author, published_ts, length, tf, stf, vector"
        with sqlite3.connect(path) as db:
            for k in range(1, args.copies):
                db.execute(
                    f"INSERT INTO docs (passage_id, {cols}) SELECT passage_id || '#{k}', {cols} "
                    "FROM docs WHERE passage_id NOT LIKE '%#%'"
                )
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
    result["build_mb"] = result["after_mb"] - result["before_mb"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The scaling benchmark behind `make bench-scale`: cost against archive size, embedded and server.

    python -m eval.bench_scale --corpus ../shared/data/multihop-rag/corpus.json \\
        --queries ../shared/data/multihop-rag/queries-dev.json --sizes 10000 100000 1000000

For each size (in passages) it builds a synthetic archive by recombining sentences of the
MultiHop-RAG corpus into new articles with fresh outlets, authors, dates and URLs, then, for
embedded Chroma and for a Chroma server (`chroma run` on loopback):

- ingests it with the real pipeline (reading, chunking with the model's tokenizer, wire-copy
  check, keyword index, Chroma writes) and reports passages per second;
- reports the index size on disk (the newsdesk index folder, plus the server's data folder);
- starts a fresh serving process that loads the real embedding model and the index, and reports
  search p50/p95 of the full hybrid (the app's default), keyword (BM25) and dense (Chroma HNSW)
  retrievers over the dev queries, and that process's peak memory: after the hybrid and keyword
  searches (a serving process as the app runs it), and again after the dense searches (in
  embedded mode Chroma's HNSW index is then loaded into the process too).

**Vectors are cached, not computed per passage**: every distinct corpus sentence is embedded
once with the real model (all-MiniLM-L6-v2); a synthetic passage's vector is the normalised mean
of its sentences' vectors. Embedding a million passages on two cores would take about 17 hours
(16 passages/s, BENCHMARKS.md), so the ingest rates here are the pipeline's own, without the
embedding cost; that cost is linear in passages and measured separately by `make bench`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.load_api import free_port, rss_mb

if TYPE_CHECKING:
    from qa.embedding import WordPieces

_ADJ = "North South East West Upper Lower Old New Grand Little Royal Free Bright Silver Golden"
_NOUN = "River Valley Harbor Ridge Lake Coast Prairie Summit Forest Bay Plains Canyon Island"
_KIND = "Times Post Ledger Herald Courier Gazette Tribune Chronicle Journal Observer Record"
_NAMES = "Alex Sam Jordan Riley Casey Morgan Taylor Jamie Robin Drew Avery Quinn Rowan Sage"
_LAST = "Okafor Lindqvist Moreau Tanaka Haddad Novak Silva Brennan Kowalski Mensah Duarte Reyes"


def _sentences(corpus: Path) -> list[str]:
    from qa.text import sentence_spans

    seen: dict[str, None] = {}
    for article in json.loads(corpus.read_text(encoding="utf-8")):
        body = str(article.get("body") or "")
        for start, end in sentence_spans(body):
            text = " ".join(body[start:end].split())
            if 5 <= len(text.split()) <= 60:
                seen.setdefault(text)
    return list(seen)


def sentence_cache(corpus: Path, out: Path, say: Callable[[str], None]) -> tuple[list[str], Any]:
    """Every distinct corpus sentence and its real MiniLM vector (computed once, then cached)."""
    path = out / "sentence-vectors.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return [str(s) for s in data["sentences"]], data["vectors"]
    from qa.config import Settings
    from qa.embedding import DEFAULT_MODEL_NAME, default_model_path
    from qa.onnx_embedder import OnnxEmbedder

    sentences = _sentences(corpus)
    say(f"embedding {len(sentences):,} corpus sentences once with the real model (ONNX fp32)")
    started = time.perf_counter()
    model = OnnxEmbedder(
        default_model_path(),
        Settings(embed_batch_size=64).embedding,
        "fp32",
        name=DEFAULT_MODEL_NAME,
    )
    vectors = model.embed(sentences)
    say(f"  {len(sentences) / (time.perf_counter() - started):.0f} sentences/s")
    np.savez(path, sentences=np.array(sentences), vectors=vectors)
    return sentences, vectors


class CachedEmbedder:
    """The model's tokenizer and window, with vectors from the sentence cache: the normalised
    mean of the cached vectors of a text's sentences (no model runs)."""

    def __init__(self, sentences: Sequence[str], vectors: Any) -> None:
        from qa.embedding import _word_piece_encoder, default_model_path

        path = default_model_path()
        config = json.loads((path / "sentence_bert_config.json").read_text())
        self.name = "cached-minilm"
        self.dim = int(vectors.shape[1])
        self.max_tokens = int(config.get("max_seq_length", 256))
        self._encode = _word_piece_encoder(path, None)
        self._row = {s: i for i, s in enumerate(sentences)}
        self._vectors = np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from qa.text import sentence_spans

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [
                r
                for s, e in sentence_spans(text)
                if (r := self._row.get(" ".join(text[s:e].split()))) is not None
            ]
            if rows:
                out[i] = self._vectors[rows].mean(axis=0)
            else:  # a fragment cut mid-sentence: a fixed pseudo-random direction
                seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest())
                out[i] = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] /= float(np.linalg.norm(out[i])) or 1.0
        return out

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like qa.onnx_embedder's: each text's vector and its sentences' (from the cache), so
        the benchmark stores sentence vectors as a real ingest does."""
        return self.embed(texts), [
            self.embed([text[a:b] for a, b in sp]) for text, sp in zip(texts, spans, strict=True)
        ]

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def tokenizer(self) -> Callable[[str], list[int]]:
        return self._encode

    def word_pieces(self) -> WordPieces | None:
        from qa.embedding import word_pieces_of

        return word_pieces_of(self._encode)


def synthetic_archive(
    sentences: Sequence[str], tokens: Sequence[int], passages: int, path: Path, seed: int = 7
) -> int:
    """A JSONL archive of about `passages` passages made of corpus sentences in new articles
    (runs of consecutive sentences from a few places, so articles stay readable), each with its
    own outlet, author, date and URL. Returns the number of articles."""
    rng = random.Random(seed)
    outlets = [f"{a} {n} {k}" for a in _ADJ.split() for n in _NOUN.split() for k in _KIND.split()]
    rng.shuffle(outlets)
    outlets = outlets[:400]
    authors = [f"{f} {last}" for f in _NAMES.split() for last in _LAST.split()]
    start = datetime(2015, 1, 1, tzinfo=UTC)
    budget = 200  # body word pieces per passage, about (window less header and overlap)
    made = 0
    articles = 0
    with path.open("w", encoding="utf-8") as out:
        while made < passages:
            body: list[str] = []
            size = 0
            target = rng.randint(120, 900)
            while size < target:
                at = rng.randrange(len(sentences))
                for j in range(at, min(at + rng.randint(2, 6), len(sentences))):
                    body.append(sentences[j])
                    size += tokens[j]
            outlet = outlets[rng.randrange(len(outlets))]
            day = start + timedelta(days=rng.randrange(3650), minutes=rng.randrange(1440))
            slug = outlet.lower().replace(" ", "-")
            record = {
                "title": " ".join(body[0].split()[:9]).rstrip(",.;:") + f" ({articles})",
                "body": " ".join(body),
                "source": outlet,
                "author": authors[rng.randrange(len(authors))],
                "published_at": day.isoformat(),
                "url": f"https://{slug}.example/{day:%Y/%m}/{articles}",
            }
            out.write(json.dumps(record) + "\n")
            made += max(1, -(-size // budget))
            articles += 1
    return articles


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _chroma(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chroma run did not start")


def serve_and_search(index: str, chroma_url: str | None, queries: list[str]) -> dict[str, Any]:
    """Run in a fresh process: load the real model and the index, time each retriever."""
    from qa import Assistant
    from qa.retrieval.retrieve import DenseRetriever, KeywordRetriever, Retriever

    extra = {"chroma_url": chroma_url} if chroma_url else {}
    started = time.perf_counter()
    assistant = Assistant.open(index, **extra)
    assistant.search(queries[0], k=10)  # model, store and keyword matrix loaded
    load_s = time.perf_counter() - started
    if chroma_url:
        # A server loads its index on its first query (and catches up with writes made while
        # it was down): let it settle first, as a long-running one would have, so its start-up
        # work does not share the two cores with the timed searches. (The hybrid retriever
        # never queries it; embedded, this would load the index into the measured process.)
        DenseRetriever(assistant.embedder, assistant.store).retrieve(queries[0], 10)
    # The default (hybrid) retriever first: the peak memory after it is that of a serving
    # process as the app runs it. The dense-only retriever then has Chroma's HNSW index loaded
    # (into this process in embedded mode), measured after it.
    retrievers: dict[str, Retriever] = {
        "hybrid": assistant.retriever,
        "keyword": KeywordRetriever(assistant.index),
        "dense": DenseRetriever(assistant.embedder, assistant.store),
    }
    # The passages searched (a kept index may have grown since its ingest figures).
    out: dict[str, Any] = {
        "passages": len(assistant.keyword.snapshot()),
        "load_s": round(load_s, 1),
    }
    for name, retriever in retrievers.items():
        if name == "dense":
            out["peak_rss_mb"] = round(rss_mb("self", "VmHWM"))
        retriever.retrieve(queries[1], 10)
        times = []
        for q in queries:
            t = time.perf_counter()
            retriever.retrieve(q, 10)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = {
            "p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1),
        }
    out["peak_rss_with_dense_mb"] = round(rss_mb("self", "VmHWM"))
    return out


# Where a long ingest reports its own rate so far (passages stored). The first point is put at
# the passages of the smallest archive measured (`reference`), so a 1M run carries its own 10k
# figure, taken in the same process as the rest of it.
CURVE_AT = (30_000, 100_000, 300_000, 1_000_000)


def _timed_ingest(
    assistant: Any, archive: Path, startup: float = 0.0, reference: int = 10_000
) -> tuple[Any, float, dict[str, Any]]:
    """Ingest `archive`: the report, the seconds it took (less a fixed `startup`), the split of
    that time between Chroma's writes and the rest, and the run's rate curve (`curve`)."""
    writes = _time_writes(assistant)
    marks: list[tuple[int, float, float]] = []  # passages, seconds, Chroma's write seconds

    def progress(state: Any) -> None:
        marks.append((state.passages, time.perf_counter() - started, writes["s"]))

    started = time.perf_counter()
    report = assistant.ingest([archive], progress=progress)
    seconds = time.perf_counter() - started - startup
    curve = rate_curve(marks, reference)
    return report, seconds, {**_split(report.passages, seconds, writes), **curve}


def rate_curve(marks: Sequence[tuple[int, float, float]], reference: int) -> dict[str, Any]:
    """The rate so far at `reference` passages, at each larger point of CURVE_AT that the run
    passed, and at its end, from its progress marks (passages stored, seconds since the start,
    Chroma's write seconds so far; one per batch), with the rate of the stretch since the point
    before (how the cost grows along the run). A run that stops short of `reference` has none."""
    points = [reference, *(a for a in CURVE_AT if a > reference)]
    chosen = [m for at in points if (m := next((m for m in marks if m[0] >= at), None))]
    if chosen and marks[-1][0] > chosen[-1][0]:
        chosen.append(marks[-1])
    curve: list[dict[str, Any]] = []
    last = (0, 0.0, 0.0)
    for mark in chosen:
        passages, seconds, chroma = mark
        if passages == last[0]:
            continue
        span = (passages - last[0], seconds - last[1], chroma - last[2])
        curve.append(
            {
                "passages": passages,
                "passages_per_s": round(passages / max(seconds, 1e-9), 1),
                "stretch_passages_per_s": round(span[0] / max(span[1], 1e-9), 1),
                "stretch_chroma_ms_per_passage": round(1000 * span[2] / span[0], 2),
                "stretch_without_chroma_per_s": round(span[0] / max(span[1] - span[2], 1e-9), 1),
            }
        )
        last = mark
    return {"curve": curve} if curve else {}


SERVER_OWN = ("search", "marginal", "chroma_server_rss_mb")


def borrowed_row(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """The server row of `size` for a server serving the embedded run's data: the embedded
    row's ingest figures (always its latest), marked so, and the server's own measurements."""
    own = {
        k: v
        for r in rows
        if (r["size"], r["mode"]) == (size, "server")
        for k, v in r.items()
        if k in SERVER_OWN
    }
    return [
        {
            **{k: v for k, v in r.items() if k not in SERVER_OWN},
            "mode": "server",
            "ingested_by": "embedded (the same Chroma data, served by chroma run)",
            **own,
        }
        for r in rows
        if (r["size"], r["mode"]) == (size, "embedded")
    ]


def _time_writes(assistant: Any) -> dict[str, Any]:
    """Time spent in Chroma's passage writes during the assistant's ingests (filled in as they
    run): the part of the ingest rate that is Chroma's rather than newsdesk's; and each
    write's seconds."""
    spent: dict[str, Any] = {"s": 0.0, "each": []}
    store = assistant.store
    upsert = store.upsert

    def timed(items: Any) -> Any:
        started = time.perf_counter()
        try:
            return upsert(items)
        finally:
            took = time.perf_counter() - started
            spent["s"] += took
            spent["each"].append(took)

    store.upsert = timed
    return spent


def _split(passages: int, seconds: float, writes: dict[str, Any]) -> dict[str, float]:
    """Chroma's write time and the rate of everything else (reading, chunking, wire-copy
    check, keyword index, catalog). Also the writes that took over three times the median
    and their time beyond it: Chroma persists its HNSW index every 1,000 added vectors (its
    `sync_threshold`), and those writes stand out."""
    rest = max(seconds - writes["s"], 1e-9)
    each = np.asarray(writes.get("each") or [0.0])
    median = float(np.median(each))
    slow = each[each > 3 * median]
    return {
        "chroma_write_s": round(writes["s"], 1),
        "passages_per_s_without_chroma_writes": round(passages / rest, 1),
        "chroma_slow_writes": len(slow),
        "chroma_slow_write_extra_s": round(float((slow - median).sum()), 1),
    }


def _search(work: Path, chroma_url: str | None, queries: list[str]) -> dict[str, Any]:
    """Search figures from a fresh serving process over the index in `work`."""
    code = (
        "import json, sys; from eval.bench_scale import serve_and_search; "
        f"print(json.dumps(serve_and_search({str(work / 'index')!r}, {chroma_url!r}, "
        "json.load(sys.stdin))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_size(
    size: int,
    mode: str,
    archive: Path,
    cache: tuple[list[str], Any],
    queries: list[str],
    out: Path,
    say: Callable[[str], None],
    *,
    row: dict[str, Any] | None = None,
    keep: bool = False,
    search: bool = True,
    marginal: Path | None = None,
    work: Path | None = None,
    reference: int = 10_000,
) -> dict[str, Any]:
    """Ingest `archive` in `mode` and measure; with `row` (an earlier run's figures, its index
    kept) only the search figures are measured again. With `marginal`, an archive of new
    articles is then ingested on top and its rate reported: the cost of adding passages to an
    index of this size. `work` names a kept index other than OUT/MODE-SIZE (server mode then
    serves that index's Chroma data with `chroma run`). `reference`: the passages at which the
    run's rate curve begins (the smallest archive's, see CURVE_AT)."""
    from qa import Assistant
    from qa.config import Settings

    borrowed = work is not None
    work = work or out / f"{mode}-{size}"
    if row is None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    elif not (work / "index").is_dir():
        raise SystemExit(f"{work} holds no kept index: run once with --keep first")
    server = None
    chroma_url = None
    if mode == "server":
        data = Settings(index_dir=work / "index").chroma_path if borrowed else None
        server, chroma_url = _chroma(data or work / "chroma-server")
    settings = Settings(index_dir=work / "index", chroma_url=chroma_url)
    try:
        if row is None:
            assistant = Assistant(settings, embedder=CachedEmbedder(*cache))
            say(f"{mode} {size:,}: ingesting {archive.name}")
            report, seconds, split = _timed_ingest(assistant, archive, reference=reference)
            row = {
                "size": size,
                "mode": mode,
                "articles": report.added,
                "passages": report.passages,
                "duplicates": report.duplicate,
                "ingest_s": round(seconds, 1),
                "ingest_passages_per_s": round(report.passages / seconds, 1),
                **split,
            }
            del assistant
            disk = _du(work / "index") + (_du(work / "chroma-server") if server else 0)
            row["disk_mb"] = round(disk / 2**20)
            say(f"  {row['passages']:,} passages at {row['ingest_passages_per_s']:,}/s")
            for point in row.get("curve", []):
                say(f"    after {point['passages']:,}: {point['passages_per_s']:,}/s so far")
        if search:
            say(f"{mode} {size:,}: searching")
            row["search"] = _search(work, chroma_url, queries)
            if server:
                row["chroma_server_rss_mb"] = round(rss_mb(server.pid))
            say(f"  {json.dumps(row['search'])}")
        if marginal is not None:
            assistant = Assistant(settings, embedder=CachedEmbedder(*cache))
            # An ingest's fixed start (loading every stored article's wire-copy signature) grows
            # with the index; an empty ingest measures it, to tell it from the per-passage rate.
            started = time.perf_counter()
            assistant.ingest([])
            startup = time.perf_counter() - started
            say(f"{mode} {size:,}: ingesting {marginal.name} on top (start-up {startup:.1f} s)")
            report, seconds, split = _timed_ingest(assistant, marginal, startup)
            row["marginal"] = {
                "archive": marginal.name,
                "passages": report.passages,
                "ingest_s": round(seconds, 1),
                "startup_s": round(startup, 1),
                "ingest_passages_per_s": round(report.passages / max(seconds, 1e-9), 1),
                **split,
            }
            rate = row["marginal"]["ingest_passages_per_s"]
            say(f"  {report.passages:,} more passages at {rate}/s")
        return row
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def warm_up(
    cache: tuple[list[str], Any], tokens: list[int], out: Path, say: Callable[[str], None]
) -> float:
    """Ingest a small archive into a scratch index first, untimed: a process's first ingest
    pays ~2.5 s of imports and first-use set-up that later ones do not, which made a 10k run
    ~20% slower as the first of its process than as the second. Every timed ingest then
    starts from a warm process, in whatever order the modes run. Returns the warm-up's
    seconds."""
    from qa import Assistant
    from qa.config import Settings

    scratch = out / "warm-up"
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    try:
        archive = scratch / "archive.jsonl"
        scratch.mkdir(parents=True)
        synthetic_archive(cache[0], tokens, 300, archive, seed=7)
        assistant = Assistant(
            Settings(index_dir=scratch / "index"), embedder=CachedEmbedder(*cache)
        )
        assistant.ingest([archive])
        del assistant
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = round(time.perf_counter() - started, 1)
    say(f"warmed the process up with a 300-passage ingest ({seconds} s, untimed)")
    return seconds


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode, style in (("embedded", "-"), ("server", "--")):
        mine = sorted(
            (r for r in rows if r["mode"] == mode and "search" in r), key=lambda r: r["passages"]
        )
        if not mine:
            continue
        for name, marker in (("dense", "o"), ("keyword", "s"), ("hybrid", "^")):
            ax.plot(
                [r["passages"] for r in mine],
                [r["search"][name]["p95_ms"] for r in mine],
                style,
                marker=marker,
                label=f"{name}, {mode}",
            )
    ax.axhline(300, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_xlabel("passages in the archive")
    ax.set_ylabel("search p95 (ms, 2 cores)")
    ax.set_title("Search latency against archive size")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"])
    parser.add_argument("--n-queries", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench-out/scale"))
    parser.add_argument(
        "--keep", action="store_true", help="keep each index (OUT/MODE-SIZE) after measuring"
    )
    parser.add_argument(
        "--skip-search", action="store_true", help="measure ingest only (search later)"
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="measure search again over indexes kept by an earlier --keep run",
    )
    parser.add_argument(
        "--marginal",
        type=int,
        metavar="PASSAGES",
        help="after measuring, ingest an archive of this many passages of new articles on top "
        "and report its rate (the index is changed: use with --search-only last)",
    )
    parser.add_argument(
        "--marginal-seed",
        type=int,
        default=0,
        help="another set of new articles for --marginal (an index kept from an earlier "
        "--marginal run already holds the default set)",
    )
    parser.add_argument(
        "--server-on-embedded",
        action="store_true",
        help="with --search-only: measure server mode by serving the kept embedded index's "
        "Chroma data with `chroma run` (no second ingest of the same archive)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        print(text, flush=True)

    say("Vectors: cached real-model sentence vectors, averaged per passage (see --help).")
    cache = sentence_cache(args.corpus, args.out, say)
    from qa.embedding import _word_piece_encoder, default_model_path

    encode = _word_piece_encoder(default_model_path(), None)
    tokens = [len(encode(s)) for s in cache[0]]
    queries = [q["query"] for q in json.loads(args.queries.read_text())][: args.n_queries]
    result_path = args.out / "scale.json"
    rows: list[dict[str, Any]] = (
        json.loads(result_path.read_text())["rows"] if result_path.exists() else []
    )
    warm_s = None if args.search_only else warm_up(cache, tokens, args.out, say)
    for size in args.sizes:
        archive = args.out / f"archive-{size}.jsonl"
        if not archive.exists():
            articles = synthetic_archive(cache[0], tokens, size, archive)
            say(f"wrote {archive} ({articles:,} articles)")
        for n, mode in enumerate(args.modes):
            extra = None
            if args.marginal:  # new articles for each mode (the modes may share one index)
                tag = f"-s{args.marginal_seed}" if args.marginal_seed else ""
                extra = args.out / f"extra-{mode}-{args.marginal}{tag}.jsonl"
                if not extra.exists():
                    seed = size + 1 + n + 1000 * args.marginal_seed
                    synthetic_archive(cache[0], tokens, args.marginal, extra, seed=seed)
            borrowed = args.server_on_embedded and mode == "server"
            earlier = [r for r in rows if (r["size"], r["mode"]) == (size, mode)]
            if borrowed:
                earlier = borrowed_row(rows, size)
            if args.search_only and not earlier:
                raise SystemExit(f"no earlier {mode} {size:,} figures in {result_path}")
            rows = [r for r in rows if (r["size"], r["mode"]) != (size, mode)]
            rows.append(
                run_size(
                    size,
                    mode,
                    archive,
                    cache,
                    queries,
                    args.out,
                    say,
                    row=earlier[0] if args.search_only else None,
                    keep=args.keep or args.search_only,
                    search=not args.skip_search,
                    marginal=extra,
                    work=args.out / f"embedded-{size}" if borrowed else None,
                    reference=min(
                        (r["passages"] for r in rows if r["size"] < size), default=10_000
                    ),
                )
            )
            if warm_s is not None:
                rows[-1]["process_warm_up_s"] = warm_s
            result_path.write_text(
                json.dumps({"cpus": len(os.sched_getaffinity(0)), "rows": rows}, indent=2) + "\n"
            )
    plot(rows, args.out / "scale.png")
    say(f"wrote {result_path} and {args.out / 'scale.png'}")


if __name__ == "__main__":
    main()

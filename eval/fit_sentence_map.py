"""Fit the sentence map (qa.index.sentence_map) of the default embedder from a text archive.

    python -m eval.fit_sentence_map --corpus ../shared/data/multihop-rag/corpus.json \
        --articles 250 --check ../shared/data/bbc-news

Self-supervised: no questions or answers are read. For each sentence of the first `--articles`
articles, chunked as ingest chunks them, it takes the vector pooled from its passage's forward
pass (what ingest stores), its passage's vector, and the sentence embedded on its own, and fits
``[pooled, passage] @ W ~ alone`` by ridge regression. It reports the mean cosine to the
sentences alone before and after, on the fitted sentences, on the corpus's last articles and on
the `--check` archive, and writes the map where the answerer finds it (`--out` to put it
elsewhere).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np


def triples(
    articles: list[Any], embedder: Any, chunker: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pooled, passage, alone) rows, one per stored sentence of `articles`' passages."""
    from qa.index.sentences import spans_of

    pooled, passages, alone = [], [], []
    for article in articles:
        chunks = chunker.split(article, "fit")
        texts = [c.embed_text for c in chunks]
        spans = []
        for c in chunks:
            at = len(c.embed_text) - len(c.passage.text)  # after the header line
            spans.append([(at + a, at + b) for a, b in spans_of(c.passage.text)])
        vectors, sentences = embedder.embed_with_sentences(texts, spans)
        for text, vector, stored, sp in zip(texts, vectors, sentences, spans, strict=True):
            if not sp:
                continue
            pooled.append(stored)
            passages.append(np.repeat(vector[None], len(sp), axis=0))
            alone.append(embedder.embed([text[a:b] for a, b in sp]))
    return np.concatenate(pooled), np.concatenate(passages), np.concatenate(alone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=250, help="fit on the first N articles")
    parser.add_argument("--held-out", type=int, default=100, help="check on the last N")
    parser.add_argument("--check", type=Path, help="another archive to check on (every 10th)")
    parser.add_argument("--ridge", type=float, default=0.1)
    parser.add_argument("--out", type=Path, help="where to write the map (default: shipped)")
    args = parser.parse_args()

    from eval.bench_ingest import _articles
    from ingest.chunk import Chunker
    from qa.backends import build_embedder
    from qa.config import Settings
    from qa.index.sentence_map import SentenceMap, fit, map_file, mean_cosine

    settings = Settings()
    embedder: Any = build_embedder(settings)
    if not hasattr(embedder, "embed_with_sentences"):
        raise SystemExit(f"{embedder.variant} stores no pooled sentence vectors: nothing to fit")
    chunker = Chunker(embedder, settings.ingest)
    articles = _articles(args.corpus)
    began = time.perf_counter()
    train = triples(articles[: args.articles], embedder, chunker)
    pooled, passages, alone = train
    weights = fit(pooled, passages, alone, ridge=args.ridge)
    mapping = SentenceMap(weights)

    def report(name: str, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Any]:
        pooled, passage, alone = data
        mapped = mapping.apply(pooled, passage)
        row = {
            "sentences": len(pooled),
            "cosine_stored": round(mean_cosine(pooled, alone), 4),
            "cosine_mapped": round(mean_cosine(mapped, alone), 4),
        }
        print(f"{name}: {json.dumps(row)}", flush=True)
        return row

    checks = {"fitted": report("fitted", train)}
    if args.held_out:
        held = triples(articles[-args.held_out :], embedder, chunker)
        checks["held_out"] = report("held out", held)
    if args.check:
        other = triples(_articles(args.check)[::10], embedder, chunker)
        checks[str(args.check)] = report(str(args.check), other)
    mapping.meta = {
        "space": embedder.space,
        "corpus": str(args.corpus),
        "articles": args.articles,
        "ridge": args.ridge,
        "checks": checks,
        "seconds": round(time.perf_counter() - began, 1),
    }
    out = args.out or map_file(embedder.space)
    mapping.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

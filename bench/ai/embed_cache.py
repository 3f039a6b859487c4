"""Embed the benchmark texts once into file caches (bench/ai/.cache/<dataset>.npz) and
report CPU throughput. Usage: python bench/ai/embed_cache.py banking stackoverflow trec"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from crowdloop.ai.backends.embeddings import EmbeddingCache, SentenceEmbedder, embed_texts

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "text"
CACHE = Path(__file__).resolve().parent / ".cache"


def read_texts(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh, dialect="excel-tab")]


def main(names: list[str]) -> None:
    embedder = SentenceEmbedder(batch_size=64)
    t0 = time.perf_counter()
    embedder.encode(["warm up"])
    load_s = time.perf_counter() - t0
    for name in names:
        texts = read_texts(DATA / name / "train.tsv")
        cache = EmbeddingCache(CACHE / f"{name}.npz")
        before = cache.misses
        t0 = time.perf_counter()
        embed_texts(texts, embedder, cache)
        seconds = time.perf_counter() - t0
        computed = cache.misses - before
        cache.save()
        print(
            json.dumps(
                {
                    "dataset": name,
                    "texts": len(texts),
                    "computed": computed,
                    "seconds": round(seconds, 2),
                    "load_seconds": round(load_s, 2),
                    "texts_per_second": round(computed / seconds, 1) if computed else None,
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["banking", "stackoverflow", "trec"])

"""CPU embedding throughput of all-MiniLM-L6-v2 (texts/s), no cache, several batch sizes.

Usage: python bench/ai/throughput.py [N_TEXTS]  (texts from banking/test.tsv)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from crowdloop.ai.backends.embeddings import SentenceEmbedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_cache import DATA, read_texts


def main(n: int) -> None:
    texts = read_texts(DATA / "banking" / "test.tsv")[:n]
    t0 = time.perf_counter()
    embedder = SentenceEmbedder()
    embedder.encode(["warm up"])
    load = time.perf_counter() - t0
    for batch in (32, 64, 128):
        embedder.batch_size = batch
        t0 = time.perf_counter()
        embedder.encode(texts)
        seconds = time.perf_counter() - t0
        print(
            json.dumps(
                {
                    "texts": len(texts),
                    "batch_size": batch,
                    "seconds": round(seconds, 2),
                    "texts_per_second": round(len(texts) / seconds, 1),
                    "model_load_seconds": round(load, 2),
                    "load_average_1min": round(os.getloadavg()[0], 2),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

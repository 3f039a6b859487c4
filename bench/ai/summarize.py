"""Markdown table of bench/ai/results/*.jsonl (one row per run, then per-dataset means)."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = (
    "human_answers_per_item",
    "answer_reduction_vs_overlap3",
    "auto_accepted_fraction",
    "auto_accepted_accuracy",
    "final_accuracy",
)


def main(paths: list[Path]) -> None:
    rows = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line]
    print("| model | dataset | seed | items | " + " | ".join(COLUMNS) + " | overlap-3 DS acc |")
    print("|---" * (len(COLUMNS) + 5) + "|")
    groups: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for r in rows:
        model = r["settings"]["model"]
        values = [r[c] for c in COLUMNS]
        base = r["baseline_overlap3"]["accuracy_one_coin_ds"]
        cells = ["-" if v is None else f"{v:.3f}" for v in values]
        print(
            f"| {model} | {r['dataset']} | {r['settings']['seed']} | {r['items']} | "
            + " | ".join(cells)
            + f" | {base:.3f} |"
        )
        groups[(model, r["dataset"])].append(r)
    print()
    print(
        "| model | dataset | runs | mean answers/item | mean auto fraction | "
        "min auto accuracy | min final accuracy |"
    )
    print("|---|---|---|---|---|---|---|")
    for (model, name), runs in sorted(groups.items()):
        per_item = sum(r["human_answers_per_item"] for r in runs) / len(runs)
        auto = sum(r["auto_accepted_fraction"] for r in runs) / len(runs)
        auto_acc = [r["auto_accepted_accuracy"] for r in runs if r["auto_accepted_accuracy"]]
        final = min(r["final_accuracy"] for r in runs)
        auto_cell = f"{min(auto_acc):.3f}" if auto_acc else "-"
        print(
            f"| {model} | {name} | {len(runs)} | {per_item:.3f} | {auto:.3f} | "
            f"{auto_cell} | {final:.3f} |"
        )


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or sorted(RESULTS.glob("*.jsonl")))

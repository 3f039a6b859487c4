"""Print the markdown tables of docs/benchmarks/foundation.md from bench/foundation/results/.

.venv/bin/python bench/foundation/report.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

LOOP_COLS = [
    ("backend", "backend"),
    ("server_workers", "uvicorn workers"),
    ("workers", "clients"),
    ("mode", "mode"),
    ("answers_per_s", "answers/s"),
    ("next_p50_ms", "next p50"),
    ("next_p95_ms", "next p95"),
    ("next_p99_ms", "next p99"),
    ("submit_p50_ms", "submit p50"),
    ("submit_p95_ms", "submit p95"),
    ("submit_p99_ms", "submit p99"),
    ("server_cpu_ms_per_answer", "server CPU ms/answer"),
    ("client_cpu_pct", "client CPU %"),
    ("tasks_over_overlap", "over-assigned"),
    ("task_worker_duplicates", "dup (task,worker)"),
    ("n_errors", "HTTP errors"),
    ("loadavg_1m_before", "load avg"),
]


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return str(value)


def table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(k)) for k, _ in cols) + " |")
    return "\n".join(lines)


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def main() -> None:
    for name in sorted(p.stem for p in RESULTS.glob("*.json")):
        data = load(name)
        assert data is not None
        runs = data["runs"]
        for r in runs:
            r["n_errors"] = sum(r.get("errors", {}).values()) if "errors" in r else None
            if r.get("mode") == "one":  # next rides on submit?next=true: no separate latency
                for q in ("p50", "p95", "p99"):
                    r[f"next_{q}_ms"] = None
        print(f"\n### {name}\n\n`{data['command']}` (src: {data.get('snapshot_of_head')})\n")
        if name.startswith("loop"):
            print(table(runs, LOOP_COLS))
        elif name.startswith("explain"):
            print(
                table(
                    runs,
                    [
                        ("open_tasks", "open tasks"),
                        ("seen_by_worker", "seen by worker"),
                        ("candidate_query_median_ms", "candidate query ms (median)"),
                    ],
                )
            )
        else:
            keys = [
                k
                for k in dict.fromkeys(k for r in runs for k in r)
                if k not in ("stdout", "stderr_tail", "body", "n_errors")
            ]
            print(table(runs, [(k, k) for k in keys]))


if __name__ == "__main__":
    main()

"""The labelling loop, before and after a change, side by side in one run.

    .venv/bin/python bench/speed/loop_ab.py --before f0668d7 --workers 20 --rounds 3

Checks the ``--before`` commit out in a temporary git worktree and runs
bench/foundation/loop.py (a real uvicorn server on a fresh database, N concurrent workers
looping ``submit?next=true`` over HTTP) alternately on that commit's src/ and on this
checkout's, ``--rounds`` times each, so both see the same machine load. Prints, per run and
as medians: answers/s, the server's CPU milliseconds per answer (the figure a noisy shared
machine still measures fairly), submit p50/p99, errors and the integrity checks, then the
after/before ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LOOP = REPO / "bench" / "foundation" / "loop.py"
RESULTS = REPO / "bench" / "foundation" / "results"
KEYS = ("answers_per_s", "server_cpu_ms_per_answer", "submit_p50_ms", "submit_p99_ms")


def run(args: argparse.Namespace, pythonpath: str, name: str) -> dict[str, Any]:
    command = [
        sys.executable, str(LOOP), "--backend", args.backend, "--workers", str(args.workers),
        "--mode", "one", "--duration", str(args.duration), "--port", str(args.port),
        "--tasks", str(args.tasks), "--pythonpath", pythonpath, "--name", name,
    ]  # fmt: skip
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    path = RESULTS / f"{name}.json"
    row: dict[str, Any] = json.loads(path.read_text())["runs"][0]
    path.unlink()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="git commit to compare against")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--port", type=int, default=8793)
    args = ap.parse_args()
    rows: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "-f", "-q", str(tree), args.before], check=True)
        try:
            for i in range(args.rounds):
                for side, path in (("before", str(tree / "src")), ("after", "")):
                    row = run(args, path, f"loop_ab_{side}")
                    rows[side].append(row)
                    shown = {k: row[k] for k in (*KEYS, "loadavg_1m_before", "errors")}
                    integrity = (row["tasks_over_overlap"], row["task_worker_duplicates"])
                    print(f"round {i + 1} {side:6} {shown} over/dup={integrity}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False)
    medians = {s: {k: statistics.median(r[k] for r in rows[s]) for k in KEYS} for s in rows}
    print(json.dumps({"before": args.before, "medians": medians}, indent=1))
    for key in KEYS:
        print(f"{key}: after/before = {medians['after'][key] / medians['before'][key]:.2f}")


if __name__ == "__main__":
    main()

"""The labelling loop driven by wrk (a compiled load generator), so that the client does not
eat the CPU it measures.

    .venv/bin/python bench/speed/loop_wrk.py --backend sqlite --workers 50 --duration 20

Needs Debian's wrk (`apt-get install wrk`). Seeds a fresh database (bench/foundation/common.py:
one project, --tasks open tasks, overlap 3, one token per worker), starts a real uvicorn
server, and runs `wrk -t N -c N` with bench/speed/loop.lua: each connection is one worker
with its own token looping `submit?next=true`. Prints answers/s, the server's CPU per
answer (from /proc, the server's processes only), wrk's own CPU (user + system of the
finished wrk process), latency p50/p99 as wrk measured it, and the database checks
(over-assignment, duplicates, counters).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foundation"))
import common
from loop import integrity

HERE = Path(__file__).resolve().parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = common.fresh_database(args.backend)
    seeded = common.seed(url, n_workers=args.workers, n_tasks=args.tasks)
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False) as out:
        out.write("\n".join(seeded.worker_tokens) + "\n")
    env = {**os.environ, "LOOP_TOKENS": out.name, "LOOP_PROJECT": str(seeded.project_id)}
    command = [
        "wrk", "-t", str(args.workers), "-c", str(args.workers), "-d", f"{args.duration}s",
        "--timeout", "30s", "-s", str(HERE / "loop.lua"), f"http://127.0.0.1:{args.port}",
    ]  # fmt: skip
    load = os.getloadavg()[0]
    server_at = common.Server(
        url, workers=args.server_workers, port=args.port, pythonpath=args.pythonpath
    )
    with server_at as server:
        pids = server.pids()
        cpu0, client0, wall0 = common.cpu_seconds(pids), _children_cpu(), time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - wall0
        server_cpu, client_cpu = common.cpu_seconds(pids) - cpu0, _children_cpu() - client0
    os.unlink(out.name)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    answers = max(1, figures["answers"])
    return {
        "backend": args.backend,
        "server_workers": args.server_workers,
        "workers": args.workers,
        **figures,
        "answers_per_s": round(figures["answers"] / figures["duration_s"], 1),
        "server_cpu_ms_per_answer": round(1000 * server_cpu / answers, 2),
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        "client_cpu_ms_per_answer": round(1000 * client_cpu / answers, 3),
        "client_cpu_pct": round(100 * client_cpu / wall, 1),
        "loadavg_1m_before": round(load, 2),
        **integrity(url),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--workers", type=int, default=50)
    ap.add_argument("--server-workers", type=int, default=1)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--port", type=int, default=8801)
    ap.add_argument("--name", default=None)
    ap.add_argument("--pythonpath", default="", help="serve another checkout's src/ (before/after)")
    args = ap.parse_args()
    row = run(args)
    print(json.dumps(row, indent=1))
    name = args.name or f"loop_wrk_{args.backend}_{args.workers}"
    saved = common.save(name, {"machine": common.machine(), "runs": [row]}, HERE / "results")
    print("saved", saved)


if __name__ == "__main__":
    main()

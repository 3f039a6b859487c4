"""End-to-end push assignment through the service: N workers x M open tasks, k candidates.

    .venv/bin/python bench/allocation/push_latency.py --backend sqlite --workers 10000 \
        --tasks 100000 --candidates 20 [--dry-run]

Seeds with bench/foundation/common.py, then times one ``allocation.service.push`` call in
one unit of work (candidate query, graph, M(t, u), solve, and unless --dry-run the
conditional slot claims and inserts, plus the commit). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foundation"))
import common

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import service
from crowdloop.allocation.schemas import AssignRequest
from crowdloop.config import Settings
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--capacity", type=int, default=1)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    url = common.fresh_database(args.backend, name="bench_push")
    common.seed(url, n_workers=args.workers, n_tasks=args.tasks)
    db = build(Settings(database_url=url)).db
    request = AssignRequest(
        capacity=args.capacity,
        candidates=args.candidates,
        method=args.method,
        dry_run=args.dry_run,
    )
    before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    start, cpu = time.perf_counter(), time.process_time()
    with unit_of_work(db, write=not args.dry_run) as session:
        admin = User(id=0, username="bench", role=Role.admin, is_active=True)
        result = service.push(session, admin, 1, request)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    row = {
        "backend": args.backend,
        "workers": result.workers,
        "open_tasks": args.tasks,
        "tasks_considered": result.tasks_considered,
        "candidate_edges": result.candidate_edges,
        "planned": result.planned,
        "created": result.created,
        "dry_run": args.dry_run,
        "method": args.method,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "load_before": before,
        "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
    print(json.dumps(row), flush=True)
    db.dispose()


if __name__ == "__main__":
    main()

"""Next-task latency with the value-based policy at 1,000,000 open tasks, both backends.

    .venv/bin/python bench/allocation/next_task_latency.py --backend sqlite postgresql \
        --tasks 1000000 --requests 1000 [--http]

Seeding reuses bench/foundation/common.py (fast Core insert). Half of the workers get a
fitted confusion row so both scoring paths run. In-process: each request is one unit of
work (load worker and project, ``allocation.policy.next_assignment``, commit), timed end to end; the
answer is then submitted untimed, so every request takes the normal path (no live lease,
candidate window, M(t, u) ordering, slot claim). Each policy (value, priority) runs on the
same database one after the other. ``--http`` also times ``POST /projects/{id}/next`` on a
real uvicorn server. Prints one JSON line per run with p50/p99 and the load average.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foundation"))
import common

from crowdloop.accounts.models import User
from crowdloop.algorithms.skills.from_confusion import one_coin_confusion
from crowdloop.allocation import policy as allocation_policy
from crowdloop.config import Settings
from crowdloop.projects.models import Project
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build
from crowdloop.work import service

WARMUP = 50


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _prepare(db: Database, project_id: int) -> list[int]:
    with unit_of_work(db) as session:
        workers = list(session.scalars(select(User.id).where(User.role == "worker")))
        for i, wid in enumerate(workers[::2]):
            acc = 0.6 + 0.3 * i / max(len(workers), 1)
            session.add(
                WorkerQuality(
                    project_id=project_id,
                    worker_id=wid,
                    accuracy=acc,
                    confusion=one_coin_confusion(acc, 3).tolist(),
                )
            )
    return workers


def _policy(db: Database, project_id: int, policy: str) -> None:
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        assert project is not None
        config = {**(project.quality_config or {}), "allocation": policy, "control_rate": 0.0}
        session.execute(
            update(Project).where(Project.id == project_id).values(quality_config=config)
        )


def _one(db: Database, project_id: int, worker_id: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    with unit_of_work(db) as session:
        worker = session.get(User, worker_id)
        project = session.get(Project, project_id)
        assert worker is not None
        assert project is not None
        job_id = allocation_policy.next_assignment(session, worker, project).id
    return (time.perf_counter() - t0) * 1000, job_id


def _submit(db: Database, worker_id: int, job_id: int) -> None:
    with unit_of_work(db) as session:
        worker = session.get(User, worker_id)
        assert worker is not None
        service.submit(session, worker, job_id, "cat")


def in_process(db: Database, project_id: int, workers: list[int], n: int) -> dict[str, Any]:
    lat = []
    for i in range(n + WARMUP):
        worker_id = workers[i % len(workers)]
        ms, job_id = _one(db, project_id, worker_id)
        if i >= WARMUP:
            lat.append(ms)
        _submit(db, worker_id, job_id)
    return _stats(lat)


def over_http(url: str, seeded: common.Seeded, n: int) -> dict[str, Any]:
    lat = []
    with common.Server(url) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        for i in range(n + WARMUP):
            headers = {
                "Authorization": f"Bearer {seeded.worker_tokens[i % len(seeded.worker_tokens)]}"
            }
            t0 = time.perf_counter()
            r = http.post(f"/api/v1/projects/{seeded.project_id}/next", headers=headers)
            ms = (time.perf_counter() - t0) * 1000
            r.raise_for_status()
            if i >= WARMUP:
                lat.append(ms)
            job = r.json()["id"]
            http.post(f"/api/v1/assignments/{job}/submit", json={"answer": "cat"}, headers=headers)
    return _stats(lat)


def _stats(lat: list[float]) -> dict[str, Any]:
    arr = np.asarray(lat)
    return {
        "requests": int(arr.size),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p99_ms": round(float(np.percentile(arr, 99)), 2),
        "mean_ms": round(float(arr.mean()), 2),
    }


def run(backend: str, args: argparse.Namespace) -> None:
    url = common.fresh_database(backend, name="bench_alloc")
    t0 = time.perf_counter()
    seeded = common.seed(url, n_workers=args.workers, n_tasks=args.tasks)
    print(f"# {backend}: seeded {args.tasks} tasks in {time.perf_counter() - t0:.0f} s", flush=True)
    db = build(Settings(database_url=url)).db
    workers = _prepare(db, seeded.project_id)
    for policy in args.policies:
        _policy(db, seeded.project_id, policy)
        before = _load()
        out = in_process(db, seeded.project_id, workers, args.requests)
        row = {"backend": backend, "via": "service", "policy": policy, "open_tasks": args.tasks}
        print(json.dumps({**row, **out, "load_before": before, "load_after": _load()}), flush=True)
    if args.http:
        _policy(db, seeded.project_id, "value")
        before = _load()
        out = over_http(url, seeded, args.requests)
        row = {
            "backend": backend,
            "via": "http",
            "policy": "value",
            "open_tasks": args.tasks,
        }
        print(json.dumps({**row, **out, "load_before": before, "load_after": _load()}), flush=True)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--policies", nargs="+", default=["value", "priority"])
    parser.add_argument("--http", action="store_true")
    args = parser.parse_args()
    for backend in args.backend:
        run(backend, args)


if __name__ == "__main__":
    main()

"""Labelling-loop benchmark: N concurrent workers over plain HTTP against a real uvicorn server.

    .venv/bin/python bench/foundation/loop.py --backend sqlite --server-workers 1 \
        --workers 1 10 50 --mode two one --duration 20 --tasks 10000

Each worker (own account, own token, one keep-alive connection) loops
``POST /projects/{id}/next`` -> ``POST /assignments/{aid}/submit`` (mode "two"), or
``POST /assignments/{aid}/submit?next=true`` (mode "one": one round trip per answer).
After the run the database is queried directly for over-assignment and duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

import common
import httpx
from sqlalchemy import create_engine, text

WARMUP_S = 2.0


@dataclass
class Stats:
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    answers: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    # (seconds since start, next latency ms, answers done by that worker) for drift analysis
    trace: list[tuple[float, float, int]] = field(default_factory=list)


async def _worker(
    base: str, token: str, project_id: int, mode: str, t_start: float, t_end: float, st: Stats
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        nxt = f"/api/v1/projects/{project_id}/next"
        done = 0
        job: dict[str, Any] | None = None
        while time.perf_counter() < t_end:
            if job is None:
                t0 = time.perf_counter()
                r = await c.post(nxt)
                t1 = time.perf_counter()
                if r.status_code != 200:
                    _error(st, "next", r)
                    if r.status_code == 404:
                        return
                    continue
                job = r.json()
                if t0 - t_start >= WARMUP_S:
                    st.next_ms.append((t1 - t0) * 1000)
                    st.trace.append((t0 - t_start, (t1 - t0) * 1000, done))
            assert job is not None
            url = f"/api/v1/assignments/{job['id']}/submit"
            t0 = time.perf_counter()
            r = await c.post(
                url,
                params={"next": "true"} if mode == "one" else None,
                json={"answer": random.choice(common.LABELS)},
            )
            t1 = time.perf_counter()
            if r.status_code != 200:
                _error(st, "submit", r)
                job = None
                continue
            done += 1
            if t1 >= t_start + WARMUP_S and t1 <= t_end:
                st.answers += 1
            if t0 - t_start >= WARMUP_S:
                st.submit_ms.append((t1 - t0) * 1000)
            job = r.json().get("next") if mode == "one" else None


def _error(st: Stats, what: str, r: httpx.Response) -> None:
    key = f"{what} {r.status_code} {r.text[:80]}"
    st.errors[key] = st.errors.get(key, 0) + 1


async def _drive(base: str, seeded: common.Seeded, n: int, mode: str, duration: float) -> Stats:
    st = Stats()
    t_start = time.perf_counter()
    t_end = t_start + WARMUP_S + duration
    await asyncio.gather(
        *(
            _worker(base, tok, seeded.project_id, mode, t_start, t_end, st)
            for tok in seeded.worker_tokens[:n]
        )
    )
    return st


def integrity(url: str) -> dict[str, int]:
    """Over-assignment and duplicates, straight from the database."""
    engine = create_engine(url)
    queries = {
        "tasks_over_overlap": """
            SELECT count(*) FROM (
              SELECT a.task_id FROM assignments a JOIN tasks t ON t.id = a.task_id
              WHERE a.status IN ('submitted', 'active')
              GROUP BY a.task_id, t.overlap HAVING count(*) > t.overlap) x""",
        "task_worker_duplicates": """
            SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments
              GROUP BY task_id, worker_id HAVING count(*) > 1) x""",
        "counter_mismatches": """
            SELECT count(*) FROM tasks t WHERE t.slots <> t.overlap - t.n_answers - t.n_active
              OR t.n_answers <> (SELECT count(*) FROM assignments a
                                 WHERE a.task_id = t.id AND a.status = 'submitted')""",
        "submitted_answers": "SELECT count(*) FROM assignments WHERE status = 'submitted'",
        "active_assignments": "SELECT count(*) FROM assignments WHERE status = 'active'",
    }
    with engine.connect() as conn:
        out = {k: int(conn.execute(text(q)).scalar() or 0) for k, q in queries.items()}
    engine.dispose()
    return out


def run_one(  # noqa: PLR0913 - one per loop setting
    backend: str,
    server_workers: int,
    n: int,
    mode: str,
    duration: float,
    n_tasks: int,
    pythonpath: str = "",
    port: int = 8765,
) -> dict[str, Any]:
    url = common.fresh_database(backend)
    t0 = time.perf_counter()
    seeded = common.seed(url, n_workers=n, n_tasks=n_tasks)
    seed_s = time.perf_counter() - t0
    load0 = os.getloadavg()[0]
    with common.Server(url, workers=server_workers, pythonpath=pythonpath, port=port) as server:
        pids = server.pids()
        cpu0, own0, w0 = common.cpu_seconds(pids), os.times(), time.perf_counter()
        st = asyncio.run(_drive(server.base, seeded, n, mode, duration))
        wall = time.perf_counter() - w0
        own1, cpu1 = os.times(), common.cpu_seconds(pids)
        rss = {p: common.proc_status_kb(p, "VmHWM") for p in pids}
    client_cpu = (own1.user - own0.user) + (own1.system - own0.system)
    row = {
        "backend": backend,
        "server_workers": server_workers,
        "workers": n,
        "mode": mode,
        "open_tasks": n_tasks,
        "duration_s": duration,
        "seed_s": round(seed_s, 2),
        "answers": st.answers,
        "answers_per_s": round(st.answers / duration, 1),
        **_lat("next", st.next_ms),
        **_lat("submit", st.submit_ms),
        "client_cpu_pct": round(100 * client_cpu / wall, 1),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
        "server_peak_rss_mb": round(max(rss.values()) / 1024, 1),
        "loadavg_1m_before": round(load0, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "server_cpu_ms_per_answer": round(1000 * (cpu1 - cpu0) / max(1, st.answers), 2),
        "patched_src": pythonpath or None,
        "errors": st.errors,
        **integrity(url),
        "next_drift": _drift(st.trace),
    }
    return row


def _lat(name: str, ms: list[float]) -> dict[str, float]:
    return {
        f"{name}_{k}_ms": round(common.percentile(ms, q), 1)
        for k, q in (("p50", 50), ("p95", 95), ("p99", 99))
    }


def _drift(trace: list[tuple[float, float, int]]) -> list[dict[str, float]]:
    """next p50 per fifth of the run: does it grow as workers answer more?"""
    if not trace:
        return []
    trace.sort()
    k = max(1, len(trace) // 5)
    return [
        {
            "t_s": round(chunk[0][0], 1),
            "done_by_worker": chunk[0][2],
            "next_p50_ms": round(common.percentile([c[1] for c in chunk], 50), 2),
        }
        for chunk in (trace[i : i + k] for i in range(0, len(trace), k))
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    ap.add_argument("--server-workers", type=int, nargs="+", default=[1])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 10, 50])
    ap.add_argument("--mode", nargs="+", choices=["two", "one"], default=["two", "one"])
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--name", default=None, help="results file name (default derived)")
    ap.add_argument(
        "--pythonpath", default="", help="serve a patched copy of src/ (to measure a proposed fix)"
    )
    ap.add_argument("--port", type=int, default=8765, help="server port (free one)")
    args = ap.parse_args()
    rows = []
    for sw in args.server_workers:
        for n in args.workers:
            for mode in args.mode:
                row = run_one(
                    args.backend, sw, n, mode, args.duration, args.tasks, args.pythonpath, args.port
                )
                rows.append(row)
                print({k: v for k, v in row.items() if k != "next_drift"}, flush=True)
    name = args.name or f"loop_{args.backend}_{args.tasks}"
    path = common.save(name, {"machine": common.machine(), "runs": rows})
    print("saved", path)


if __name__ == "__main__":
    main()

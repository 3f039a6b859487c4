"""Export benchmark: N tasks with aggregated results and 3 answers each, via CLI and HTTP.

    .venv/bin/python bench/foundation/export_bench.py --backend sqlite --tasks 1000000 \
        --format jsonl csv json --via cli http

Seeds with set-based SQL (INSERT ... SELECT over a generated series), then times
`crowdloop export PID --format F -o /tmp/...` in a subprocess (peak RSS via os.wait4) and
GET /api/v1/projects/{id}/export?format=F against a real uvicorn server (server VmHWM).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import common
import httpx
from sqlalchemy import text

from crowdloop.config import Settings
from crowdloop.wiring import build

SQLITE_SEED = [
    """WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < :n)
       INSERT INTO tasks (project_id, external_id, data, priority, required_skills, is_control,
         overlap, slots, n_answers, n_active, result, confidence, created_at)
       SELECT :p, 't' || x, json_object('text', 'task number ' || x || ': cat, dog or bird?'),
         0, '[]', 0, 3, 0, 3, 0, '"cat"', 0.667, datetime('now') FROM s""",
    """INSERT INTO assignments (project_id, task_id, worker_id, status, reward_cents,
         lease_expires_at, created_at, finished_at, answer)
       SELECT t.project_id, t.id, u.id, 'submitted', 0, datetime('now'), datetime('now'),
         datetime('now'), CASE WHEN u.id % 3 = 0 THEN '"dog"' ELSE '"cat"' END
       FROM tasks t CROSS JOIN (SELECT id FROM users WHERE role = 'worker') u
       WHERE t.project_id = :p""",
]
PG_SEED = [
    """INSERT INTO tasks (project_id, external_id, data, priority, required_skills, is_control,
         overlap, slots, n_answers, n_active, result, confidence, created_at)
       SELECT :p, 't' || x, json_build_object('text', 'task number ' || x || ': cat, dog or bird?'),
         0, '[]', false, 3, 0, 3, 0, '"cat"', 0.667, now() FROM generate_series(0, :n - 1) x""",
    """INSERT INTO assignments (project_id, task_id, worker_id, status, reward_cents,
         lease_expires_at, created_at, finished_at, answer)
       SELECT t.project_id, t.id, u.id, 'submitted', 0, now(), now(), now(),
         CASE WHEN u.id % 3 = 0 THEN '"dog"'::json ELSE '"cat"'::json END
       FROM tasks t CROSS JOIN (SELECT id FROM users WHERE role = 'worker') u
       WHERE t.project_id = :p""",
]


def seed_results(backend: str, n: int) -> common.Seeded:
    url = common.fresh_database(backend, name="export")
    seeded = common.seed(url, n_workers=3, n_tasks=0)
    db = build(Settings(database_url=url)).db
    with db.engine.begin() as conn:
        for sql in SQLITE_SEED if db.is_sqlite else PG_SEED:
            conn.execute(text(sql), {"p": seeded.project_id, "n": n})
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    db.dispose()
    return seeded


def via_cli(url: str, project_id: int, fmt: str) -> dict[str, Any]:
    out = common.WORK_DIR / f"export.{fmt}"
    env = {**os.environ, "CROWDLOOP_DATABASE_URL": url}
    cmd = [
        sys.executable,
        "-m",
        "crowdloop",
        "export",
        str(project_id),
        "--format",
        fmt,
        "--output",
        str(out),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = (proc.stderr.read() if proc.stderr else b"").decode()
    size = out.stat().st_size if out.exists() else 0
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "output_mb": round(size / 2**20, 1),
        "stderr_tail": err.strip()[-200:],
    }


def via_http(url: str, seeded: common.Seeded, fmt: str) -> dict[str, Any]:
    with common.Server(url) as server:
        pids = server.pids()
        rss0 = max(common.proc_status_kb(p, "VmRSS") for p in pids)
        headers = {"Authorization": f"Bearer {seeded.requester_token}"}
        size, t0 = 0, time.perf_counter()
        first_byte = None
        with httpx.stream(
            "GET",
            f"{server.base}/api/v1/projects/{seeded.project_id}/export",
            params={"format": fmt},
            headers=headers,
            timeout=3600,
        ) as r:
            for chunk in r.iter_raw():
                first_byte = first_byte or time.perf_counter() - t0
                size += len(chunk)
            status = r.status_code
        seconds = time.perf_counter() - t0
        hwm = max(common.proc_status_kb(p, "VmHWM") for p in pids)
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "first_byte_s": round(first_byte or 0, 3),
        "output_mb": round(size / 2**20, 1),
        "server_rss_before_mb": round(rss0 / 1024, 1),
        "server_peak_rss_mb": round(hwm / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--format", nargs="+", choices=["jsonl", "csv", "json"], default=["jsonl"])
    ap.add_argument("--via", nargs="+", choices=["cli", "http"], default=["cli", "http"])
    args = ap.parse_args()
    t0 = time.perf_counter()
    seeded = seed_results(args.backend, args.tasks)
    print(f"seeded {args.tasks} tasks x 3 answers in {time.perf_counter() - t0:.1f} s", flush=True)
    rows = []
    for fmt in args.format:
        for via in args.via:
            load0 = os.getloadavg()[0]
            res = (
                via_cli(seeded.url, seeded.project_id, fmt)
                if via == "cli"
                else via_http(seeded.url, seeded, fmt)
            )
            row = {
                "backend": args.backend,
                "via": via,
                "format": fmt,
                "tasks": args.tasks,
                "answers": 3 * args.tasks,
                "loadavg_1m_before": round(load0, 2),
                **res,
            }
            if res["seconds"]:
                row["tasks_per_s"] = round(args.tasks / res["seconds"])
            print(row, flush=True)
            rows.append(row)
    common.save(f"export_{args.backend}", {"machine": common.machine(), "runs": rows})


if __name__ == "__main__":
    main()

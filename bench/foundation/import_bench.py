"""Import benchmark: N tasks from a JSONL (or CSV) file via `crowdloop import` and via HTTP.

    .venv/bin/python bench/foundation/import_bench.py --backend sqlite --tasks 100000 1000000 \
        --via cli http

The file is generated once in /tmp/crowdloop-bench (never in the repo). The CLI import runs
in a subprocess whose peak RSS is read with os.wait4; the HTTP import posts the file to a real
uvicorn server (POST /api/v1/projects/{id}/import) and samples the server's VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common
import httpx
from sqlalchemy import create_engine, text


def task_file(n: int, fmt: str) -> Path:
    path = common.WORK_DIR / f"tasks_{n}.{fmt}"
    if path.exists():
        return path
    common.WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w") as out:
        if fmt == "csv":
            out.write("text,external_id\n")
        for i in range(n):
            body = f"task number {i}: is this a cat, a dog or a bird?"
            if fmt == "csv":
                out.write(f"{body},t{i}\n")
            else:
                out.write(json.dumps({"data": {"text": body}, "external_id": f"t{i}"}) + "\n")
    tmp.rename(path)
    return path


def count_tasks(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM tasks")).scalar_one())
    engine.dispose()
    return n


def via_cli(url: str, project_id: int, path: Path) -> dict[str, Any]:
    env = {**os.environ, "CROWDLOOP_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "crowdloop", "import", str(project_id), str(path)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out = (proc.stdout.read() if proc.stdout else b"").decode()[-300:]
    err = (proc.stderr.read() if proc.stderr else b"").decode()[-300:]
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "stdout": out.strip(),
        "stderr_tail": err.strip()[-200:],
    }


def via_http(url: str, seeded: common.Seeded, path: Path) -> dict[str, Any]:
    with common.Server(url) as server:
        pids = server.pids()
        rss0 = max(common.proc_status_kb(p, "VmRSS") for p in pids)
        headers = {"Authorization": f"Bearer {seeded.requester_token}"}
        t0 = time.perf_counter()
        with path.open("rb") as fh:
            r = httpx.post(
                f"{server.base}/api/v1/projects/{seeded.project_id}/import",
                headers=headers,
                files={"file": (path.name, fh)},
                timeout=3600,
            )
        seconds = time.perf_counter() - t0
        hwm = max(common.proc_status_kb(p, "VmHWM") for p in pids)
    return {
        "status": r.status_code,
        "seconds": round(seconds, 2),
        "server_rss_before_mb": round(rss0 / 1024, 1),
        "server_peak_rss_mb": round(hwm / 1024, 1),
        "body": r.text[:200],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    ap.add_argument("--tasks", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--via", nargs="+", choices=["cli", "http"], default=["cli", "http"])
    ap.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    args = ap.parse_args()
    rows = []
    for n in args.tasks:
        path = task_file(n, args.format)
        for via in args.via:
            url = common.fresh_database(args.backend, name="import")
            seeded = common.seed(url, n_workers=0, n_tasks=0)
            load0 = os.getloadavg()[0]
            res = (
                via_cli(url, seeded.project_id, path)
                if via == "cli"
                else via_http(url, seeded, path)
            )
            stored = count_tasks(url)
            row = {
                "backend": args.backend,
                "via": via,
                "format": args.format,
                "tasks": n,
                "file_mb": round(path.stat().st_size / 2**20, 1),
                "stored": stored,
                "tasks_per_s": round(stored / res["seconds"]) if res["seconds"] else None,
                "loadavg_1m_before": round(load0, 2),
                **res,
            }
            print(row, flush=True)
            rows.append(row)
    common.save(f"import_{args.backend}_{args.format}", {"machine": common.machine(), "runs": rows})


if __name__ == "__main__":
    main()

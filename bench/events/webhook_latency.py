"""Webhook latency: answer acknowledged -> delivery on a local receiver, p50/p99.

    PYTHONPATH=<checkout>/src .venv/bin/python bench/events/webhook_latency.py \
        --backends sqlite postgresql --jobs embedded worker --duration 20

For each backend and each way of running jobs (``embedded``: threads of ``crowdloop serve``;
``worker``: ``CROWDLOOP_JOBS_EMBEDDED=0`` and one ``crowdloop worker`` process) a fresh
database is seeded, the real ``crowdloop serve`` is started (through kill_app.py with
``BENCH_SUBSCRIBERS=0``: the wiring's own bus, plus its no-op ``live`` shim) with
``CROWDLOOP_WEBHOOKS_ALLOW_PRIVATE=1`` (and its later name, ``..._OUTBOUND_ALLOW_PRIVATE``), an
endpoint for ``answer.submitted`` pointing at a receiver thread of this script (receiver.py)
is registered through the API, and
``--http-workers`` workers answer (next -> submit), each pausing ``--pause`` seconds between
answers, so that latency is measured below saturation. Latency is the receiver's arrival
time minus the moment the submit's 200 was read (both ``time.monotonic()``, one clock
for the machine). After the drive the script waits up to 30 s for the last deliveries;
it reports undelivered answers and webhook-ids received twice. CPU of the server (and of
the worker) per answer is read from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from receiver import Receiver

import helpers

sys.path.insert(0, str(helpers.REPO / "bench" / "foundation"))
import common as foundation

PORT = 8793
KILL_APP = Path(__file__).resolve().parent / "kill_app.py"


def answer_loop(base: str, token: str, project_id: int, stop: threading.Event, **kw: Any) -> None:
    acked: dict[int, float] = kw["acked"]
    pause: float = kw["pause"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        while not stop.is_set():
            r = c.post(f"/api/v1/projects/{project_id}/next")
            if r.status_code != 200:
                time.sleep(0.1)
                continue
            aid = int(r.json()["id"])
            r = c.post(
                f"/api/v1/assignments/{aid}/submit",
                json={"answer": random.choice(foundation.LABELS)},
            )
            if r.status_code == 200:
                acked[aid] = time.monotonic()
            time.sleep(pause)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        command = [sys.executable, str(KILL_APP), *args]  # the real CLI, see kill_app.py
        return subprocess.Popen(
            command, env={**env, "BENCH_SUBSCRIBERS": "0"}, stdout=out, stderr=out
        )


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(foundation.percentile(values, 50), 1),
        "p95_ms": round(foundation.percentile(values, 95), 1),
        "p99_ms": round(foundation.percentile(values, 99), 1),
        "max_ms": round(max(values), 1),
    }


def drive(
    base: str, seeded: Any, receiver: Receiver, pids: list[int], args: argparse.Namespace
) -> tuple[dict[int, float], float, float]:
    """Answer for the duration; wait up to 30 s for the last deliveries. (acked at, load
    before, CPU seconds of the given processes while answering)."""
    acked: dict[int, float] = {}
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=answer_loop,
            args=(base, tok, seeded.project_id, stop),
            kwargs={"acked": acked, "pause": args.pause},
        )
        for tok in seeded.worker_tokens
    ]
    load0, cpu0 = helpers.loadavg(), helpers.cpu_seconds(pids)
    for t in threads:
        t.start()
    time.sleep(args.duration)
    stop.set()
    for t in threads:
        t.join()
    cpu = helpers.cpu_seconds(pids) - cpu0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if set(acked) <= {d.assignment_id for d in receiver.snapshot()}:
            break
        time.sleep(0.2)
    return acked, load0, cpu


def run_one(backend: str, jobs: str, args: argparse.Namespace) -> dict[str, Any]:
    url = helpers.fresh_database(backend, "events_webhooks")
    seeded = foundation.seed(url, n_workers=args.http_workers, n_tasks=args.tasks)
    receiver = Receiver().start()
    logs = helpers.WORK_DIR / f"webhooks_{backend}_{jobs}"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CROWDLOOP_DATABASE_URL": url,
        "CROWDLOOP_REFIT_INTERVAL_SECONDS": "0",
        "CROWDLOOP_AI_INTERVAL_SECONDS": "0",
        "CROWDLOOP_WEBHOOKS_ALLOW_PRIVATE": "1",  # the setting's name up to 0cc6378
        "CROWDLOOP_OUTBOUND_ALLOW_PRIVATE": "1",  # its name after
        "CROWDLOOP_JOBS_EMBEDDED": "1" if jobs == "embedded" else "0",
    }
    base = f"http://127.0.0.1:{PORT}"
    procs = [start(["serve", "--port", str(PORT)], env, logs / "server.log")]
    if jobs == "worker":
        procs.append(start(["worker"], env, logs / "worker.log"))
    try:
        wait_ready(base, procs[0])
        headers = {"Authorization": f"Bearer {seeded.requester_token}"}
        r = httpx.post(
            f"{base}/api/v1/projects/{seeded.project_id}/webhooks",
            headers=headers,
            json={"url": receiver.url, "event_types": ["answer.submitted"]},
        )
        if r.status_code != 201:
            raise RuntimeError(f"endpoint not created: {r.status_code} {r.text}")
        pids = [p.pid for p in procs]
        acked, load0, cpu = drive(base, seeded, receiver, pids, args)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        receiver.stop()
    first: dict[int, float] = {}
    for d in receiver.snapshot():
        if d.assignment_id is not None and d.assignment_id not in first:
            first[d.assignment_id] = d.at
    latencies = [1000 * (first[a] - t) for a, t in acked.items() if a in first]
    row = {
        "backend": backend,
        "jobs": jobs,
        "answers_acked": len(acked),
        "answers_delivered": len(latencies),
        "undelivered": len(acked) - len(latencies),
        **percentiles(latencies),
        **receiver.duplicates(),
        "server_cpu_ms_per_answer": round(1000 * cpu / max(1, len(acked)), 2),
        "loadavg_before": load0,
        "loadavg_after": helpers.loadavg(),
    }
    print(json.dumps(row), flush=True)
    helpers.drop_database(url)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    ap.add_argument("--jobs", nargs="+", choices=["embedded", "worker"], default=["embedded"])
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--http-workers", type=int, default=2)
    ap.add_argument("--pause", type=float, default=0.2, help="seconds between a worker's answers")
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--name", default="webhook_latency")
    args = ap.parse_args()
    rows = [run_one(b, j, args) for b in args.backends for j in args.jobs]
    print("saved", helpers.save(args.name, {"runs": rows}))


if __name__ == "__main__":
    main()

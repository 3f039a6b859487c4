"""kill -9 the server and the job worker while workers answer: are events lost or duplicated?

    PYTHONPATH=/tmp/cl-head/src .venv/bin/python bench/events/kill_runs.py --backend postgresql \
        --server-kills 20 --worker-kills 20
    PYTHONPATH=/tmp/cl-head/src .venv/bin/python bench/events/kill_runs.py --backend sqlite \
        --server-kills 20 --worker-kills 0

PostgreSQL: ``crowdloop serve`` with ``CROWDLOOP_JOBS_EMBEDDED=0`` and one ``crowdloop
worker``; SQLite: ``crowdloop serve`` with its jobs embedded (no worker). Both are the real
CLI run through kill_app.py, which adds two benchmark subscribers (see its docstring).
``--http-workers`` threads loop next -> submit over HTTP, riding out the outages (a submit
whose connection broke is sent again once the server is back). The server and, independently,
the worker are sent SIGKILL after a random uptime (seeded, uniform in [--min-up, --max-up]
seconds from the moment each was ready) and started again at once, 20 times each; the
drive ends --min-up seconds after the last restart.

Afterwards: the drivers stop, the live worker gets ``--settle`` seconds to catch up, the
processes are stopped, and the relay is run in this process until nothing is due (leases of
handlings and deliveries held by a killed worker lapse after CROWDLOOP_JOB_LEASE_SECONDS, 10
here). Then,
from the database and the external log:

- answers acknowledged by HTTP 200, answers in the database (an acknowledged answer must be
  there; the database may hold more: its response was lost in a kill);
- ``answer.submitted`` events: lost = committed answers with none, duplicated = two for one
  answer, orphan = an event for an answer that is not committed; the same for
  ``assignment.leased`` against every assignment row;
- handlings not done after the final relay (lost), ``bench.record`` runs committed twice
  for one event (must be 0: the run and its 'done' commit together), ``bench.external``
  ids appended twice (the at-least-once window a webhook has), and ids never appended;
- the relay's lag during the run (oldest undispatched event, sampled every second).
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
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from receiver import Receiver
from sqlalchemy import create_engine, text

import helpers

sys.path.insert(0, str(helpers.REPO / "bench" / "foundation"))
import common as foundation
import kill_app
from kill_checks import (
    LAG_KEYS,
    Drive,
    _undispatched,
    check,
    check_webhooks,
    final_relay,
    final_send,
    lag_monitor,
)

PORT = 8792
KILL_APP = Path(__file__).resolve().parent / "kill_app.py"


def _post(c: httpx.Client, url: str, drive: Drive, **kw: Any) -> httpx.Response | None:
    """POST, retried while the server is down; None once the run is over."""
    while not drive.stop.is_set():
        try:
            return c.post(url, **kw)
        except httpx.TransportError:
            with drive.lock:
                drive.statuses["transport error"] += 1
            time.sleep(0.1)
    return None


def http_worker(base: str, token: str, project_id: int, drive: Drive) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
        while not drive.stop.is_set():
            r = _post(c, f"/api/v1/projects/{project_id}/next", drive)
            if r is None:
                return
            if r.status_code != 200:
                with drive.lock:
                    drive.statuses[f"next {r.status_code}"] += 1
                time.sleep(0.05)
                continue
            aid = int(r.json()["id"])
            tries = 0
            while True:
                tries += 1
                try:
                    r = c.post(
                        f"/api/v1/assignments/{aid}/submit",
                        json={"answer": random.choice(foundation.LABELS)},
                    )
                    break
                except httpx.TransportError:
                    with drive.lock:
                        drive.statuses["transport error"] += 1
                    if drive.stop.is_set():
                        return
                    time.sleep(0.1)
            with drive.lock:
                drive.statuses[f"submit {r.status_code}"] += 1
                if r.status_code == 200:
                    drive.acked.add(aid)
                    drive.resubmits_ok += tries > 1


class Proc:
    """One crowdloop process (serve or worker) that can be killed and started again."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready: str = "") -> None:
        self.args, self.env, self.log, self.ready = args, env, log, ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts: list[float] = []
        self.cpu = 0.0

    def start(self) -> None:
        """Start and wait until ready: the health URL answers, or (worker) the log has one
        more "crowdloop worker:" line, printed once its imports and schema check are done."""
        t0 = time.perf_counter()
        marks = self._marks()
        with open(self.log, "ab") as out:
            command = [sys.executable, str(KILL_APP), *self.args]
            self.proc = subprocess.Popen(command, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + 120
        while not self._ready(marks):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.args} did not start")
            time.sleep(0.05)
        self.starts.append(time.perf_counter() - t0)

    def _marks(self) -> int:
        try:
            return self.log.read_bytes().count(b"crowdloop worker:")
        except OSError:
            return 0

    def _ready(self, marks: int) -> bool:
        if not self.ready:
            return self._marks() > marks
        try:
            return httpx.get(self.ready, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.cpu += helpers.cpu_seconds([self.proc.pid])
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu += helpers.cpu_seconds([self.proc.pid])
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def killer(proc: Proc, kills: int, args: argparse.Namespace, seed: int, done: Counter[str]) -> None:
    """kill -9 after a random uptime (uniform between --min-up and --max-up seconds, counted
    from the moment the process was ready), start again, ``kills`` times."""
    rng = random.Random(seed)
    for _ in range(kills):
        time.sleep(rng.uniform(args.min_up, args.max_up))
        proc.kill()
        proc.start()
        done[proc.args[0]] += 1


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = helpers.fresh_database(args.backend, "events_kill")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(kill_app.HANDLED_DDL))
    engine.dispose()
    seeded = foundation.seed(url, n_workers=args.http_workers, n_tasks=args.tasks)
    logs = helpers.WORK_DIR / f"kill_{args.backend}"
    logs.mkdir(parents=True, exist_ok=True)
    external_log = logs / "external.log"
    external_log.write_text("")
    env = {
        **os.environ,
        "CROWDLOOP_DATABASE_URL": url,
        "CROWDLOOP_REFIT_INTERVAL_SECONDS": "0",
        "CROWDLOOP_AI_INTERVAL_SECONDS": "0",
        "CROWDLOOP_JOB_LEASE_SECONDS": str(args.lease),
        "CROWDLOOP_JOBS_EMBEDDED": "1" if args.backend == "sqlite" else "0",
        "BENCH_EXTERNAL_LOG": str(external_log),
    }
    env["CROWDLOOP_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # the setting's name up to 0cc6378
    env["CROWDLOOP_OUTBOUND_ALLOW_PRIVATE"] = "1"  # its name after
    receiver = Receiver().start()
    base = f"http://127.0.0.1:{PORT}"
    server = Proc(["serve", "--port", str(PORT)], env, logs / "server.log", base + "/api/v1/health")
    worker = Proc(["worker"], env, logs / "worker.log") if args.backend == "postgresql" else None
    server.start()
    if worker is not None:
        worker.start()
    httpx.post(
        f"{base}/api/v1/projects/{seeded.project_id}/webhooks",
        headers={"Authorization": f"Bearer {seeded.requester_token}"},
        json={"url": receiver.url, "event_types": ["answer.submitted"]},
    ).raise_for_status()
    drive, stop_lag, lag = Drive(), threading.Event(), []
    threads = [
        threading.Thread(target=http_worker, args=(base, tok, seeded.project_id, drive))
        for tok in seeded.worker_tokens
    ]
    threads.append(threading.Thread(target=lag_monitor, args=(url, stop_lag, lag)))
    load0, t0 = helpers.loadavg(), time.perf_counter()
    for t in threads:
        t.start()
    done_kills: Counter[str] = Counter()
    killers = [
        threading.Thread(
            target=killer, args=(server, args.server_kills, args, args.seed, done_kills)
        )
    ]
    if worker is not None:
        killers.append(
            threading.Thread(
                target=killer, args=(worker, args.worker_kills, args, args.seed + 1, done_kills)
            )
        )
    for k in killers:
        k.start()
    for k in killers:
        k.join()
    time.sleep(max(args.min_up, args.min_duration - (time.perf_counter() - t0)))
    duration = time.perf_counter() - t0
    drive.stop.set()
    for t in threads[:-1]:
        t.join()
    time.sleep(args.settle)
    stop_lag.set()
    threads[-1].join()
    live_undispatched = _undispatched(url)
    server.stop()
    if worker is not None:
        worker.stop()
    os.environ["BENCH_EXTERNAL_LOG"] = str(external_log)  # the final relay appends too
    relay = final_relay(url, args.lease)
    sent = final_send(url, args.lease)
    receiver.stop()
    result = {
        "backend": args.backend,
        "duration_s": round(duration, 1),
        "uptime_between_kills_s": [args.min_up, args.max_up],
        "http_workers": args.http_workers,
        "kills": dict(done_kills),
        "seed": args.seed,
        "server_start_s_median": _median(server.starts),
        "worker_start_s_median": _median(worker.starts) if worker else None,
        "loadavg_before": load0,
        "loadavg_after": helpers.loadavg(),
        "undispatched_after_settle": live_undispatched,
        **{f"max_{key}": max((s[key] for s in lag), default=None) for key in LAG_KEYS},
        "final_relay": relay,
        "final_webhook_send": sent,
        **check(url, drive, external_log),
        **check_webhooks(url, receiver),
        "lag_samples": lag,
    }
    if not args.keep_db:
        helpers.drop_database(url)
    return result


def _median(values: list[float]) -> float | None:
    return round(sorted(values)[len(values) // 2], 2) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    ap.add_argument("--server-kills", type=int, default=20)
    ap.add_argument("--worker-kills", type=int, default=20, help="PostgreSQL only")
    ap.add_argument(
        "--min-duration", type=float, default=0, help="drive at least this long (no-kill control)"
    )
    ap.add_argument("--min-up", type=float, default=1.0, help="least uptime before a kill")
    ap.add_argument("--max-up", type=float, default=8.0, help="most uptime before a kill")
    ap.add_argument("--http-workers", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--lease", type=int, default=10, help="CROWDLOOP_JOB_LEASE_SECONDS")
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    result = run(args)
    print(
        json.dumps({k: v for k, v in result.items() if k != "lag_samples"}, indent=1, default=str)
    )
    print("saved", helpers.save(args.name or f"kill_runs_{args.backend}", result))


if __name__ == "__main__":
    main()

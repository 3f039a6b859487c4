"""Live events across processes: how long an answer takes to reach a page on another server.

Two real ``uvicorn --factory crowdloop.app:app_from_env`` processes, A and B, on a fresh
PostgreSQL database (jobs not embedded, as with separate ``crowdloop worker`` processes).
One requester's dashboard stream is open on B (plus ``--pages`` more, idle, to show what
open pages cost). A worker answers ``--answers`` tasks one after another through A's API.
For each answer we record when B's stream delivers its ``answer.submitted`` event:

- ``publish->page``: from the event's ``occurred_at`` (set when A publishes it, inside the
  submit's transaction) to its arrival at the client on B: the rest of A's transaction and
  its commit, NOTIFY, B's LISTEN, B's outbox read, the page's read;
- ``response->page``: from the submit's HTTP response (its commit is done) to that arrival
  (can be negative: B may deliver before A's response is read).

CPU seconds (utime + stime, /proc) of both server processes are read before and after the
answers and divided by the events the loop published; an idle interval with the pages open
is measured too. Usage::

    cat /proc/loadavg; .venv/bin/python bench/events/live_latency.py --answers 200; \\
        cat /proc/loadavg
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from crowdloop.accounts import service as accounts
from crowdloop.accounts import sessions
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserCreate
from crowdloop.config import Settings
from crowdloop.events.models import Event
from crowdloop.projects import service as projects
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.storage import migrate
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.wiring import build

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DB_NAME = "crowdloop_bench_live"
SECRET = "bench-live-latency-secret"


def fresh_database() -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def seed(settings: Settings, n_tasks: int) -> tuple[int, str, str]:
    """(project id, owner's session cookie, worker token): overlap 1, one task per answer."""
    platform = build(settings)
    try:
        with unit_of_work(platform.db) as session:
            password = "bench-password-1"
            owner = accounts.create_user(
                session, UserCreate(username="owner", password=password, role=Role.requester)
            )
            worker = accounts.create_user(
                session, UserCreate(username="worker", password=password, role=Role.worker)
            )
            data = ProjectCreate(
                name="Live latency",
                answer_schema={"type": "single_choice", "labels": ["cat", "dog"]},
                overlap=1,
                reward_cents=1,
            )
            project = projects.create_project(session, owner, data)
            for i in range(n_tasks):
                projects.create_task(session, project, TaskCreate(data={"i": i}))
            token = accounts.issue_token(session, worker)[1]
            cookie = sessions.start(session, owner, lifetime=timedelta(hours=2))[1]
            return project.id, cookie, token
    finally:
        platform.jobs.close()
        platform.db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "CROWDLOOP_DATABASE_URL": url,
        "CROWDLOOP_SECRET_KEY": SECRET,
        "CROWDLOOP_ENV": "test",
        "CROWDLOOP_JOBS_EMBEDDED": "0",
        "CROWDLOOP_REDIS_URL": "",
        "CROWDLOOP_REFIT_INTERVAL_SECONDS": "0",
        "CROWDLOOP_AI_INTERVAL_SECONDS": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "crowdloop.app:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("a server did not start") from None
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sse_messages(response: httpx.Response) -> Iterator[tuple[str, str]]:
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


class Page(threading.Thread):
    """One dashboard stream on B; records the arrival of every answer.submitted."""

    def __init__(self, base: str, project_id: int, cookie: str) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=base, cookies={cookies.COOKIE: cookie}, timeout=60)
        self.path = f"/console/projects/{project_id}/events"
        self.ready = threading.Event()
        self.arrived: dict[int, tuple[float, datetime]] = {}
        self.changes = 0
        self.panels = 0
        self.stop = False

    def run(self) -> None:
        with self.http, self.http.stream("GET", self.path) as response:
            for event, data in sse_messages(response):
                now = time.time()
                if event == "stats":
                    self.panels += 1
                    self.ready.set()
                elif event == "change":
                    self.changes += 1
                    body = json.loads(data)
                    if body["type"] == "answer.submitted":
                        when = datetime.fromisoformat(body["occurred_at"])
                        self.arrived[body["payload"]["assignment_id"]] = (now, when)
                if self.stop:
                    return


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = fresh_database()
    settings = Settings(env="test", database_url=url, secret_key=SECRET, jobs_embedded=False)
    project_id, owner_cookie, token = seed(settings, args.answers + 5)
    (proc_a, base_a), (proc_b, base_b) = start_server(url), start_server(url)
    pages = [Page(base_b, project_id, owner_cookie) for _ in range(1 + args.pages)]
    try:
        for page in pages:
            page.start()
            page.ready.wait(30)
        time.sleep(1.0)
        cpu0 = {name: cpu_seconds(p.pid) for name, p in (("a", proc_a), ("b", proc_b))}
        time.sleep(args.idle)
        cpu1 = {name: cpu_seconds(p.pid) for name, p in (("a", proc_a), ("b", proc_b))}
        sent: dict[int, tuple[float, float]] = {}
        engine = create_engine(url)
        with engine.connect() as conn:
            events_before = int(conn.scalar(select(func.count()).select_from(Event)) or 0)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_a, headers=headers, timeout=60) as http:
            for _ in range(args.answers):
                job = http.post(f"/api/v1/projects/{project_id}/next").json()
                began = time.time()
                done = http.post(f"/api/v1/assignments/{job['id']}/submit", json={"answer": "cat"})
                done.raise_for_status()
                sent[job["id"]] = (began, time.time())
                time.sleep(args.gap)
        deadline = time.monotonic() + 30
        watched = pages[0]
        while len(watched.arrived) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the throttled last panel
        cpu2 = {name: cpu_seconds(p.pid) for name, p in (("a", proc_a), ("b", proc_b))}
        with engine.connect() as conn:
            published = int(conn.scalar(select(func.count()).select_from(Event)) or 0)
        published -= events_before
        engine.dispose()
    finally:
        for page in pages:
            page.stop = True
        for process in (proc_a, proc_b):  # the servers end the streams cleanly
            process.terminate()
            process.wait(timeout=30)
        for page in pages:
            page.join(timeout=30)
    publish_to_page = [
        (arrived - occurred.timestamp()) * 1000 for arrived, occurred in watched.arrived.values()
    ]
    response_to_page = [
        (watched.arrived[a][0] - sent[a][1]) * 1000 for a in sent if a in watched.arrived
    ]

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(values), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1),
        }

    busy = {k: cpu2[k] - cpu1[k] for k in cpu2}
    return {
        "answers": len(sent),
        "delivered": len(watched.arrived),
        "pages_on_b": len(pages),
        "events_published": published,
        "change_messages_on_watched_page": watched.changes,
        "panels_on_watched_page": watched.panels,
        "publish_to_page": summary(publish_to_page),
        "response_to_page": summary(response_to_page),
        "cpu_ms_per_event": {k: round(v / max(published, 1) * 1000, 3) for k, v in busy.items()},
        "cpu_s_busy": {k: round(v, 2) for k, v in busy.items()},
        "idle_seconds": args.idle,
        "cpu_s_idle": {k: round(cpu1[k] - cpu0[k], 3) for k in cpu1},
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--pages", type=int, default=0, help="extra idle pages open on B")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between answers")
    parser.add_argument("--idle", type=float, default=10.0, help="idle seconds measured")
    args = parser.parse_args()
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()

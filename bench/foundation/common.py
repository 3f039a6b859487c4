"""Shared helpers for the foundation benchmarks: fresh databases, seeding, a real server, RSS.

Not a benchmark itself; imported by the scripts next to it (run them from the repo root).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.schemas import UserCreate
from crowdloop.config import Settings
from crowdloop.projects import service as projects
from crowdloop.projects.models import Task
from crowdloop.projects.schemas import ProjectCreate
from crowdloop.storage import migrate
from crowdloop.storage.engine import make_engine
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
RESULTS = Path(__file__).resolve().parent / "results"
WORK_DIR = Path("/tmp/crowdloop-bench")
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LABELS = ["cat", "dog", "bird"]


# ---------------------------------------------------------------- databases


def fresh_database(backend: str, name: str = "bench") -> str:
    """Create an empty, migrated database (SQLite file or PostgreSQL database) named ``name``."""
    if backend == "sqlite":
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        path = WORK_DIR / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        db_name = f"crowdloop_{name}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        admin.dispose()
        url = make_url(PG_ADMIN_URL).set(database=db_name).render_as_string(False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@dataclass
class Seeded:
    url: str
    project_id: int
    requester_token: str
    worker_tokens: list[str] = field(default_factory=list)


def seed(url: str, *, n_workers: int, n_tasks: int, overlap: int = 3) -> Seeded:
    """1 requester, n_workers workers each with a token, one single-choice project, tasks."""
    db = build(Settings(database_url=url)).db
    with unit_of_work(db) as session:
        owner = accounts.create_user(
            session, UserCreate(username="req", password="bench-password", role=Role.requester)
        )
        _, req_token = accounts.issue_token(session, owner)
        body = ProjectCreate.model_validate(
            {
                "name": "bench",
                "answer_schema": {"type": "single_choice", "labels": LABELS},
                "overlap": overlap,
            }
        )
        project = projects.create_project(session, owner, body)
        tokens = [_worker_token(session, i) for i in range(n_workers)]
        project_id = project.id
    insert_tasks(db.engine, project_id, n_tasks, overlap=overlap)
    db.dispose()
    return Seeded(url, project_id, req_token, tokens)


def _worker_token(session: Any, i: int) -> str:
    # Core insert with a placeholder hash: argon2 of 50 passwords is seeding cost, not load.
    user = User(
        username=f"w{i:04d}", password_hash="x", role=Role.worker, skills=[], is_active=True
    )
    session.add(user)
    session.flush()
    return accounts.issue_token(session, user)[1]


def task_rows(project_id: int, start: int, stop: int, overlap: int) -> Iterator[dict[str, Any]]:
    now = utcnow()
    for i in range(start, stop):
        yield {
            "project_id": project_id,
            "batch_id": None,
            "external_id": f"t{i}",
            "data": {"text": f"task number {i}: is this a cat, a dog or a bird?"},
            "priority": 0,
            "required_skills": [],
            "is_control": False,
            "overlap": overlap,
            "slots": overlap,
            "n_answers": 0,
            "n_active": 0,
            "created_at": now,
        }


def insert_tasks(engine: Engine, project_id: int, n: int, *, overlap: int = 3) -> float:
    """Fast Core executemany insert of n tasks; returns seconds taken."""
    t0 = time.perf_counter()
    batch = 20_000
    stmt = insert(Task.__table__)
    for start in range(0, n, batch):
        rows = list(task_rows(project_id, start, min(n, start + batch), overlap))
        with engine.begin() as conn:
            conn.execute(stmt, rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


# ---------------------------------------------------------------- server


def app_target() -> list[str]:
    """uvicorn arguments naming the app: the real factory if it exists, else our launcher."""
    import crowdloop.app as app_module

    if hasattr(app_module, "app_from_env"):
        return ["--factory", "crowdloop.app:app_from_env"]
    return ["--app-dir", str(Path(__file__).parent), "asgi:app"]


class Server:
    """uvicorn in a subprocess, as a user would run it; stopped on exit."""

    def __init__(
        self, url: str, *, workers: int = 1, port: int = 8765, pythonpath: str = ""
    ) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.command = [
            str(VENV_BIN / "uvicorn"),
            *app_target(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        env = {**os.environ, "CROWDLOOP_DATABASE_URL": url}
        if pythonpath:  # measure a proposed fix from a patched copy of src/, not the repo
            env["PYTHONPATH"] = pythonpath
        self.proc = subprocess.Popen(self.command, env=env, cwd=REPO)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=1).status_code == 200:
                    time.sleep(0.5)  # let every worker process finish booting
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = [int(p) for p in out]
    for child in list(found):
        found += children(child)
    return found


def proc_status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


# ---------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    pg = "?"
    try:
        admin = create_engine(PG_ADMIN_URL)
        with admin.connect() as conn:
            pg = str(conn.execute(text("SHOW server_version")).scalar())
        admin.dispose()
    except Exception:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(int(meminfo) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "cpu": _cpu_model(),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def save(name: str, payload: dict[str, Any], results: Path = RESULTS) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    import crowdloop

    source = Path(crowdloop.__file__).resolve().parents[1]
    head = source.parent / "HEAD"  # written next to a frozen snapshot of src/
    payload = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "crowdloop_src": str(source),
        "snapshot_of_head": head.read_text().strip() if head.exists() else None,
        **payload,
    }
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return path


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]

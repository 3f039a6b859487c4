"""Shared helpers of the events benchmarks: fresh databases, CPU of processes and of the
PostgreSQL backends serving one database, the load average, results files.

Not a benchmark itself. The scripts run against whatever ``crowdloop`` is importable: set
``PYTHONPATH=<a checkout>/src`` to measure a fixed commit rather than the working tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
RESULTS = Path(__file__).resolve().parent / "results"
WORK_DIR = Path("/tmp/crowdloop-bench-events")
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def fresh_database(backend: str, name: str) -> str:
    """An empty, migrated database: ``WORK_DIR/<name>.db`` (and its job queue file) or the
    PostgreSQL database ``crowdloop_<name>``."""
    from crowdloop.storage import migrate
    from crowdloop.storage.engine import make_engine

    if backend == "sqlite":
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        for old in WORK_DIR.glob(f"{name}.db*"):
            old.unlink()
        url = f"sqlite:///{WORK_DIR / name}.db"
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


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    db_name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes (all their threads), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(pid: int) -> list[int]:
    try:
        found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    for child in list(found):
        found += children(child)
    return found


class PgBackends:
    """CPU of the PostgreSQL backends connected to one database (0 on SQLite).

    Backends are looked up in ``pg_stat_activity`` at each reading; one that appeared
    since the last reading counts from zero, one that left keeps its last reading."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url) if url.startswith("postgresql") else None
        self.seen: dict[int, float] = {}

    def cpu(self) -> float:
        if self.engine is None:
            return 0.0
        with self.engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            for pid in pids:
                now = cpu_seconds([int(pid)])
                if now:
                    self.seen[int(pid)] = now
        return sum(self.seen.values())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def source_info() -> dict[str, Any]:
    """Which crowdloop is measured: its path and, for a git checkout, the commit and
    whether the checkout had uncommitted changes under src/."""
    import crowdloop

    src = Path(crowdloop.__file__).resolve().parents[1]

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=src, capture_output=True, text=True)
        return out.stdout.strip()

    return {
        "crowdloop_src": str(src),
        "commit": git("rev-parse", "HEAD") or None,
        "src_dirty": bool(git("status", "--porcelain", "--", ".")),
    }


def save(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        **source_info(),
        **payload,
    }
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return path

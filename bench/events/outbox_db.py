"""The database side of bench/events/outbox_cost.py: a fresh database per side, the
PostgreSQL backends' CPU, waiting until the outbox is drained, and its final counts. Also
used by bench/reliability/pg_restart.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import helpers

DRAIN_TIMEOUT_S = 15.0


def fresh_database(backend: str) -> str:
    """An empty database migrated by this side's code (own names: no clash with loop.py)."""
    return helpers.fresh_database(backend, "events_outbox")


class PgBackends:
    """CPU of the PostgreSQL backends serving one database (0 on SQLite).

    A thread scans /proc every 0.2 s for processes whose title names the database
    (``postgres: ... <user> <database> <client> <state>``) and keeps each one's latest
    utime+stime; ``cpu()`` sums them. A backend that lives less than 0.2 s, and the last
    0.2 s of one that exits, are missed: a lower bound."""

    def __init__(self, url: str) -> None:
        import threading

        from sqlalchemy.engine import make_url

        self.database = make_url(url).database if url.startswith("postgresql") else None
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._scan_loop, daemon=True)
        if self.database:
            self._scan()
            self.thread.start()

    def _scan(self) -> None:
        import common

        marker = f" {self.database} ".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and marker in title:
                now = common.cpu_seconds([int(entry.name)])
                if now:
                    self.seen[int(entry.name)] = now

    def _scan_loop(self) -> None:
        while not self.stop.wait(0.2):
            self._scan()

    def cpu(self) -> float:
        if not self.database:
            return 0.0
        self._scan()
        return sum(self.seen.values())

    def close(self) -> None:
        self.stop.set()


def _has_events(conn: Any) -> bool:
    from sqlalchemy import inspect

    return "events" in inspect(conn).get_table_names()


def wait_dispatched(url: str) -> float | None:
    """Seconds until the relay has dispatched every event (None: no outbox on this side)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    t0 = time.perf_counter()
    try:
        with engine.connect() as conn:
            if not _has_events(conn):
                return None
        while time.perf_counter() - t0 < DRAIN_TIMEOUT_S:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM events WHERE dispatched_at IS NULL")
                ).scalar()
            if not left:
                return round(time.perf_counter() - t0, 2)
            time.sleep(0.05)
        return -1.0
    finally:
        engine.dispose()


def outbox_counts(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        out["submitted_answers"] = int(
            conn.execute(
                text("SELECT count(*) FROM assignments WHERE status = 'submitted'")
            ).scalar()
            or 0
        )
        if _has_events(conn):
            out["events"] = int(conn.execute(text("SELECT count(*) FROM events")).scalar() or 0)
            out["events_by_type"] = dict(
                conn.execute(text("SELECT type, count(*) FROM events GROUP BY type")).all()
            )
            out["undispatched"] = int(
                conn.execute(
                    text("SELECT count(*) FROM events WHERE dispatched_at IS NULL")
                ).scalar()
                or 0
            )
            out["job_runs_left"] = int(
                conn.execute(text("SELECT count(*) FROM job_runs")).scalar() or 0
            )
        else:
            out["events"] = None
    engine.dispose()
    return out

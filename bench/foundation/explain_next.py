"""Next-task query cost vs open tasks and vs tasks the worker has already answered.

    .venv/bin/python bench/foundation/explain_next.py --backend sqlite --tasks 10000 1000000 \
        --seen 0 1000 10000

Seeds a project with N open tasks (overlap 3), marks the first K tasks (in pick order) as
answered by one worker (slot still open for others, as in a real run), then prints the query
plan of the candidate query used by POST /projects/{id}/next and times it (median of 50).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import common
from sqlalchemy import insert, text

from crowdloop.config import Settings
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build
from crowdloop.work import repository
from crowdloop.work.models import Assignment


def mark_seen(url: str, project_id: int, worker_id: int, k: int, done: int) -> None:
    """Give tasks done..k of the project to the worker as submitted answers."""
    if k <= done:
        return
    db = build(Settings(database_url=url)).db
    with db.engine.begin() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT id FROM tasks WHERE project_id = :p ORDER BY priority DESC, id "
                    "LIMIT :n OFFSET :o"
                ),
                {"p": project_id, "n": k - done, "o": done},
            )
        ]
        now = utcnow()
        conn.execute(
            insert(Assignment.__table__),
            [
                {
                    "project_id": project_id,
                    "task_id": i,
                    "worker_id": worker_id,
                    "status": "submitted",
                    "reward_cents": 0,
                    "lease_expires_at": now,
                    "created_at": now,
                    "answer": "cat",
                }
                for i in ids
            ],
        )
        conn.execute(
            text(
                "UPDATE tasks SET slots = slots - 1, n_answers = n_answers + 1 "
                "WHERE project_id = :p AND id <= :m"
            ),
            {"p": project_id, "m": max(ids)},
        )
        conn.execute(text("ANALYZE"))
    db.dispose()


def plan(url: str, project_id: int, worker_id: int) -> tuple[list[str], float]:
    db = build(Settings(database_url=url)).db
    with unit_of_work(db, write=False) as session:
        skip = not db.is_sqlite
        query: Any = None

        def run() -> None:
            repository.candidates(
                session, project_id, worker_id, now=utcnow(), after=None, skip_locked=skip
            )

        run()
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        del query
        sql = _candidate_sql(db, project_id, worker_id)
        prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
        rows = session.execute(text(prefix + sql)).all()
        lines = [" | ".join(str(c) for c in r) for r in rows]
    db.dispose()
    return lines, statistics.median(times)


def _candidate_sql(db: Any, project_id: int, worker_id: int) -> str:
    from sqlalchemy.dialects import postgresql, sqlite  # local: only for rendering

    captured: list[Any] = []

    class _Capture:
        def execute(self, query: Any) -> Any:
            captured.append(query)
            return _Rows()

        def get_bind(self) -> Any:
            return db.engine

    class _Rows:
        def all(self) -> list[Any]:
            return []

    repository.candidates(
        _Capture(),
        project_id,
        worker_id,
        now=utcnow(),  # type: ignore[arg-type]
        after=None,
        skip_locked=not db.is_sqlite,
    )
    dialect = sqlite.dialect() if db.is_sqlite else postgresql.dialect()
    return str(captured[0].compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    ap.add_argument("--tasks", type=int, nargs="+", default=[10_000, 1_000_000])
    ap.add_argument("--seen", type=int, nargs="+", default=[0, 1000, 10_000])
    args = ap.parse_args()
    out = []
    for n in args.tasks:
        url = common.fresh_database(args.backend, name="explain")
        seeded = common.seed(url, n_workers=1, n_tasks=n)
        worker_id = _worker_id(url)
        done = 0
        for k in args.seen:
            mark_seen(url, seeded.project_id, worker_id, min(k, n), done)
            done = max(done, min(k, n))
            lines, median_ms = plan(url, seeded.project_id, worker_id)
            row = {
                "open_tasks": n,
                "seen_by_worker": k,
                "candidate_query_median_ms": round(median_ms, 3),
                "plan": lines,
            }
            print(f"tasks={n} seen={k} candidates() median {median_ms:.2f} ms")
            print("   " + "\n   ".join(lines))
            out.append(row)
    common.save(f"explain_next_{args.backend}", {"machine": common.machine(), "runs": out})


def _worker_id(url: str) -> int:
    db = build(Settings(database_url=url)).db
    with db.engine.connect() as conn:
        wid = int(conn.execute(text("SELECT id FROM users WHERE role = 'worker'")).scalar_one())
    db.dispose()
    return wid


if __name__ == "__main__":
    main()

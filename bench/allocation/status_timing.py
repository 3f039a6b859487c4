"""Time GET /allocation's and /difficulty's service calls on an existing bench database.

    .venv/bin/python bench/allocation/status_timing.py sqlite:////tmp/crowdloop-bench/bench_alloc.db
    .venv/bin/python bench/allocation/status_timing.py postgresql+psycopg://postgres@127.0.0.1:5432/crowdloop_bench_alloc

(the databases next_task_latency.py leaves behind: project 1, 1,000,000 tasks). Two rounds
each (cold, then warm caches); one read-only unit of work per call.
"""

from __future__ import annotations

import sys
import time

from crowdloop.allocation import status
from crowdloop.config import Settings
from crowdloop.projects.models import Project
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build


def main() -> None:
    db = build(Settings(database_url=sys.argv[1])).db
    for round_ in (1, 2):
        start = time.perf_counter()
        with unit_of_work(db, write=False) as session:
            project = session.get(Project, 1)
            assert project is not None
            out = status.status(session, project)
        status_s = time.perf_counter() - start
        start = time.perf_counter()
        with unit_of_work(db, write=False) as session:
            project = session.get(Project, 1)
            assert project is not None
            status.difficulty(session, project, 5)
        diff_ms = (time.perf_counter() - start) * 1000
        print(
            f"round={round_} open_tasks={out.open_tasks} status={status_s:.3f}s"
            f" difficulty={diff_ms:.2f}ms"
        )
    db.dispose()


if __name__ == "__main__":
    main()

"""Re-inference of a large project: time and peak memory of one full re-fit.

    .venv/bin/python bench/foundation/refit_bench.py sqlite:////tmp/refit.db PROJECT_ID

Point it at a database seeded by ``export_bench.py`` (1,000,000 tasks x 3 answers); it runs
the read phase (load + fit) and the write phase (store changed results) as the server's
background job does, and prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from crowdloop.config import Settings
from crowdloop.projects.models import Project
from crowdloop.quality import inference
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build


def main() -> None:
    url, project_id = sys.argv[1], int(sys.argv[2])
    db = build(Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0)).db
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with unit_of_work(db, write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        fit = inference.compute(session, project)
    fitted = time.perf_counter()
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        assert project is not None
        inference.store(session, project, fit)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "tasks": fit.report.tasks,
                "answers": fit.report.answers,
                "changed": fit.report.changed,
                "read_and_fit_s": round(fitted - started, 2),
                "store_s": round(done - fitted, 2),
                "rss_before_mb": round(base, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

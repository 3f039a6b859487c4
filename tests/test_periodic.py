"""The server's background jobs: called every interval, survive a job's error, stop."""

from __future__ import annotations

import threading

from crowdloop.errors import InvalidInput
from crowdloop.storage.engine import Database
from crowdloop.storage.periodic import PeriodicJob


def test_calls_the_job_survives_its_errors_and_stops(db: Database) -> None:
    calls: list[Database] = []
    third = threading.Event()

    def job(given: Database) -> None:
        calls.append(given)
        if len(calls) == 1:
            raise InvalidInput("a project the job cannot take")
        if len(calls) >= 3:
            third.set()

    runner = PeriodicJob(db, 0.01, job, name="test")
    runner.start()
    assert third.wait(10), "the job stopped being called after its error"
    runner.stop()
    n = len(calls)
    assert not runner._thread.is_alive()
    assert all(given is db for given in calls)
    assert len(calls) == n  # nothing runs after stop

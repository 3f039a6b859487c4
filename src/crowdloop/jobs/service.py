"""The job registry on huey, its visibility in the database, listing and retrying.

Jobs are plain functions of no arguments or of JSON-able arguments; the wiring registers
them with the database and bus they need already bound. huey retries them with backoff and
schedules the periodic ones; huey's signals keep ``job_runs`` (running and failed jobs).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huey import crontab, signals
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crowdloop.errors import Conflict, NotFound
from crowdloop.jobs.models import JobRun, JobStatus
from crowdloop.jobs.schemas import JobRead, JobsOverview
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work

log = logging.getLogger(__name__)
ERROR_CHARS = 2000
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class JobSpec:
    """A job: ``every_minutes`` makes it periodic (huey's scheduler has minute resolution).
    A ``quiet`` job (run after every commit, like the relay) is listed only when it fails
    or retries: writing a running row for each of thousands of runs an hour would cost more
    than the job."""

    name: str
    run: Callable[..., object]
    retries: int = 3
    retry_delay: int = 10
    every_minutes: int | None = None
    quiet: bool = False


def every(minutes: int) -> Callable[[datetime], bool]:
    check: Callable[[datetime], bool] = crontab(minute=f"*/{minutes}" if minutes > 1 else "*")
    return check


def interval_minutes(seconds: float) -> int | None:
    """A setting in seconds as the scheduler's whole minutes (at least one); 0 = off."""
    if seconds <= 0:
        return None
    return max(1, round(seconds / 60))


class Jobs:
    """The registered jobs of one process. The huey instance is made on first use, so a
    command that never touches the queue never connects to it."""

    def __init__(self, make_huey: Callable[[], Any], db: Database) -> None:
        self.db = db
        self._make_huey = make_huey
        self._specs: list[JobSpec] = []
        self._huey: Any = None
        self._tasks: dict[str, Any] = {}
        self._recording = False
        self._lock = threading.Lock()
        self._close_lock = threading.Lock()

    def register(self, spec: JobSpec) -> None:
        if any(s.name == spec.name for s in self._specs):
            raise ValueError(f"job {spec.name!r} is registered twice")
        if self._huey is not None:
            raise RuntimeError("jobs must be registered before the queue is first used")
        self._specs.append(spec)

    @property
    def names(self) -> list[str]:
        return sorted(s.name for s in self._specs)

    @property
    def huey(self) -> Any:
        with self._lock:
            if self._huey is None:
                huey = self._make_huey()
                # Each worker thread closes its own queue connections when it stops
                # (PostgreSQL keeps one LISTEN connection per thread).
                huey.on_shutdown(name="close-storage")(self.close)
                self._tasks = {spec.name: _register(huey, spec) for spec in self._specs}
                self._huey = huey
            return self._huey

    @property
    def tasks(self) -> dict[str, Any]:
        _ = self.huey
        return self._tasks

    def close(self) -> None:
        """Close this thread's queue connections (huey's close is not thread-safe)."""
        with self._close_lock:
            if self._huey is not None:
                self._huey.storage.close()

    def flush(self) -> None:
        """Drop every queued and scheduled job (tests, a reset); nothing if never used."""
        if self._huey is not None:
            self._huey.flush()

    def enqueue(self, name: str, *args: Any) -> str:
        task = self.tasks.get(name)
        if task is None:
            raise NotFound(f"no job named {name!r}; known: {', '.join(sorted(self.tasks))}")
        job = task.s(*args)
        self.huey.enqueue(job)
        return str(job.id)

    def record_signals(self) -> None:
        """Keep ``job_runs`` from huey's signals (run in the worker processes)."""
        if self._recording:
            return
        self._recording = True
        self.huey.signal(signals.SIGNAL_EXECUTING)(self._executing)
        self.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_LOCKED, signals.SIGNAL_REVOKED)(
            self._finished
        )
        self.huey.signal(signals.SIGNAL_ERROR)(self._error)
        self.huey.signal(signals.SIGNAL_RETRYING)(self._retrying)

    def _quiet(self, task: Any) -> bool:
        return any(s.quiet and s.name == task.name for s in self._specs)

    def _executing(self, _signal: str, task: Any) -> None:
        if self._quiet(task):
            return
        with unit_of_work(self.db) as session:
            run = session.get(JobRun, task.id)
            if run is None:
                run = JobRun(id=task.id, name=task.name, args=list(task.args or ()))
                session.add(run)
            run.status, run.worker = JobStatus.running, WORKER_NAME
            run.retries_left, run.updated_at = int(task.retries or 0), utcnow()

    def _finished(self, _signal: str, task: Any, *_: Any) -> None:
        if self._quiet(task) and task.retries == self._spec_retries(task):
            return  # a quiet job that never failed left no row behind
        with unit_of_work(self.db) as session:
            session.execute(delete(JobRun).where(JobRun.id == task.id))

    def _spec_retries(self, task: Any) -> int:
        return next((s.retries for s in self._specs if s.name == task.name), 0)

    def _error(self, _signal: str, task: Any, exc: BaseException | None = None) -> None:
        self._set(task, JobStatus.failed, f"{type(exc).__name__}: {exc}" if exc else None)

    def _retrying(self, _signal: str, task: Any, *_: Any) -> None:
        self._set(task, JobStatus.retrying, None)

    def _set(self, task: Any, status: JobStatus, error: str | None) -> None:
        with unit_of_work(self.db) as session:
            run = session.get(JobRun, task.id)
            if run is None:
                run = JobRun(id=task.id, name=task.name, args=list(task.args or ()))
                session.add(run)
            run.status, run.updated_at = status, utcnow()
            if error is not None:
                run.error = error[:ERROR_CHARS]


def _register(huey: Any, spec: JobSpec) -> Any:
    options = {
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_backoff": 2,
        "name": spec.name,
    }
    if spec.every_minutes is None:
        return huey.task(**options)(spec.run)
    return huey.periodic_task(every(spec.every_minutes), **options)(spec.run)


def overview(session: Session, jobs: Jobs, *, limit: int = 100) -> JobsOverview:
    """Queued and scheduled (from huey), running and failed (from ``job_runs``)."""
    runs = session.scalars(select(JobRun).order_by(JobRun.updated_at.desc()).limit(limit)).all()
    return JobsOverview(
        queued=[_task_read(t, "queued") for t in jobs.huey.pending(limit)],
        scheduled=[_task_read(t, "scheduled") for t in jobs.huey.scheduled(limit)],
        runs=[JobRead.model_validate(r, from_attributes=True) for r in runs],
    )


def _task_read(task: Any, status: str) -> JobRead:
    eta = task.eta
    return JobRead(
        id=task.id,
        name=task.name,
        args=list(task.args or ()),
        status=status,
        retries_left=int(task.retries or 0),
        error=None,
        worker=None,
        started_at=None,
        updated_at=eta,
    )


def retry(session: Session, jobs: Jobs, job_id: str) -> str:
    """Enqueue a failed job again with the same arguments; the new job's id."""
    run = session.get(JobRun, job_id)
    if run is None:
        raise NotFound(f"job {job_id} not found among running and failed jobs")
    if run.status != JobStatus.failed:
        raise Conflict(f"job {job_id} is {run.status.value}, not failed")
    new_id = jobs.enqueue(run.name, *run.args)
    session.delete(run)
    return new_id


def prune(session: Session, before: datetime, limit: int) -> int:
    """Forget up to ``limit`` job records last updated before ``before`` (failed jobs nobody
    retried, and "running" rows of workers that were killed)."""
    query = select(JobRun.id).where(JobRun.updated_at < before).order_by(JobRun.id).limit(limit)
    ids = list(session.scalars(query))
    if ids:
        session.execute(delete(JobRun).where(JobRun.id.in_(ids)))
    return len(ids)

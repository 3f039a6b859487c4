"""Housekeeping: delete the operational records a platform that runs for months would
otherwise pile up, each domain through its own service.

Kept for ``CROWDLOOP_RETENTION_DAYS`` (30 by default): events every subscriber has handled
(with their handlings), webhook deliveries that succeeded or gave up (with their attempt
logs), and job records nobody retried. Web sessions go 30 days after they ended, sign-in
failure counts after a day without failures. What is still pending, running or failed and
waiting for an operator is never deleted. Runs hourly as the ``housekeeping`` job, in short
units of work (``BATCH`` rows each) so that it never holds the SQLite writer for long.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdloop.accounts import sessions, throttle
from crowdloop.events import service as events
from crowdloop.jobs import service as jobs
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import service as webhooks

BATCH = 2000
Batched = Callable[[Session, datetime, int], int]
Whole = Callable[[Session, datetime], int]

# What is older than the retention, deleted batch by batch.
BATCHED: tuple[tuple[str, Batched], ...] = (
    ("webhook_deliveries", webhooks.prune),
    ("events", events.prune),
    ("job_runs", jobs.prune),
)
# What keeps its own, fixed window (given "now").
WHOLE: tuple[tuple[str, Whole], ...] = (
    ("web_sessions", sessions.prune),
    ("login_throttles", throttle.prune),
)


def prune(db: Database, *, retention: timedelta, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its keeping; how many rows of each kind."""
    moment = now or utcnow()
    counts = {name: _batches(db, step, moment - retention) for name, step in BATCHED}
    for name, whole in WHOLE:
        with unit_of_work(db) as session:
            counts[name] = whole(session, moment)
    return counts


def _batches(db: Database, step: Batched, before: datetime) -> int:
    total = 0
    while True:
        with unit_of_work(db) as session:
            done = step(session, before, BATCH)
        total += done
        if done < BATCH:
            return total

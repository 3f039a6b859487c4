"""Wiring: the one place that knows every domain. Builds the event bus (who reacts to
what), the job registry (what runs in the background, and when) and attaches both to the
database. ``create_app``, the CLI and the tests call :func:`build`; domains never import
this module, so publishing a fact never imports the domains that react to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crowdloop import housekeeping
from crowdloop.ai import jobs as ai_jobs
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.events.bus import Bus
from crowdloop.events.live import LiveNotifier, RedisAnnouncer, channels_for
from crowdloop.events.types import EventType
from crowdloop.jobs.queue import make_huey
from crowdloop.jobs.service import Jobs, JobSpec, interval_minutes
from crowdloop.jobs.waker import Waker
from crowdloop.quality import jobs as quality_jobs
from crowdloop.quality import reactions as quality_reactions
from crowdloop.storage.engine import Database, make_database
from crowdloop.webhooks import delivery as webhook_delivery
from crowdloop.webhooks import fanout as webhook_fanout
from crowdloop.work import jobs as work_jobs

log = logging.getLogger(__name__)
RELAY = "events.relay"
WAKE_KEY = "crowdloop:relay-wanted"
SEND_WEBHOOKS = "webhooks.send"
SEND_WAKE_KEY = "crowdloop:webhooks-send-wanted"
SWEEP_SECONDS = 60


@dataclass
class Platform:
    """What an entry point runs on: settings, database, bus, jobs and the live notifier
    (started by the app's lifespan), built once."""

    settings: Settings
    db: Database
    bus: Bus
    jobs: Jobs
    live: LiveNotifier

    # Set while this process runs job workers (``crowdloop serve`` with embedded jobs): a
    # commit's wake-up then runs the relay right here, in the waker's thread, instead of
    # a queue round trip (put, dequeue, delete: three writes to the jobs store per run).
    relay_here: bool = False

    def __post_init__(self) -> None:
        self._relay_waker = Waker(self._on_wake, name="crowdloop-relay-waker")

    def _on_wake(self) -> None:
        if self.relay_here:
            self._relay()
        else:
            self._enqueue_relay()

    def wake_relay(self) -> None:
        """After a commit that published: a poke, folded with the others into one enqueue
        by a background thread (see jobs.waker)."""
        self._relay_waker.poke()

    def flush(self) -> None:
        """Act on pending wake-ups now (a short-lived process before it exits)."""
        self._relay_waker.flush()

    def _enqueue_relay(self) -> None:
        """Enqueue the relay unless one is already queued and has not started reading (the
        relay clears the flag before it reads)."""
        if self.jobs.huey.put_if_empty(WAKE_KEY, 1):
            self.jobs.enqueue(RELAY)

    def relay(self) -> dict[str, Any]:
        self.jobs.huey.delete(WAKE_KEY)
        return self._relay()

    def _relay(self) -> dict[str, Any]:
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        report = events.relay(self.db, self.bus, lease=lease)
        # The webhooks fan-out made deliveries: send them now, not at the next sweep.
        if report.handled and webhook_delivery.any_due(self.db):
            self.wake_webhooks()
        return report.model_dump()

    def wake_webhooks(self) -> None:
        """Enqueue the webhook sender unless one is queued and has not started. Never
        raises (called after commits): the sender's sweep runs within a minute anyway."""
        try:
            if self.jobs.huey.put_if_empty(SEND_WAKE_KEY, 1):
                self.jobs.enqueue(SEND_WEBHOOKS)
        except Exception:
            log.exception("could not enqueue %s", SEND_WEBHOOKS)

    def housekeeping(self) -> dict[str, int]:
        """Delete what is past its retention (crowdloop.housekeeping)."""
        keep = timedelta(days=self.settings.retention_days)
        return housekeeping.prune(self.db, retention=keep)

    def send_webhooks(self) -> dict[str, Any]:
        """Send every due delivery; a retry due within the minute gets a delayed run (the
        sweep has minute resolution)."""
        self.jobs.huey.delete(SEND_WAKE_KEY)
        report = webhook_delivery.send_due(
            self.db,
            outbound=self.settings.outbound,
            lease=timedelta(seconds=self.settings.job_lease_seconds),
        )
        soon = report.next_retry_seconds
        if soon is not None and soon < SWEEP_SECONDS:
            self.jobs.tasks[SEND_WEBHOOKS].schedule(delay=soon)
        return report.model_dump()


def build_bus() -> Bus:
    """Every domain's reactions and subscribers."""
    bus = Bus()
    # The labelling loop's own bookkeeping, in the publishing transaction (decision 0014).
    bus.react(EventType.answer_submitted, quality_reactions.on_answer)
    bus.react(EventType.assignment_skipped, quality_reactions.on_skip)
    bus.subscribe(webhook_fanout.subscriber())
    return bus


def job_specs(platform: Platform) -> list[JobSpec]:
    settings, db = platform.settings, platform.db
    specs = [
        JobSpec(RELAY, platform.relay, quiet=True),
        # The relay's safety net: events whose wake-up was lost (a killed process) and
        # retries that came due are picked up within a minute.
        JobSpec("events.sweep", platform.relay, every_minutes=1),
        JobSpec("work.expire_leases", _bound(work_jobs.expire_all, db), every_minutes=1),
        JobSpec(SEND_WEBHOOKS, platform.send_webhooks, retries=0, quiet=True),
        # Retries that came due (5 min to 10 h apart) and wake-ups that were lost.
        JobSpec("webhooks.sweep", platform.send_webhooks, retries=0, every_minutes=1),
        JobSpec("housekeeping", platform.housekeeping, retries=0, every_minutes=60),
    ]
    periodic: list[tuple[str, float, Callable[[Database], object]]] = [
        ("quality.refit", settings.refit_interval_seconds, quality_jobs.refit_due),
        ("ai.cycle", settings.ai_interval_seconds, ai_jobs.run_due),
    ]
    for name, seconds, run in periodic:
        minutes = interval_minutes(seconds)
        if minutes is not None:
            specs.append(JobSpec(name, _bound(run, db), retries=0, every_minutes=minutes))
    return specs


def _bound(run: Callable[[Database], object], db: Database) -> Callable[[], object]:
    def job() -> object:
        result = run(db)
        return result if isinstance(result, int | str | None) else None

    job.__name__ = getattr(run, "__name__", "job")
    return job


def build(settings: Settings, *, db: Database | None = None) -> Platform:
    """The platform for these settings; pass ``db`` to share an engine (tests)."""
    database = db or make_database(settings)
    bus = build_bus()
    bus.attach(database)
    announcer = RedisAnnouncer(settings.redis_url) if settings.redis_url else None
    live = LiveNotifier(database, channels_for(settings, database), announcer=announcer)
    platform = Platform(settings, database, bus, Jobs(lambda: make_huey(settings), database), live)
    for spec in job_specs(platform):
        platform.jobs.register(spec)
    bus.on_commit(platform.wake_relay)
    bus.on_commit(live.committed)  # live pages, in this process and (Redis) the others
    return platform

"""Sending: claim due deliveries, POST them outside any transaction, record each attempt.

A run claims a batch under a lease (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several
workers take disjoint rows) and commits; then every delivery is sent in its own thread with
a short timeout, so a dead endpoint delays nobody else; each outcome is recorded in a short
unit of work of its own. A sender killed mid-batch leaves its deliveries 'sending' until
the lease lapses; the next run sends them again with the same webhook-id (at least once).

Bodies are signed as Standard Webhooks prescribe (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``) by the ``standardwebhooks`` package.
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from crowdloop import __version__
from crowdloop.errors import InvalidInput
from crowdloop.events.models import Event
from crowdloop.outbound import OutboundPolicy
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import repository
from crowdloop.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from crowdloop.webhooks.schemas import SendReport

# After the 1st, 2nd, ... failed attempt (Standard Webhooks / Svix): about 27.6 hours in
# all, so a receiver may be down for a day; the 8th failure gives up (redeliver by hand).
SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
TIMEOUT_SECONDS = 5.0
EXCERPT_BYTES = 500
MAX_THREADS = 16
BATCH = 100
USER_AGENT = f"crowdloop-webhooks/{__version__}"
SENDING_ERRORS = (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError)


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    url: str
    secret: str
    msg_id: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_of(event: Event) -> bytes:
    """``{"type", "timestamp", "data": {event ids, project_id, actor_id, payload...}}``."""
    ids = {
        "event_id": event.id,
        "event_uid": event.uid,
        "project_id": event.project_id,
        "actor_id": event.actor_id,
    }
    body = {"type": event.type, "timestamp": iso(event.occurred_at), "data": event.payload | ids}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def headers_of(out: Outgoing, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": out.msg_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": Webhook(out.secret).sign(out.msg_id, now, out.body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def retry_after(attempts: int) -> timedelta | None:
    """How long after the ``attempts``-th failure to try again; None = give up."""
    return SCHEDULE[attempts - 1] if 1 <= attempts <= len(SCHEDULE) else None


def claim(db: Database, *, lease: timedelta, limit: int = BATCH) -> list[Outgoing]:
    """Take due deliveries for this worker (status 'sending' until ``now + lease``)."""
    with unit_of_work(db) as session:
        now = utcnow()
        rows = repository.due_deliveries(session, now, limit)
        endpoints = repository.endpoints_by_id(session, {r.endpoint_id for r in rows})
        found = repository.events_by_id(session, {r.event_id for r in rows})
        batch = []
        for row in rows:
            row.status, row.locked_until = DeliveryStatus.sending, now + lease
            endpoint = endpoints[row.endpoint_id]
            body = body_of(found[row.event_id])
            batch.append(Outgoing(row.id, endpoint.url, endpoint.secret, row.msg_id, body))
        return batch


def _excerpt(response: httpx.Response) -> str:
    """The start of the body, never the whole of it (a receiver may answer anything)."""
    read = b""
    for chunk in response.iter_bytes():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    return read[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def attempt(client: httpx.Client, out: Outgoing, *, outbound: OutboundPolicy) -> Outcome:
    """One POST; never raises for what the receiver or the network does."""
    started, clock = utcnow(), time.monotonic()
    code, excerpt, error = None, None, None
    try:
        outbound.check(out.url)  # the name may resolve elsewhere now
        headers = headers_of(out, started)
        with client.stream("POST", out.url, content=out.body, headers=headers) as response:
            code, excerpt = response.status_code, _excerpt(response)
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except InvalidInput as exc:
        error = f"refused: {exc.detail}"
    except SENDING_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    elapsed = round((time.monotonic() - clock) * 1000)
    return Outcome(out.delivery_id, started, code, error, elapsed, excerpt)


def record(db: Database, outcome: Outcome) -> WebhookDelivery | None:
    """Log the attempt; succeeded, rescheduled by ``SCHEDULE`` or failed. None if the
    endpoint was deleted meanwhile."""
    with unit_of_work(db) as session:
        delivery = session.get(WebhookDelivery, outcome.delivery_id)
        if delivery is None:
            return None
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=outcome.attempted_at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
            )
        )
        now = utcnow()
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        delivery.locked_until = None
        delay = retry_after(delivery.attempts)
        if outcome.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.succeeded, now
        elif delay is None:
            delivery.status = DeliveryStatus.failed
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.pending, now + delay
        return delivery


def _tally(report: SendReport, delivery: WebhookDelivery | None) -> None:
    if delivery is None:
        return
    if delivery.status == DeliveryStatus.succeeded:
        report.succeeded += 1
    elif delivery.status == DeliveryStatus.failed:
        report.failed += 1
    else:
        report.retrying += 1
        wait = max((delivery.next_attempt_at - utcnow()).total_seconds(), 0.0)
        soonest = report.next_retry_seconds
        report.next_retry_seconds = wait if soonest is None else min(soonest, wait)


def send_batch(
    db: Database, batch: list[Outgoing], *, outbound: OutboundPolicy, timeout: float
) -> SendReport:
    """Send in parallel threads; record each outcome as soon as it is known."""
    report = SendReport(sent=len(batch))
    if not batch:
        return report
    limits = httpx.Timeout(timeout)
    with (
        httpx.Client(timeout=limits, follow_redirects=False, trust_env=False) as client,
        ThreadPoolExecutor(min(MAX_THREADS, len(batch)), "webhook-send") as pool,
    ):
        futures = [pool.submit(attempt, client, o, outbound=outbound) for o in batch]
        for future in as_completed(futures):
            _tally(report, record(db, future.result()))
    return report


def send_due(
    db: Database,
    *,
    outbound: OutboundPolicy,
    lease: timedelta,
    limit: int = BATCH,
    timeout: float = TIMEOUT_SECONDS,
) -> SendReport:
    """The "webhooks.send" job: every due delivery once (batch after batch)."""
    total = SendReport()
    while True:
        batch = claim(db, lease=lease, limit=limit)
        report = send_batch(db, batch, outbound=outbound, timeout=timeout)
        for name in ("sent", "succeeded", "retrying", "failed"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if report.next_retry_seconds is not None:
            soonest = total.next_retry_seconds
            total.next_retry_seconds = min(soonest or math.inf, report.next_retry_seconds)
        if len(batch) < limit:
            return total


def any_due(db: Database) -> bool:
    with unit_of_work(db, write=False) as session:
        return repository.any_due(session, utcnow())

"""What bench/events/kill_runs.py checks after its kills: the relay's lag while it ran, the
final relay and send, and every answer, event, handling and webhook counted from the
database and the external log (see kill_runs.py's docstring for what each figure means)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from receiver import Receiver
from sqlalchemy import create_engine, text

from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.outbound import OutboundPolicy
from crowdloop.wiring import build


@dataclass
class Drive:
    acked: set[int] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    resubmits_ok: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


LAG_SQL = {
    "undispatched": "SELECT count(*), min(occurred_at) FROM events WHERE dispatched_at IS NULL",
    "handlings": "SELECT count(*), min(next_attempt_at) FROM event_handlings "
    "WHERE status IN ('pending', 'running')",
    "deliveries": "SELECT count(*), min(created_at) FROM webhook_deliveries "
    "WHERE status IN ('pending', 'sending')",
}


LAG_KEYS = [k for name in LAG_SQL for k in (name, name + "_age_s")]


def _age(oldest: Any) -> float:
    from datetime import UTC, datetime

    from crowdloop.storage.types import utcnow

    if oldest is None:
        return 0.0
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return round((utcnow() - oldest).total_seconds(), 1)


def lag_monitor(url: str, stop: threading.Event, samples: list[dict[str, Any]]) -> None:
    """Every second: how many events wait for dispatch, handlings for the relay and
    deliveries for the sender, and the age of the oldest of each (seconds)."""
    engine = create_engine(url)
    t0 = time.perf_counter()
    while not stop.wait(1.0):
        sample: dict[str, Any] = {"t": round(time.perf_counter() - t0, 1)}
        try:
            with engine.connect() as conn:
                for name, sql in LAG_SQL.items():
                    n, oldest = conn.execute(text(sql)).one()
                    sample[name], sample[name + "_age_s"] = int(n), _age(oldest)
        except Exception:
            continue
        samples.append(sample)
    engine.dispose()


def final_relay(url: str, lease_s: int, timeout: float = 60.0) -> dict[str, Any]:
    """Relay in this process until nothing is dispatched or handled and nothing is left
    pending or running (a killed worker's lease lapses after lease_s)."""
    platform = build(Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0))
    platform.bus.committed[:] = []  # no wake-ups: we call the relay ourselves
    totals: Counter[str] = Counter()
    t0 = time.perf_counter()
    engine = create_engine(url)
    while time.perf_counter() - t0 < timeout:
        report = events.relay(platform.db, platform.bus, lease=timedelta(seconds=lease_s))
        totals.update(report.model_dump())
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM event_handlings WHERE status IN ('pending', 'running')")
            ).scalar()
            undispatched = conn.execute(
                text("SELECT count(*) FROM events WHERE dispatched_at IS NULL")
            ).scalar()
        if not left and not undispatched:
            break
        if not (report.dispatched or report.handled):
            time.sleep(0.5)
    engine.dispose()
    platform.db.dispose()
    close = getattr(platform.jobs, "close", None)
    if close is not None:
        close()
    return {"seconds": round(time.perf_counter() - t0, 1), **totals}


def final_send(url: str, lease_s: int, timeout: float = 60.0) -> dict[str, Any]:
    """Send due webhook deliveries in this process until none is pending or sending (a
    killed sender's 'sending' rows are due again once their lease lapses)."""
    from crowdloop.webhooks import delivery

    platform = build(Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0))
    totals: Counter[str] = Counter()
    engine = create_engine(url)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        report = delivery.send_due(
            platform.db,
            outbound=OutboundPolicy(allow_private=True),
            lease=timedelta(seconds=lease_s),
        )
        totals.update({k: v for k, v in report.model_dump().items() if isinstance(v, int)})
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'sending')"
                )
            ).scalar()
        if not left:
            break
        time.sleep(0.5)
    engine.dispose()
    platform.db.dispose()
    return {"seconds": round(time.perf_counter() - t0, 1), **totals}


def check_webhooks(url: str, receiver: Receiver) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        uids = set(
            conn.execute(text("SELECT uid FROM events WHERE type = 'answer.submitted'")).scalars()
        )
        states = dict(
            conn.execute(
                text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
            ).all()
        )
        multi = conn.execute(
            text("SELECT count(*) FROM webhook_deliveries WHERE attempts > 1")
        ).scalar()
        errors = dict(
            conn.execute(
                text(
                    "SELECT coalesce(substr(error, 1, 60), 'ok'), count(*) FROM webhook_attempts "
                    "GROUP BY 1"
                )
            ).all()
        )
    engine.dispose()
    received = {d.msg_id for d in receiver.snapshot()}
    expected = {f"msg_{uid}" for uid in uids}
    return {
        "webhook_deliveries_by_status": states,
        "webhook_deliveries_attempted_more_than_once": multi,
        "webhook_attempts_recorded_by_outcome": errors,
        "webhook_answers_never_received": len(expected - received),
        "webhook_ids_received_not_of_an_answer_event": len(received - expected),
        **{f"webhook_{k}": v for k, v in receiver.duplicates().items()},
    }


def check(url: str, drive: Drive, external_log: Path) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM assignments GROUP BY status")).all()
        )
        submitted = set(
            conn.execute(text("SELECT id FROM assignments WHERE status = 'submitted'")).scalars()
        )
        all_assignments = set(conn.execute(text("SELECT id FROM assignments")).scalars())
        rows = conn.execute(
            text(
                "SELECT id, type, payload FROM events "
                "WHERE type IN ('answer.submitted', 'assignment.leased')"
            )
        ).all()
        by_type = dict(conn.execute(text("SELECT type, count(*) FROM events GROUP BY type")).all())
        handlings = dict(
            conn.execute(
                text("SELECT subscriber || ':' || status, count(*) FROM event_handlings GROUP BY 1")
            ).all()
        )
        attempts_over_1 = conn.execute(
            text("SELECT count(*) FROM event_handlings WHERE attempts > 1")
        ).scalar()
        events_total = conn.execute(text("SELECT count(*) FROM events")).scalar()
        undispatched = conn.execute(
            text("SELECT count(*) FROM events WHERE dispatched_at IS NULL")
        ).scalar()
        recorded = Counter(conn.execute(text("SELECT event_id FROM bench_handled")).scalars())
        by_final_relay = conn.execute(
            text("SELECT count(*) FROM bench_handled WHERE pid = :pid"), {"pid": os.getpid()}
        ).scalar()
        submitted_event_ids = {r[0] for r in rows if r[1] == "answer.submitted"}
    engine.dispose()
    per_answer: Counter[int] = Counter()
    per_lease: Counter[int] = Counter()
    for _, kind, payload in rows:
        data = json.loads(payload) if isinstance(payload, str) else payload
        (per_answer if kind == "answer.submitted" else per_lease)[int(data["assignment_id"])] += 1
    appended = Counter(
        int(line.split()[0]) for line in external_log.read_text().splitlines() if line
    )
    return {
        "answers_acked_http_200": len(drive.acked),
        "answers_in_db": len(submitted),
        "acked_but_not_in_db": len(drive.acked - submitted),
        "in_db_not_acked": len(submitted - drive.acked),
        "resubmits_after_outage_acked": drive.resubmits_ok,
        "assignments_by_status": statuses,
        "events": events_total,
        "events_by_type": by_type,
        "answer_events_lost": len(submitted - set(per_answer)),
        "answer_events_duplicated": sum(1 for v in per_answer.values() if v > 1),
        "answer_events_orphan": len(set(per_answer) - submitted),
        "lease_events_lost": len(all_assignments - set(per_lease)),
        "lease_events_duplicated": sum(1 for v in per_lease.values() if v > 1),
        "lease_events_orphan": len(set(per_lease) - all_assignments),
        "undispatched_after_final_relay": undispatched,
        "handlings_by_state": handlings,
        "handlings_attempts_over_1": attempts_over_1,
        "record_runs_committed": sum(recorded.values()),
        "record_runs_by_final_relay": by_final_relay,
        "record_events_run_twice": sum(1 for v in recorded.values() if v > 1),
        "record_events_never_run": events_total - len(recorded),
        "external_appends": sum(appended.values()),
        "external_ids_appended_twice_or_more": sum(1 for v in appended.values() if v > 1),
        "external_answer_events_never_appended": len(submitted_event_ids - set(appended)),
        "http_statuses": dict(drive.statuses),
    }


def _undispatched(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(
            conn.execute(text("SELECT count(*) FROM events WHERE dispatched_at IS NULL")).scalar()
            or 0
        )
    engine.dispose()
    return n

"""Events published per second, and the relay's throughput, in-process on SQLite and PostgreSQL.

    PYTHONPATH=/tmp/cl-head/src .venv/bin/python bench/events/publish_rate.py \
        --backends sqlite postgresql --events 20000 --single 5000

Publish: ``crowdloop.events.service.publish`` in write units of work of 1 and of 100 events
(``answer.submitted``-shaped payloads), on a database built by ``crowdloop.wiring.build``
with its in-transaction reactions removed (they would read assignments that do not exist).
Each size runs twice: with the wiring's after-commit callback (``Platform.wake_relay``:
huey ``put_if_empty`` of the wake flag and, if it was clear, one enqueue) and with no
callback; a third line times ``wake_relay`` alone with the flag set (the common case under
load: a relay is queued and has not started) and with it cleared before each call (one
enqueue each). An empty write unit of work is the baseline a 1-event unit is compared with.

Relay: the same number of events published (units of 100, no wake), one no-op subscriber on
the bus, then ``dispatch`` (fan-out into ``event_handlings``, mark dispatched) and
``handle_due`` repeated until nothing is due (each handling is claimed, run and marked done
in its own unit of work), timed separately; before that, dispatch and handling until idle with
the subscribers the wiring registers at the measured commit, on --single events.

CPU is this process's (``time.process_time``: every thread) and, on PostgreSQL, that of the
backends connected to the benchmark database; the 1-minute load average is recorded before
and after each line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

import helpers
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.events.bus import Subscriber
from crowdloop.events.types import EventType
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import WAKE_KEY, Platform, build


def measure(name: str, pg: helpers.PgBackends, n: int, run: Callable[[], Any]) -> dict[str, Any]:
    load0 = helpers.loadavg()
    pg0, cpu0, t0 = pg.cpu(), time.process_time(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - t0
    cpu, pg_cpu = time.process_time() - cpu0, pg.cpu() - pg0
    row = {
        "what": name,
        "n": n,
        "wall_s": round(wall, 3),
        "per_s": round(n / wall, 1),
        "cpu_us_per_op": round(1e6 * cpu / n, 1),
        "pg_cpu_us_per_op": round(1e6 * pg_cpu / n, 1) if pg.engine is not None else None,
        "loadavg_before": load0,
        "loadavg_after": helpers.loadavg(),
    }
    if isinstance(result, dict):
        row["result"] = result
    print(json.dumps(row), flush=True)
    return row


def publish_units(platform: Platform, n: int, per_unit: int) -> None:
    for start in range(0, n, per_unit):
        with unit_of_work(platform.db) as session:
            for i in range(start, min(n, start + per_unit)):
                events.publish(
                    session,
                    EventType.answer_submitted,
                    project_id=1,
                    actor_id=7,
                    assignment_id=i,
                    task_id=i,
                    worker_id=7,
                )


def empty_units(platform: Platform, n: int) -> None:
    for _ in range(n):
        with unit_of_work(platform.db) as session:
            session.execute(text("SELECT 1"))


def wakes(platform: Platform, n: int, *, clear: bool) -> None:
    huey = platform.jobs.huey
    huey.put_if_empty(WAKE_KEY, 1)
    for _ in range(n):
        if clear:
            huey.delete(WAKE_KEY)
        platform.wake_relay()


def until_idle(platform: Platform) -> dict[str, int]:
    handled = 0
    while True:
        report = events.handle_due(platform.db, platform.bus)
        if report.handled + report.failed + report.retrying == 0:
            return {"handled": handled}
        handled += report.handled


def publish_lines(platform: Platform, pg: helpers.PgBackends, args: argparse.Namespace) -> list:
    rows = [
        measure(
            "empty write unit (baseline)",
            pg,
            args.single,
            lambda: empty_units(platform, args.single),
        )
    ]
    callbacks = list(platform.bus.committed)
    for per_unit, n in ((1, args.single), (100, args.events)):
        for wake in (True, False):
            platform.bus.committed[:] = callbacks if wake else []
            name = f"publish, {per_unit} event(s) per unit, wake {'on' if wake else 'off'}"
            rows.append(measure(name, pg, n, lambda n=n, k=per_unit: publish_units(platform, n, k)))
    platform.bus.committed[:] = callbacks
    for clear in (False, True):
        flag = "deleted before each (delete + put + enqueue)" if clear else "set (a read)"
        name = f"wake_relay alone, flag {flag}"
        rows.append(
            measure(name, pg, args.single, lambda c=clear: wakes(platform, args.single, clear=c))
        )
    platform.jobs.huey.flush()
    return rows


def relay_lines(platform: Platform, pg: helpers.PgBackends, args: argparse.Namespace) -> list:
    platform.bus.committed[:] = []
    with unit_of_work(platform.db) as session:  # what the publish lines left: not measured
        session.execute(text("DELETE FROM event_handlings"))
        session.execute(text("DELETE FROM events"))
    wired = ", ".join(sorted(platform.bus.subscribers)) or "none"
    publish_units(platform, args.single, 100)
    rows = [
        measure(
            f"relay until idle, subscribers as wired ({wired})",
            pg,
            args.single,
            lambda: {
                "dispatched": events.dispatch(platform.db, platform.bus),
                **until_idle(platform),
            },
        )
    ]
    platform.bus.subscribers.clear()
    platform.bus.subscribe(Subscriber("noop", handle=lambda _s, _e: None))
    n = args.events
    publish_units(platform, n, 100)
    rows.append(
        measure(
            "dispatch to 1 no-op subscriber",
            pg,
            n,
            lambda: {"dispatched": events.dispatch(platform.db, platform.bus)},
        )
    )
    rows.append(
        measure("handle_due until idle, no-op subscriber", pg, n, lambda: until_idle(platform))
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    ap.add_argument(
        "--events", type=int, default=20_000, help="events for units of 100 and the relay"
    )
    ap.add_argument("--single", type=int, default=5_000, help="events for units of 1, wakes")
    ap.add_argument("--name", default="publish_rate")
    args = ap.parse_args()
    runs = {}
    for backend in args.backends:
        url = helpers.fresh_database(backend, "events_publish")
        platform = build(
            Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0)
        )
        # The payloads name no real assignment: no in-transaction reactions (quality's
        # react to answer.submitted by reading the assignment); the outbox write is measured.
        platform.bus.reactions.clear()
        pg = helpers.PgBackends(url)
        try:
            runs[backend] = publish_lines(platform, pg, args) + relay_lines(platform, pg, args)
        finally:
            pg.close()
            platform.jobs.huey.storage.close()
            platform.db.dispose()
            helpers.drop_database(url)
    print("saved", helpers.save(args.name, {"runs": runs}))


if __name__ == "__main__":
    main()

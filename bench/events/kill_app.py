"""`crowdloop` (the real CLI: serve, worker, ...) with two benchmark subscribers on the bus.

    .venv/bin/python bench/events/kill_app.py --database-url URL serve --port 8792

Used by kill_runs.py so that the relay has handlings to run and we can see each one run:

- ``bench.record`` (every event type) inserts ``(event_id, pid)`` into ``bench_handled``
  in the handling's own transaction, the one that marks it done: a row per committed run;
- ``bench.external`` (``answer.submitted`` only) appends the event id to the file named by
  ``BENCH_EXTERNAL_LOG`` *before* that commit, like a webhook POST would: a kill between the
  append and the commit shows up as the same id twice (at-least-once, not exactly-once).

The table is created by kill_runs.py; everything else is crowdloop's own wiring. With
``BENCH_SUBSCRIBERS=0`` the bus is left as the wiring builds it (webhook_latency.py).

Shim: commits bc8f81c..0cc6378 start ``platform.live`` (the live notifier) in ``app.py``
while their ``wiring.Platform`` has no such attribute yet (it was still being written), so
``crowdloop serve`` fails at startup there. If ``Platform`` has no ``live``, a no-op one
is supplied: live pages do nothing, everything else is the commit's code.
"""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.orm import Session

from crowdloop import wiring
from crowdloop.events.bus import Bus, Published, Subscriber

HANDLED_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_handled ("
    "event_id BIGINT NOT NULL, subscriber VARCHAR(64) NOT NULL, pid INTEGER NOT NULL)"
)
_original_build_bus = wiring.build_bus


def _record(session: Session, event: Published) -> None:
    session.execute(
        text("INSERT INTO bench_handled (event_id, subscriber, pid) VALUES (:e, :s, :p)"),
        {"e": event.id, "s": "bench.record", "p": os.getpid()},
    )


def _external(_session: Session, event: Published) -> None:
    path = os.environ.get("BENCH_EXTERNAL_LOG")
    if path:
        with open(path, "a", encoding="ascii") as out:  # one short O_APPEND write
            out.write(f"{event.id} {os.getpid()}\n")


class _NoLive:
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def close(self) -> None:
        return None


def build_bus() -> Bus:
    bus = _original_build_bus()
    if os.environ.get("BENCH_SUBSCRIBERS") == "0":
        return bus
    bus.subscribe(Subscriber("bench.record", handle=_record))
    bus.subscribe(
        Subscriber("bench.external", handle=_external, types=frozenset({"answer.submitted"}))
    )
    return bus


wiring.build_bus = build_bus
if not hasattr(wiring.Platform, "live") and "live" not in wiring.Platform.__dataclass_fields__:
    wiring.Platform.live = _NoLive()  # type: ignore[attr-defined]

if __name__ == "__main__":
    from crowdloop.cli.main import app

    app()

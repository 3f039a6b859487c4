"""Where a server's CPU went, from py-spy's collapsed stacks (``py-spy record --format raw``).

    .venv/bin/python bench/events/spy_summary.py /tmp/spy_after_sqlite_1.txt [more files]

py-spy samples threads it sees running; samples whose innermost frame is a wait
(``IDLE_LEAVES``) are dropped as well, so shares are of on-CPU samples.
Each line of a raw file is ``frame;frame;...;frame COUNT``; a sample counts towards every
bucket whose pattern occurs anywhere in its stack (inclusive, buckets overlap), and towards
"rest" when it matches none.
"""

from __future__ import annotations

import sys
from pathlib import Path

BUCKETS = {
    "request threads, all (AnyIO worker threads)": "WorkerThread.run (anyio/",
    "request: next (api/work.py next_task)": "next_task (crowdloop/api/work.py",
    "request: submit (api/work.py submit)": "submit (crowdloop/api/work.py",
    "publish() in the request": "publish (crowdloop/events/service.py",
    "pg_notify before commit": "_notify_listeners (crowdloop/events/bus.py",
    "after-commit wake_relay (huey put_if_empty/enqueue)": "wake_relay (crowdloop/wiring.py",
    "relay job (Platform.relay)": "relay (crowdloop/wiring.py",
    "  relay: dispatch": "dispatch (crowdloop/events/service.py",
    "  relay: handle_due": "handle_due (crowdloop/events/service.py",
    "job_runs bookkeeping (huey signals)": "crowdloop/jobs/service.py",
    "huey consumer loop (dequeue, scheduler)": "huey/consumer.py",
    "uvicorn/asyncio event loop": "uvicorn",
    # Leaves that are waits on I/O or a lock, not CPU (py-spy counts them as active):
    "  huey storage commit (SQLite: fsync of the queue file; PostgreSQL: round trip)": (
        "BaseSqlStorage.db (huey/storage.py:832)"
    ),
    "  huey storage lock wait": "BaseSqlStorage.db (huey/storage.py:822)",
}


# Leaves that are waits, not work: py-spy's idle detection misses some under load.
IDLE_LEAVES = (
    "wait (threading.py",
    "Runner.run (asyncio",
    "select (selectors.py",
    "notifies (psycopg",
)


def summarize(path: Path) -> dict[str, float]:
    totals = dict.fromkeys(BUCKETS, 0)
    total = rest = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        leaf = stack.rsplit(";", 1)[-1]
        if any(idle in leaf for idle in IDLE_LEAVES):
            continue
        total += n
        hit = False
        for name, pattern in BUCKETS.items():
            if pattern in stack:
                totals[name] += n
                hit = True
        rest += 0 if hit else n
    shares = {k: round(100 * v / max(1, total), 1) for k, v in totals.items()}
    shares["rest"] = round(100 * rest / max(1, total), 1)
    shares["samples"] = total
    return shares


def main() -> None:
    for name in sys.argv[1:]:
        print(name)
        for key, value in summarize(Path(name)).items():
            print(f"  {value:>7} {'' if key == 'samples' else '%'}  {key}")


if __name__ == "__main__":
    main()

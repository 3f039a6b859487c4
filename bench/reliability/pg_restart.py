"""PostgreSQL restarted under load: clear 503s during the outage, recovery, nothing lost.

    .venv/bin/python bench/reliability/pg_restart.py --rounds 3

Runs as root (it restarts the cluster with --restart, default `pg_ctlcluster 15 main
restart`). Starts `uvicorn crowdloop.app:app_from_env` on a fresh PostgreSQL database
(jobs embedded, as `crowdloop serve` runs) and drives API workers looping next -> submit
and a few web page loads; every --gap seconds it restarts PostgreSQL, never crowdloop.
Before each restart it waits (polling every 30 s) while a test suite or another client
uses the PostgreSQL server: a restart breaks whatever else is connected.

Per round: the answers that came during the outage (from the restart command to the
first connection PostgreSQL accepts again, plus --grace seconds): 2xx, 503 (and whether
the body says the database is unavailable), other 5xx, timeouts (a hang: no answer
within --timeout), refused connections; and the time from PostgreSQL back up to the
first successful answer. Afterwards: acknowledged submits (2xx) against submitted
assignments in the database (lost, unacknowledged but kept, duplicated answer events),
and whether the embedded relay caught up. Saved to bench/reliability/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mixed_load
from mixed_load import RESULTS, Tally
from outbox_db import wait_dispatched  # bench/events, on the path through mixed_load

common = mixed_load.common
UNAVAILABLE = "database is unavailable"


@dataclass
class Round:
    restart_at: float  # monotonic: the restart command starts
    up_at: float  # monotonic: PostgreSQL accepts a connection again
    command_s: float


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def _others_on_postgres(url: str) -> list[str]:
    """Who else uses the PostgreSQL server: a test run (a live crowdloop_test_* database of
    a running process, with pytest running) or any other client's connection."""
    found = subprocess.run(["pgrep", "-af", "pytest"], capture_output=True, text=True)
    pytests = [line for line in found.stdout.splitlines() if line.strip()]
    ours = make_url(url).database
    with psycopg.connect(_libpq(common.PG_ADMIN_URL), autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
        clients = conn.execute(
            "SELECT datname, application_name FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
            "AND datname IS DISTINCT FROM %s",
            (ours,),
        ).fetchall()
    suites = [
        n
        for n in names
        if n.startswith("crowdloop_test_") and Path(f"/proc/{n.rsplit('_', 1)[-1]}").exists()
    ]
    busy = [f"client on {d} ({a or '?'})" for d, a in clients]
    if pytests and suites:
        busy += [f"test databases {suites}", *pytests]
    return busy


def wait_until_alone(url: str) -> None:
    while busy := _others_on_postgres(url):
        print(f"waiting 30 s, PostgreSQL is in use: {busy[:4]}", flush=True)
        time.sleep(30)


def restart_postgres(command: list[str], url: str) -> Round:
    wait_until_alone(url)
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    command_s = time.monotonic() - started
    while True:
        try:
            with psycopg.connect(_libpq(url), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return Round(started, time.monotonic(), command_s)
        except psycopg.OperationalError:
            time.sleep(0.05)


def outage(tally: Tally, one: Round, grace: float) -> dict[str, Any]:
    """The answers that came while PostgreSQL was down (plus grace), and the recovery."""
    window = [e for e in tally.timeline if one.restart_at <= e[0] <= one.up_at + grace]
    outcomes = Counter(e[2] for e in window)
    ok_after = [e for e in tally.timeline if e[0] > one.up_at and e[2].startswith("2")]
    first_submit = [e[0] for e in ok_after if e[1] == "submit"]
    return {
        "restart_command_s": round(one.command_s, 2),
        "down_s": round(one.up_at - one.restart_at, 2),
        "answers": sum(outcomes.values()),
        "2xx": sum(n for o, n in outcomes.items() if o.startswith("2")),
        "503": outcomes["503"],
        "other_5xx": sum(n for o, n in outcomes.items() if o.startswith("5") and o != "503"),
        "4xx": sum(n for o, n in outcomes.items() if o.startswith("4")),
        "no_answer": {o: n for o, n in outcomes.items() if not o[0].isdigit()},
        "first_success_after_up_s": round(ok_after[0][0] - one.up_at, 2) if ok_after else None,
        "first_submit_after_up_s": round(first_submit[0] - one.up_at, 2) if first_submit else None,
    }


def check(url: str, acked: list[int]) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        submitted = set(
            conn.execute(text("SELECT id FROM assignments WHERE status = 'submitted'")).scalars()
        )
        events = Counter(
            int((p if isinstance(p, dict) else json.loads(p))["assignment_id"])
            for p in conn.execute(
                text("SELECT payload FROM events WHERE type = 'answer.submitted'")
            ).scalars()
        )
    engine.dispose()
    return {
        "submits_acknowledged": len(acked),
        "acknowledged_twice": len(acked) - len(set(acked)),
        "answers_in_db": len(submitted),
        "acknowledged_but_lost": len(set(acked) - submitted),
        "in_db_not_acknowledged": len(submitted - set(acked)),
        "answer_events_missing": len(submitted - set(events)),
        "answer_events_duplicated": sum(1 for n in events.values() if n > 1),
    }


async def drive(
    args: argparse.Namespace, base: str, seeded: common.Seeded, names: list[str]
) -> tuple[Tally, list[int], list[Round]]:
    tally, over = Tally(), asyncio.Event()
    acked: list[int] = []
    rounds: list[Round] = []
    cookies = [await mixed_load.login(base, name) for name in names]
    project = seeded.project_id
    clients = [
        mixed_load.api_worker(base, token, project, over, tally, acked, args.timeout)
        for token in seeded.worker_tokens
    ]
    clients += [
        mixed_load.pages(base, cookies[i % len(cookies)], project, over, tally, args.timeout)
        for i in range(args.pages)
    ]

    async def restarts() -> None:
        for _ in range(args.rounds):
            await asyncio.sleep(args.gap)
            one = await asyncio.to_thread(restart_postgres, args.restart, seeded.url)
            rounds.append(one)
            print(f"restarted: down {one.up_at - one.restart_at:.1f} s", flush=True)
        await asyncio.sleep(args.gap)
        over.set()

    await asyncio.gather(restarts(), *clients)
    return tally, acked, rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gap", type=float, default=15, help="seconds of load between restarts")
    parser.add_argument("--workers", type=int, default=40, help="API workers (next -> submit)")
    parser.add_argument("--pages", type=int, default=4, help="web clients loading pages")
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=20, help="no answer by then: a hang")
    parser.add_argument("--grace", type=float, default=5)
    parser.add_argument(
        "--restart", type=shlex.split, default=shlex.split("pg_ctlcluster 15 main restart")
    )
    args = parser.parse_args()
    url = common.fresh_database("postgresql", "pg_restart")
    wait_until_alone(url)  # no load while others finish: each round then waits little
    seeded = common.seed(url, n_workers=args.workers, n_tasks=args.tasks)
    names = mixed_load.web_users(url, 4)
    with common.Server(url) as server:
        before = common.cpu_seconds(server.pids())
        tally, acked, rounds = asyncio.run(drive(args, server.base, seeded, names))
        cpu = common.cpu_seconds(server.pids()) - before
        relay_s = wait_dispatched(url)  # -1: not within 15 s
        alive = httpx.get(server.base + "/api/v1/health", timeout=10).status_code == 200
        crowdloop_restarted = server.proc.poll() is not None
    per_round = [outage(tally, one, args.grace) for one in rounds]
    for i, row in enumerate(per_round, 1):
        print(f"round {i}: {row}")
    figures = mixed_load.report(tally, cpu, 0.0)
    lost = check(url, acked)
    print(lost)
    print(f"relay caught up after the run: {relay_s} s; healthy: {alive}")
    print("503 bodies:", sorted(tally.bodies_503)[:3])
    run = {"rounds": per_round, "answers": lost, "relay_caught_up_s": relay_s}
    run |= {"healthy_after": alive, "server_exited": crowdloop_restarted, **figures}
    run |= {"bodies_503": sorted(tally.bodies_503), "machine": common.machine()}
    path = common.save("pg_restart", run, RESULTS)
    print(f"saved {path.relative_to(common.REPO)}")


if __name__ == "__main__":
    main()

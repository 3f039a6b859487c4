"""Mixed load on one server: web pages and API writes from many clients at once.

    .venv/bin/python bench/reliability/mixed_load.py --clients 200 --duration 60
    .venv/bin/python bench/reliability/mixed_load.py --clients 200 --duration 60 \
        --backend postgresql   # a fresh database on BENCH_PG_URL's server

Starts `uvicorn crowdloop.app:app_from_env` on a fresh SQLite file or PostgreSQL database
(jobs embedded, as `crowdloop serve` runs), signs web users in through the login form, then
runs for --duration seconds: 50% of the clients load worker pages (/work, the project
page), 40% are API workers looping next -> submit, 10% are requesters creating tasks.
Reports per kind: answers, errors (5xx other than 503, timeouts, refused connections),
503 Busy/Unavailable counted apart, other 4xx, p50/p99 latency, and the CPU seconds per
request of the server (and of PostgreSQL's backends), with the load average; saved to
bench/reliability/results/. Issue 11's goal: 0 errors, 0 hangs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foundation"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "events"))
import common

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserCreate
from crowdloop.config import Settings
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build
from helpers import PgBackends

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "bench-web-password"
TIMEOUT = 60.0
RESULTS = Path(__file__).resolve().parent / "results"


Until = float | asyncio.Event  # a monotonic end time, or an event set when the run is over


def going(until: Until) -> bool:
    if isinstance(until, asyncio.Event):
        return not until.is_set()
    return time.monotonic() < until


class Tally:
    """Answers per kind: latencies of the good ones, errors, 503s and 4xx apart; and a
    timeline (monotonic time the answer came, kind, what it was) for outage analyses."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.unavailable: dict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = defaultdict(int)
        self.timeline: list[tuple[float, str, str]] = []
        self.bodies_503: set[str] = set()

    def record(
        self, kind: str, started: float, status: int | None, error: str = "", body: str = ""
    ) -> None:
        outcome = error if status is None else str(status)
        self.timeline.append((time.monotonic(), kind, outcome))
        if status == 503:
            self.unavailable[kind] += 1
            self.bodies_503.add(body[:200])
        elif status is None or status >= 500:
            self.errors[kind].append(error or f"HTTP {status}")
        elif status >= 400:
            self.refused[kind] += 1
        else:
            self.ms[kind].append((time.perf_counter() - started) * 1000)

    def summary(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for kind in sorted(set(self.ms) | set(self.errors) | set(self.unavailable)):
            ms = self.ms[kind]
            out[kind] = {
                "ok": len(ms),
                "errors": len(self.errors[kind]),
                "error_kinds": sorted(set(self.errors[kind])),
                "503": self.unavailable[kind],
                "4xx": self.refused[kind],
                "p50_ms": round(common.percentile(ms, 50), 1),
                "p99_ms": round(common.percentile(ms, 99), 1),
            }
        return out

    def requests(self) -> int:
        return len(self.timeline)


async def _call(
    http: httpx.AsyncClient, tally: Tally, kind: str, method: str, path: str, **kw: object
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await http.request(method, path, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        tally.record(kind, started, None, type(exc).__name__)
        return None
    body = response.text if response.status_code == 503 else ""
    tally.record(kind, started, response.status_code, body=body)
    return response


async def login(base: str, username: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as http:
        page = await http.get("/login")
        found = CSRF.search(page.text)
        form = {"username": username, "password": PASSWORD}
        if found:
            form["csrf"] = found.group(1)
        done = await http.post("/login", data=form)
        if done.status_code >= 400:
            raise RuntimeError(f"login of {username} failed: {done.status_code}")
        return http.cookies


async def pages(
    base: str,
    cookies: httpx.Cookies,
    project_id: int,
    end: Until,
    tally: Tally,
    timeout: float = TIMEOUT,
) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=timeout) as http:
        while going(end):
            await _call(http, tally, "page", "GET", f"/work/projects/{project_id}")
            await _call(http, tally, "page", "GET", "/work")


async def api_worker(
    base: str,
    token: str,
    project_id: int,
    end: Until,
    tally: Tally,
    acked: list[int] | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Loop next -> submit; the ids of the assignments whose submit was acknowledged (2xx)
    go to ``acked``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as http:
        while going(end):
            job = await _call(http, tally, "next", "POST", f"/api/v1/projects/{project_id}/next")
            if job is None or job.status_code != 200:
                await asyncio.sleep(0.2)
                continue
            assignment_id = job.json()["id"]
            done = await _call(
                http,
                tally,
                "submit",
                "POST",
                f"/api/v1/assignments/{assignment_id}/submit",
                json={"answer": common.LABELS[0]},
            )
            if acked is not None and done is not None and done.is_success:
                acked.append(assignment_id)


async def _requester(base: str, token: str, project_id: int, end: Until, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=TIMEOUT) as http:
        i = 0
        while going(end):
            i += 1
            await _call(
                http,
                tally,
                "create",
                "POST",
                f"/api/v1/projects/{project_id}/tasks",
                json={"data": {"text": f"new task {i}"}},
            )


def web_users(url: str, n: int) -> list[str]:
    platform = build(Settings(database_url=url))
    names = [f"web{i}" for i in range(n)]
    with unit_of_work(platform.db) as session:
        for name in names:
            accounts.create_user(
                session, UserCreate(username=name, password=PASSWORD, role=Role.worker)
            )
    platform.db.dispose()
    return names


async def _run(
    args: argparse.Namespace, base: str, seeded: common.Seeded, names: list[str], tally: Tally
) -> None:
    cookies = [await login(base, name) for name in names]
    n_pages = args.clients // 2
    n_workers = args.clients * 2 // 5
    n_requesters = args.clients - n_pages - n_workers
    end = time.monotonic() + args.duration
    jobs = [
        pages(base, cookies[i % len(cookies)], seeded.project_id, end, tally)
        for i in range(n_pages)
    ]
    jobs += [
        api_worker(base, seeded.worker_tokens[i], seeded.project_id, end, tally)
        for i in range(n_workers)
    ]
    jobs += [
        _requester(base, seeded.requester_token, seeded.project_id, end, tally)
        for _ in range(n_requesters)
    ]
    await asyncio.gather(*jobs)


def report(tally: Tally, cpu: float, db_cpu: float) -> dict[str, object]:
    """Print the per-kind table and CPU per request; return both for the results file."""
    summary = tally.summary()
    for kind, row in summary.items():
        print(
            f"{kind:7s} ok {row['ok']:6d}  errors {row['errors']:4d} {row['error_kinds']}  "
            f"503 {row['503']:4d}  4xx {row['4xx']:4d}  "
            f"p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms"
        )
    n = max(tally.requests(), 1)
    loadavg = Path("/proc/loadavg").read_text().strip()
    print(
        f"{tally.requests()} requests; server CPU {cpu:.1f} s = {cpu / n * 1000:.2f} ms per "
        f"request; database CPU {db_cpu:.1f} s = {db_cpu / n * 1000:.2f} ms; loadavg {loadavg}"
    )
    if tally.bodies_503:
        print("503 bodies:", sorted(tally.bodies_503)[:3])
    return {
        "kinds": summary,
        "requests": tally.requests(),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_request": round(cpu / n * 1000, 2),
        "database_cpu_s": round(db_cpu, 2),
        "loadavg": loadavg,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    url = common.fresh_database(args.backend, "mixed_load")
    seeded = common.seed(url, n_workers=args.clients, n_tasks=args.tasks)
    names = web_users(url, 8)
    tally = Tally()
    database = PgBackends(url)
    with common.Server(url) as server:
        before, db_before = common.cpu_seconds(server.pids()), database.cpu()
        started = time.monotonic()
        asyncio.run(_run(args, server.base, seeded, names, tally))
        wall = time.monotonic() - started
        cpu = common.cpu_seconds(server.pids()) - before
        db_cpu = database.cpu() - db_before
        alive = httpx.get(server.base + "/api/v1/health", timeout=10).status_code
    database.close()
    print(f"{args.backend}, clients {args.clients}, {wall:.1f} s, healthy after: {alive == 200}")
    figures = report(tally, cpu, db_cpu)
    name = f"mixed_load_{args.backend}_{args.clients}"
    run = {"backend": args.backend, "clients": args.clients, "wall_s": round(wall, 1)}
    run |= {"healthy_after": alive == 200, "machine": common.machine(), **figures}
    path = common.save(name, run, RESULTS)
    print(f"saved {path.relative_to(common.REPO)}")


if __name__ == "__main__":
    main()

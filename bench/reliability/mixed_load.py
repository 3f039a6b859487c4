"""Mixed load on one SQLite server: web pages and API writes from many clients at once.

    .venv/bin/python bench/reliability/mixed_load.py --clients 200 --duration 60

Starts `uvicorn crowdloop.app:app_from_env` on a fresh SQLite file (jobs embedded, as
`crowdloop serve` runs), signs web users in through the login form, then runs for
--duration seconds: 50% of the clients load worker pages (/work, the project page), 40%
are API workers looping next -> submit, 10% are requesters creating tasks. Reports per
kind: requests, errors (5xx, timeouts, refused connections), p50/p99 latency, and the
server's CPU seconds per request, with the load average. Issue 11's goal: 0 errors, 0 hangs.
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
import common

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserCreate
from crowdloop.config import Settings
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "bench-web-password"
TIMEOUT = 60.0


class Tally:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def record(self, kind: str, started: float, status: int | None, error: str = "") -> None:
        if status is None or status >= 500:
            self.errors[kind].append(error or f"HTTP {status}")
        else:
            self.ms[kind].append((time.perf_counter() - started) * 1000)


async def _call(
    http: httpx.AsyncClient, tally: Tally, kind: str, method: str, path: str, **kw: object
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await http.request(method, path, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        tally.record(kind, started, None, type(exc).__name__)
        return None
    tally.record(kind, started, response.status_code)
    return response


async def _login(base: str, username: str) -> httpx.Cookies:
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


async def _pages(
    base: str, cookies: httpx.Cookies, project_id: int, end: float, tally: Tally
) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=TIMEOUT) as http:
        while time.monotonic() < end:
            await _call(http, tally, "page", "GET", f"/work/projects/{project_id}")
            await _call(http, tally, "page", "GET", "/work")


async def _worker(base: str, token: str, project_id: int, end: float, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=TIMEOUT) as http:
        while time.monotonic() < end:
            job = await _call(http, tally, "next", "POST", f"/api/v1/projects/{project_id}/next")
            if job is None or job.status_code != 200:
                await asyncio.sleep(0.2)
                continue
            await _call(
                http,
                tally,
                "submit",
                "POST",
                f"/api/v1/assignments/{job.json()['id']}/submit",
                json={"answer": common.LABELS[0]},
            )


async def _requester(base: str, token: str, project_id: int, end: float, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=TIMEOUT) as http:
        i = 0
        while time.monotonic() < end:
            i += 1
            await _call(
                http,
                tally,
                "create",
                "POST",
                f"/api/v1/projects/{project_id}/tasks",
                json={"data": {"text": f"new task {i}"}},
            )


def _web_users(url: str, n: int) -> list[str]:
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
    cookies = [await _login(base, name) for name in names]
    n_pages = args.clients // 2
    n_workers = args.clients * 2 // 5
    n_requesters = args.clients - n_pages - n_workers
    end = time.monotonic() + args.duration
    jobs = [
        _pages(base, cookies[i % len(cookies)], seeded.project_id, end, tally)
        for i in range(n_pages)
    ]
    jobs += [
        _worker(base, seeded.worker_tokens[i], seeded.project_id, end, tally)
        for i in range(n_workers)
    ]
    jobs += [
        _requester(base, seeded.requester_token, seeded.project_id, end, tally)
        for _ in range(n_requesters)
    ]
    await asyncio.gather(*jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--tasks", type=int, default=50_000)
    args = parser.parse_args()
    url = common.fresh_database("sqlite", "mixed_load")
    seeded = common.seed(url, n_workers=args.clients, n_tasks=args.tasks)
    names = _web_users(url, 8)
    tally = Tally()
    with common.Server(url) as server:
        before = common.cpu_seconds(server.pids())
        started = time.monotonic()
        asyncio.run(_run(args, server.base, seeded, names, tally))
        wall = time.monotonic() - started
        cpu = common.cpu_seconds(server.pids()) - before
        alive = httpx.get(server.base + "/api/v1/health", timeout=10).status_code
    total = sum(len(v) for v in tally.ms.values())
    print(f"clients {args.clients}, {wall:.1f} s, server healthy after: {alive == 200}")
    for kind in sorted(set(tally.ms) | set(tally.errors)):
        ms = tally.ms[kind]
        errors = tally.errors[kind]
        p50 = common.percentile(ms, 50) if ms else float("nan")
        p99 = common.percentile(ms, 99) if ms else float("nan")
        kinds = sorted(set(errors))[:3]
        print(
            f"{kind:7s} ok {len(ms):6d}  errors {len(errors):4d} {kinds}  "
            f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        )
    per = cpu / max(total, 1) * 1000
    print(
        f"server CPU {cpu:.1f} s = {per:.2f} ms per request; "
        f"loadavg {Path('/proc/loadavg').read_text().strip()}"
    )


if __name__ == "__main__":
    main()

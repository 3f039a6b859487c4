"""SQLite's in-process writer turn: released from any thread, bounded wait, no lock-ups
under concurrent page loads and writes (issue 11, finding 1)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
import httpx
import pytest

from crowdloop.accounts.models import Role
from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.errors import Busy
from crowdloop.storage.engine import Database, WriterBusy, WriterTurn
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.wiring import Platform
from tests.factories.accounts import make_token, make_user, make_web_session
from tests.factories.projects import make_project, make_tasks
from tests.live import live_server


def test_a_turn_taken_on_one_thread_is_released_on_another() -> None:
    writer = WriterTurn(wait_seconds=1)
    turn = writer.turn()
    entered = threading.Event()

    def enter() -> None:
        turn.__enter__()
        entered.set()

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    assert entered.is_set()
    turn.__exit__(None, None, None)  # FastAPI may finish a dependency on another thread
    with writer.turn():  # free again: the next writer gets it at once
        pass


def test_a_writer_that_cannot_get_its_turn_fails_instead_of_hanging() -> None:
    writer = WriterTurn(wait_seconds=0.05)
    with writer.turn(), pytest.raises(WriterBusy), writer.turn():
        pass  # pragma: no cover - never reached


def test_a_nested_write_unit_is_busy_not_a_hang(db: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the writer turn is SQLite's")
    assert db.writer_lock is not None
    db.writer_lock.wait_seconds = 0.05
    with unit_of_work(db), pytest.raises(Busy), unit_of_work(db):
        pass  # pragma: no cover - never reached


def _world(platform: Platform, *, workers: int) -> tuple[int, str, list[str], list[str]]:
    """A project of 40 tasks; the owner's token; each worker's token and web session."""
    with unit_of_work(platform.db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=3)
        make_tasks(session, project, 40)
        people = [make_user(session, role=Role.worker) for _ in range(workers)]
        tokens = [make_token(session, w) for w in people]
        web = [make_web_session(session, w) for w in people]
        return project.id, make_token(session, owner), tokens, web


def test_concurrent_pages_and_writes_never_lock_up(
    settings: Settings, platform: Platform, backend: str
) -> None:
    """12 concurrent worker page loads and 10 concurrent task creations, twice: every
    request answers (no hang), none with a server error."""
    if backend != "sqlite":
        pytest.skip("the lock-up was SQLite's writer turn")
    project_id, owner_token, _, cookie_values = _world(platform, workers=4)
    with live_server(settings, platform) as url:

        def page(i: int) -> int:
            jar = {cookies.COOKIE: cookie_values[i % 4]}
            with httpx.Client(base_url=url, cookies=jar, timeout=60) as http:
                return http.get(f"/work/projects/{project_id}").status_code

        def create(i: int) -> int:
            headers = {"Authorization": f"Bearer {owner_token}"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                body = {"data": {"text": f"new {i}"}}
                return http.post(f"/api/v1/projects/{project_id}/tasks", json=body).status_code

        with ThreadPoolExecutor(22) as pool:
            for _ in range(2):
                statuses = list(pool.map(page, range(12))) + list(pool.map(create, range(10)))
                assert all(s < 500 for s in statuses), statuses
                assert statuses.count(201) == 10, statuses
        with httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("/api/v1/health").status_code == 200


def test_more_writers_than_pool_threads_never_wait_on_each_other(
    settings: Settings, platform: Platform, backend: str
) -> None:
    """More concurrent writers than the server's thread pool has threads (200 clients on
    40 threads): the writer holding SQLite's turn still gets a thread for its next step (a
    sync endpoint after a ``yield`` dependency, the answer's validation), because a thread
    waiting for the turn gives its pool slot back while it waits. It used to keep it: the
    waiters held every thread, the holder waited for a thread, and the requests ended as
    503 Busy when the waits ran out (bench/reliability/mixed_load.py, 200 clients)."""
    project_id, owner_token, worker_tokens, cookie_values = _world(platform, workers=8)
    if platform.db.writer_lock is not None:
        platform.db.writer_lock.wait_seconds = 5  # the deadlock's end, not a time limit
    app = create_app(settings, platform=platform)

    async def load() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 3
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def create(i: int) -> int:
                headers = {"Authorization": f"Bearer {owner_token}"}
                body = {"data": {"text": f"new {i}"}}
                url = f"/api/v1/projects/{project_id}/tasks"
                return (await http.post(url, json=body, headers=headers)).status_code

            async def page(i: int) -> int:
                headers = {"Cookie": f"{cookies.COOKIE}={cookie_values[i % 8]}"}
                url = f"/work/projects/{project_id}"
                return (await http.get(url, headers=headers)).status_code

            async def next_task(i: int) -> int:
                headers = {"Authorization": f"Bearer {worker_tokens[i % 8]}"}
                url = f"/api/v1/projects/{project_id}/next"
                return (await http.post(url, headers=headers)).status_code

            calls = [f(i) for i in range(8) for f in (create, page, next_task)]
            return list(await asyncio.gather(*calls))

    statuses = anyio.run(load)
    assert all(s < 500 for s in statuses), statuses
    assert statuses.count(201) == 8, statuses

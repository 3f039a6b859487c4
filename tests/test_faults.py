"""Faults with clear answers and nothing corrupted: a full disk (SQLite), a database
connection killed under a request (PostgreSQL restarting) — issue 11."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, func, select, text

from crowdloop.accounts.models import User
from crowdloop.config import Settings
from crowdloop.errors import Busy, StorageFull, Unavailable
from crowdloop.events import service as events
from crowdloop.events.types import EventType
from crowdloop.projects.models import Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform, build
from tests.factories.accounts import make_user
from tests.helpers import actors, project_body


def _limit_pages(db: Database, extra_pages: int) -> Any:
    with db.engine.connect() as conn:
        used = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    db.engine.dispose()

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={used + extra_pages}")

    event.listen(db.engine, "connect", limit)
    return limit


def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(
    app_client: TestClient, db: Database, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the disk-full path is simulated with SQLite's max_page_count")
    team = actors(app_client, db, n_workers=1)
    project = team.requester.create_project(project_body())
    limit = _limit_pages(db, 40)
    statuses = []
    for i in range(60):
        body = {"data": {"text": f"{i} " + "x" * 8000}}
        response = team.requester.http.post(
            f"/api/v1/projects/{project['id']}/tasks", json=body, headers=team.requester.headers
        )
        statuses.append(response.status_code)
        if response.status_code == 507:
            assert response.json() == {
                "error": "StorageFull",
                "detail": "the database's disk is full; nothing was saved (free space, then "
                "try again)",
            }
            break
    assert statuses[-1] == 507, statuses
    created = statuses.count(201)
    assert created == len(statuses) - 1
    with unit_of_work(db, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == created
        assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    event.remove(db.engine, "connect", limit)
    db.engine.dispose()
    team.requester.create_task(project["id"], {"data": {"text": "room again"}})


def test_a_connection_killed_under_a_request_is_unavailable_then_recovers(
    db: Database, backend: str, pg_database_url: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL restart, as the server sees it")
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")

    def write_while_the_server_goes_away() -> None:
        with unit_of_work(db) as session:
            make_user(session, username="lost")
            session.flush()
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            session.execute(text("SELECT 1"))

    with pytest.raises(Unavailable, match="unavailable right now"):
        write_while_the_server_goes_away()
    admin.dispose()
    with unit_of_work(db) as session:  # no restart of crowdloop: the pool reconnects
        make_user(session, username="after")
    with unit_of_work(db, write=False) as session:
        names = set(session.scalars(text("SELECT username FROM users")))
    assert names == {"after"}


def _terminate(pg_database_url: str, pid: int) -> None:
    """What a PostgreSQL restart does to one connection: its backend ends (waiting for it)."""
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
    admin.dispose()


def test_a_connection_lost_as_a_read_ends_keeps_what_was_read(
    db: Database, backend: str, pg_database_url: str
) -> None:
    """A read unit ends with a rollback; on a connection PostgreSQL dropped after the reads
    it used to fail (a 500 for a page that had been read whole, in bench/reliability/
    pg_restart.py). The connection is dropped from the pool; what was read stands."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL restart, as the server sees it")
    with unit_of_work(db, write=False) as session:
        users = session.scalar(select(func.count()).select_from(User))
        _terminate(pg_database_url, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    assert users == 0
    with unit_of_work(db) as session:  # the pool reconnects
        make_user(session, username="after")


def test_live_updates_outlive_a_lost_connection(
    platform: Platform, backend: str, pg_database_url: str
) -> None:
    """The live notifier's outbox read meets a dropped connection (a PostgreSQL restart):
    it reads again and still wakes the pages. The read's `Unavailable` used to end the
    scan for the life of the server: live pages stopped updating after a restart."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL restart, as the server sees it")
    live = platform.live
    live.poll_seconds = live.safety_poll_seconds = 0.05
    killed: list[int] = []

    def kill_once(conn: Any, *_: Any) -> None:
        if not killed:
            killed.append(conn.connection.dbapi_connection.info.backend_pid)
            _terminate(pg_database_url, killed[0])

    publisher = build(platform.settings)

    def publish() -> None:
        with unit_of_work(publisher.db) as session:
            events.publish(session, EventType.webhook_test, project_id=7)

    async def main() -> bool:
        await live.start()
        try:
            event.listen(platform.db.engine, "before_cursor_execute", kill_once)
            while not killed:
                await asyncio.sleep(0.05)
            ticket = live.ticket(7)
            await asyncio.to_thread(publish)
            return await live.wait(ticket, 30)
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", kill_once)
            await live.stop()

    try:
        assert asyncio.run(main()), "the notifier stopped after the lost connection"
    finally:
        publisher.live.close()
        publisher.jobs.close()
        publisher.db.dispose()


def test_storage_full_is_not_mistaken_for_busy() -> None:
    assert StorageFull.status_code == 507
    assert Unavailable.status_code == 503


def test_a_lock_held_by_a_stuck_transaction_is_busy_not_a_hang(
    settings: Settings, backend: str
) -> None:
    """PostgreSQL: a request that waits on a row another transaction holds gives up after
    ``db_lock_timeout_seconds`` with Busy (503), and saves nothing."""
    if backend != "postgresql":
        pytest.skip("SQLite's writers have their own bounded wait (tests/test_writer_turn.py)")
    platform = build(settings.model_copy(update={"db_lock_timeout_seconds": 0.5}))
    try:
        with unit_of_work(platform.db) as session:
            user_id = make_user(session).id
        with platform.db.engine.connect() as stuck:
            stuck.execute(text("BEGIN"))
            stuck.execute(text("SELECT id FROM users WHERE id = :i FOR UPDATE"), {"i": user_id})

            def waiting_unit() -> None:
                with unit_of_work(platform.db) as session:
                    session.execute(
                        text("UPDATE users SET email = 'x@example.com' WHERE id = :i"),
                        {"i": user_id},
                    )

            with pytest.raises(Busy, match="nothing was saved"):
                waiting_unit()
            stuck.execute(text("ROLLBACK"))
        with unit_of_work(platform.db, write=False) as session:
            email = session.scalar(text("SELECT email FROM users WHERE id = :i"), {"i": user_id})
        assert email is None
    finally:
        platform.jobs.close()
        platform.live.close()
        platform.db.dispose()

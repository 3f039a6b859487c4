"""Transient database conflicts (deadlock, serialization failure, a locked SQLite file)
become ``Busy`` (503, "try again"), and nothing of the unit of work is kept."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

import crowdloop
from crowdloop.accounts.models import User
from crowdloop.api import errors
from crowdloop.client import ApiError, Client
from crowdloop.errors import Busy
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import is_transient, unit_of_work
from tests.factories.accounts import make_user

DEADLOCK = "DO $$ BEGIN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = '40P01'; END $$"


def _users(db: Database) -> int:
    with unit_of_work(db, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def test_a_deadlock_is_busy_and_rolls_back(db: Database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLSTATE 40P01 is PostgreSQL's")
    before = _users(db)

    def conflicting_unit() -> None:
        with unit_of_work(db) as session:
            make_user(session)
            session.flush()
            session.execute(text(DEADLOCK))

    with pytest.raises(Busy) as err:
        conflicting_unit()
    assert "try again" in err.value.detail
    assert err.value.status_code == 503
    assert _users(db) == before


def test_other_database_errors_are_not_busy(db: Database) -> None:
    def broken_unit() -> None:
        with unit_of_work(db) as session:
            session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError) as err:
        broken_unit()
    assert not isinstance(err.value, Busy)
    assert not is_transient(err.value)


def test_a_locked_sqlite_file_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as err, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert is_transient(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_busy_is_a_503_with_retry_after() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/conflict")
    def conflict() -> None:
        raise Busy("the database was busy with a conflicting request; try again")

    got = TestClient(app).get("/conflict")
    assert got.status_code == 503
    assert got.headers["Retry-After"] == "1"
    assert got.json() == {
        "error": "Busy",
        "detail": "the database was busy with a conflicting request; try again",
    }


def test_the_python_client_retries_busy() -> None:
    app = FastAPI()
    errors.install(app)
    calls: list[int] = []

    @app.post("/api/v1/flaky")
    def flaky() -> dict[str, int]:
        calls.append(1)
        if len(calls) < 3:
            raise Busy("the database was busy with a conflicting request; try again")
        return {"calls": len(calls)}

    client = Client(http=TestClient(app))
    client.max_wait = 0.0
    assert client.request("POST", "/flaky") == {"calls": 3}
    calls.clear()
    client.retries = 1
    with pytest.raises(ApiError) as err:
        client.request("POST", "/flaky")
    assert err.value.status == 503
    assert len(calls) == 2


def _yield_dependencies() -> Iterator[tuple[str, Any]]:
    """Every module-level ``Annotated[..., Depends(generator)]`` of the two web adapters."""
    for info in pkgutil.walk_packages(crowdloop.__path__, "crowdloop."):
        if not info.name.startswith(("crowdloop.api", "crowdloop.web")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if get_origin(value) is not Annotated:
                continue
            for meta in get_args(value)[1:]:
                call = getattr(meta, "dependency", None)
                if call is not None and inspect.isgeneratorfunction(call):
                    yield f"{info.name}.{name}", meta


def test_every_session_dependency_commits_before_the_response() -> None:
    """A yield dependency left at FastAPI's default scope commits after the response is
    sent: the client could see a 200 for a write that then fails, and its next request
    might not see it yet (the web's keyboard stream did, once)."""
    found = dict(_yield_dependencies())
    assert {"crowdloop.api.deps.WriteSession", "crowdloop.web.deps.WriteSession"} <= set(found)
    assert {name: d.scope for name, d in found.items() if d.scope != "function"} == {}


def test_a_key_taken_by_a_concurrent_request_is_409_and_nothing_is_kept(db: Database) -> None:
    """The service checks a task id before writing; the unique index catches the request
    that raced it, and the unit of work answers 409 Conflict instead of a server error."""
    from crowdloop.accounts.models import Role
    from crowdloop.errors import Conflict
    from crowdloop.projects.models import Task
    from tests.factories.projects import make_project, make_tasks

    with unit_of_work(db) as session:
        project = make_project(session, make_user(session, role=Role.requester))
        make_tasks(session, project, 1, external_id="taken")
    before = _users(db)

    def racing_unit() -> None:
        with unit_of_work(db) as session:
            make_user(session)
            racer = Task(project_id=project.id, external_id="taken", data={}, overlap=1, slots=1)
            session.add(racer)  # past the service's check, as a concurrent request would be

    with pytest.raises(Conflict) as err:
        racing_unit()
    assert err.value.status_code == 409
    assert "nothing of this request was saved" in err.value.detail
    assert _users(db) == before


def test_a_bulk_insert_that_collides_is_409_too(db: Database) -> None:
    """The importer's bulk path (COPY on PostgreSQL, executemany on SQLite) meets the same
    unique index: an import that lost the race to another is refused whole with 409."""
    from sqlalchemy import Table

    from crowdloop.accounts.models import Role
    from crowdloop.errors import Conflict
    from crowdloop.projects import service as projects
    from crowdloop.projects.models import Task
    from crowdloop.projects.schemas import TaskCreate
    from crowdloop.storage.bulk import insert_rows
    from tests.factories.projects import make_project, make_tasks

    with unit_of_work(db) as session:
        project = make_project(session, make_user(session, role=Role.requester))
        make_tasks(session, project, 1, external_id="taken")
    table: Table = Task.__table__  # type: ignore[assignment]

    def racing_import() -> None:
        with unit_of_work(db) as session:
            rows = [
                projects.task_values(project, TaskCreate(data={}, external_id=key), batch_id=None)
                for key in ("new-1", "taken", "new-2")
            ]
            insert_rows(session, table, rows)

    with pytest.raises(Conflict, match="nothing of this request was saved"):
        racing_import()
    with unit_of_work(db, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 1

"""Alembic: upgrade from empty, downgrade/upgrade round trip, and no drift from the models."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role
from crowdloop.projects.models import Task
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database
from crowdloop.storage.registry import Base
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks


def test_round_trip_and_no_drift(db: Database) -> None:
    engine = db.engine
    head = migrate.current_revision(engine)
    assert head is not None
    migrate.downgrade(engine, "base")
    assert not inspect(engine).has_table("tasks")
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == head
    with engine.connect() as conn, warnings.catch_warnings():
        # Autogenerate cannot compare the hand-written expression index; it warns about it.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        warnings.filterwarnings("ignore", message=".*approximate signature.*")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_unique_task_ids_keep_earlier_duplicates_findable(db: Database) -> None:
    """Tasks stored before the unique index may share an id: the upgrade renames the later
    copies (id + "~dup<task id>") instead of failing or dropping them."""
    engine = db.engine
    with unit_of_work(db) as session:
        project = make_project(session, make_user(session, role=Role.requester))
        ids = [t.id for t in make_tasks(session, project, 4)]
    migrate.downgrade(engine, "9e5a2b30f500")
    with engine.begin() as conn:
        conn.execute(update(Task).where(Task.id.in_(ids[:3])).values(external_id="same"))
        conn.execute(update(Task).where(Task.id == ids[3]).values(external_id="x" * 255))
    migrate.upgrade(engine)
    with Session(engine) as session:
        names = dict(session.execute(select(Task.id, Task.external_id)).all())
    assert names[ids[0]] == "same"
    assert names[ids[1]] == f"same~dup{ids[1]}"
    assert names[ids[2]] == f"same~dup{ids[2]}"
    assert names[ids[3]] == "x" * 255

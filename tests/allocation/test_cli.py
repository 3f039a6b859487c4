"""``crowdloop assign PROJECT [--dry-run] [--capacity N]``."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from crowdloop.accounts.models import Role
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.cli.conftest import invoke, last_error
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks


def _seed(db: Database, n_tasks: int) -> int:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1, quality={"control_rate": 0})
        make_tasks(session, project, n_tasks)
        make_user(session)
        make_user(session)
        return project.id


def _leases(db: Database) -> int:
    with unit_of_work(db, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Assignment)) or 0)


def test_dry_run_then_assign(settings: Settings, db: Database) -> None:
    project_id = _seed(db, 5)
    runner = CliRunner()
    dry = invoke(runner, settings.database_url, "assign", str(project_id), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["planned"] == 2
    assert _leases(db) == 0
    done = invoke(runner, settings.database_url, "assign", str(project_id), "--capacity", "2")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["created"] == 4
    assert _leases(db) == 4


def test_errors_are_one_line(settings: Settings, db: Database) -> None:
    project_id = _seed(db, 0)
    runner = CliRunner()
    empty = invoke(runner, settings.database_url, "assign", str(project_id))
    assert empty.exit_code == 1
    assert "no open tasks" in last_error(empty)
    bad = invoke(runner, settings.database_url, "assign", str(project_id), "--capacity", "0")
    assert bad.exit_code == 2
    missing = invoke(runner, settings.database_url, "assign", "999")
    assert "project 999 not found" in last_error(missing)

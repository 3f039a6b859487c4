from __future__ import annotations

import pytest

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.ai import status
from crowdloop.ai.acceptance import is_heldout
from crowdloop.allocation import policy
from crowdloop.cli._common import operator
from crowdloop.config import Settings
from crowdloop.demo import seed_demo
from crowdloop.errors import PermissionDenied
from crowdloop.projects import service as projects
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service as work
from tests.cli.conftest import Run, last_error
from tests.factories.accounts import make_user


def _counts(db: Database) -> tuple[int, int, int, int]:
    with unit_of_work(db, write=False) as session:
        users = accounts.list_users(session)
        tokens = sum(len(accounts.list_tokens(session, u)) for u in users)
        found = projects.list_projects(session, operator())
        answers = sum(projects.project_stats(session, p).answers for p in found)
        return len(users), tokens, len(found), answers


class TestDemo:
    def test_seeds_prints_and_is_idempotent(self, run: Run, db: Database) -> None:
        first = run("demo", "--no-serve", "--port", "8123")
        assert first.exit_code == 0, first.output
        out = first.stdout
        assert "http://127.0.0.1:8123/api/v1/openapi.json" in out
        assert "http://127.0.0.1:8123/api/v1/health" in out
        assert "http://127.0.0.1:8123/login" in out
        assert "demo-worker1-password" in out
        assert "(created)" in out
        counts = _counts(db)
        assert counts[:3] == (6, 6, 1)
        assert counts[3] > 0
        with unit_of_work(db) as session:  # a write unit: next publishes; rolled back below
            # The printed tokens and passwords work.
            assert accounts.user_for_token(session, "cl_demo_requester").role == Role.requester
            accounts.authenticate(session, "demo-admin", "demo-admin-password")
            (project,) = projects.list_projects(session, accounts.get_user_by_username(
                session, "demo-requester"))  # fmt: skip
            stats = projects.project_stats(session, project)
            assert (stats.tasks, stats.control_tasks) == (60, 6)
            assert stats.tasks_complete > 0
            # The model is trained once and its suggestions reach the worker's task.
            ai = status.status(session, project)
            assert ai.state == "ready"
            assert ai.certified is False
            assert "too few" in ai.certificate_status
            worker = accounts.get_user_by_username(session, "demo-worker1")
            job = policy.next_assignment(session, worker, project)
            read = work.to_read(session, job)
            task = projects.get_task(session, project, job.task_id)
            hidden = is_heldout(project.id, task.id, 0.1) or task.is_control
            assert (read.suggestion is None) is hidden
            session.rollback()

        second = run("demo", "--no-serve")
        assert second.exit_code == 0, second.output
        assert "(already there)" in second.stdout
        assert _counts(db) == counts

    def test_a_user_in_the_way_is_an_error_and_nothing_is_seeded(
        self, run: Run, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            make_user(session, role=Role.worker, username="demo-requester")
        result = run("demo", "--no-serve")
        assert result.exit_code == 1
        assert "'demo-requester' exists with role worker" in last_error(result)
        assert _counts(db) == (1, 0, 0, 0)

    def test_refused_in_production(self, db: Database, settings: Settings) -> None:
        prod = Settings(database_url=settings.database_url, env="prod", secret_key="s" * 32)
        with unit_of_work(db) as session, pytest.raises(PermissionDenied):
            seed_demo(session, prod)

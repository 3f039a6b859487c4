"""The audit stops auto-acceptance by itself; the background job trains when due."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from crowdloop.ai import jobs
from crowdloop.ai.models import ModelVersion, TaskMark, TaskRole
from crowdloop.client import ApiError
from crowdloop.projects.models import Project, Task
from crowdloop.quality import inference
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import LABELS, answer_all, configure, make_setup, new_worker, status, train


def _audit_labels(db: Database) -> dict[int, str]:
    with unit_of_work(db, write=False) as session:
        rows = session.execute(
            select(TaskMark.task_id, TaskMark.label).where(TaskMark.role == TaskRole.audit)
        ).all()
    return {r.task_id: str(r.label) for r in rows}


class TestAudit:
    def test_wrong_audit_answers_stop_and_reopen(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=400, n_open=200)
        configure(
            setup, enabled=True, auto_accept=True, target_accuracy=0.85, holdout_share=0.3,
            audit_share=0.5,
        )  # fmt: skip
        first = train(setup)
        assert first["n_auto_accepted"] > 0, first["certificate_status"]
        audited = _audit_labels(db)
        assert len(audited) >= 10

        def wrong_on_audit(task_id: int) -> str:
            if task_id in audited:  # people disagree with every machine answer
                return next(label for label in LABELS if label != audited[task_id])
            return setup.truth[task_id]

        answer_all(db, setup, wrong_on_audit, worker_id=new_worker(db))
        jobs.run_due(db)
        after = status(setup)
        assert after["auto_accept_stopped"] is True
        assert "below target" in after["stopped_reason"]
        assert f"{first['n_auto_accepted']} auto-accepted tasks reopened" in after["stopped_reason"]
        assert after["n_auto_accepted"] == 0
        assert after["audit"]["stop"] is True
        assert after["audit"]["accuracy"] == 0
        assert after["audit"]["upper_bound"] < 0.85
        with unit_of_work(db, write=False) as session:
            reopened = session.scalar(
                select(func.count()).where(
                    Task.project_id == setup.project_id, Task.slots > 0, Task.n_answers == 0
                )
            )
        assert reopened >= first["n_auto_accepted"]

    def test_right_audit_answers_keep_going(self, app_client: TestClient, db: Database) -> None:
        setup = make_setup(app_client, db, n_answered=400, n_open=200)
        configure(
            setup, enabled=True, auto_accept=True, target_accuracy=0.85, holdout_share=0.3,
            audit_share=0.5,
        )  # fmt: skip
        first = train(setup)
        answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db))
        jobs.run_due(db)
        after = status(setup)
        assert after["auto_accept_stopped"] is False
        assert after["audit"]["n_audited"] == first["n_audit"]
        assert after["audit"]["stop"] is False
        assert after["n_auto_accepted"] >= first["n_auto_accepted"]
        with unit_of_work(db) as session:  # truth inference leaves machine answers alone
            project = session.get(Project, setup.project_id)
            assert project is not None
            inference.refit(session, project)
        with unit_of_work(db, write=False) as session:
            auto = session.execute(
                select(Task.result, TaskMark.label)
                .join(TaskMark, TaskMark.task_id == Task.id)
                .where(TaskMark.role == TaskRole.auto)
            ).all()
        assert len(auto) == after["n_auto_accepted"]
        assert all(r.result == r.label for r in auto)


class TestJob:
    def test_trains_when_enough_new_labels_then_waits(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=120, n_open=30)
        configure(setup, enabled=True, retrain_after=200)
        assert jobs.run_due(db) == []  # 120 - held-out < 200 new labels
        configure(setup, retrain_after=50)
        made = jobs.run_due(db)
        assert len(made) == 1
        assert jobs.run_due(db) == []  # nothing new since
        with unit_of_work(db, write=False) as session:
            version = session.get(ModelVersion, made[0])
            assert version is not None
            assert version.status == "ready"
            assert version.n_predicted > 0
            assert version.artefact is not None
        assert status(setup)["new_labels_since_training"] == 0

    def test_one_bad_project_does_not_stop_the_others(
        self, app_client: TestClient, db: Database
    ) -> None:
        broken = make_setup(app_client, db, n_answered=60, n_open=5)
        good = make_setup(app_client, db, n_answered=60, n_open=5)
        with unit_of_work(db) as session:  # labels the schema no longer has
            session.execute(
                update(Task).where(Task.project_id == broken.project_id).values(result="zebra")
            )
        for setup in (broken, good):
            configure(setup, enabled=True, retrain_after=10)
        made = jobs.run_due(db)
        assert len(made) == 1
        assert status(good)["state"] == "ready"
        assert status(broken)["state"] == "never trained"


class TestJobLock:
    def test_a_project_locked_by_another_process_is_left_alone(
        self, app_client: TestClient, db: Database, backend: str
    ) -> None:
        setup = make_setup(app_client, db, n_answered=60, n_open=5)
        configure(setup, enabled=True, retrain_after=10)
        with jobs.project_lock(db, setup.project_id) as ours:
            assert ours
            # PostgreSQL: a second holder (another server process) is refused meanwhile.
            with jobs.project_lock(db, setup.project_id) as again:
                assert again is (backend == "sqlite")
            if backend == "postgresql":
                assert jobs.run_due(db) == []
                assert status(setup)["state"] == "never trained"
        assert len(jobs.run_due(db)) == 1  # released: the next tick trains it

    def test_training_on_demand_while_the_job_trains_is_409(
        self, app_client: TestClient, db: Database, backend: str
    ) -> None:
        if backend != "postgresql":
            pytest.skip("SQLite serialises writers; the lock is PostgreSQL's")
        setup = make_setup(app_client, db, n_answered=60, n_open=5)
        configure(setup, enabled=True)
        with jobs.project_lock(db, setup.project_id) as ours:
            assert ours
            with pytest.raises(ApiError) as err:
                train(setup)
        assert err.value.status == 409
        assert "being trained" in str(err.value.detail)
        assert train(setup)["state"] == "ready"

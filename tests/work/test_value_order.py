"""Next-task pull ordered by the matching score M(t, u) within the candidate window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from crowdloop.accounts.models import Role, User
from crowdloop.ai.acceptance import is_heldout
from crowdloop.ai.models import ModelStatus, ModelVersion, Prediction
from crowdloop.allocation import policy
from crowdloop.projects.models import Project, Task
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import make_user
from tests.factories.projects import LABELS, make_project, make_tasks


def _setup(db: Database, allocation: str) -> tuple[int, int, list[int]]:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        quality = {"control_rate": 0, "allocation": allocation}
        project = make_project(session, owner, overlap=3, quality=quality)
        tasks = make_tasks(session, project, 3)
        worker = make_user(session)
        # Task 0 is nearly settled (two answers agree), tasks 1 and 2 are fresh.
        session.execute(
            update(Task)
            .where(Task.id == tasks[0].id)
            .values(n_answers=2, slots=1, result="cat", confidence=1.0)
        )
        return project.id, worker.id, [t.id for t in tasks]


def _next_task(db: Database, project_id: int, worker_id: int) -> int:
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        worker = session.get(User, worker_id)
        assert project is not None
        assert worker is not None
        return policy.next_assignment(session, worker, project).task_id


class TestValueOrder:
    def test_value_policy_prefers_the_uncertain_task(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        assert _next_task(db, project_id, worker_id) == tasks[1]

    def test_priority_policy_keeps_pick_order(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "priority")
        assert _next_task(db, project_id, worker_id) == tasks[0]

    def test_deadline_soon_goes_first(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        with unit_of_work(db) as session:
            soon = utcnow() + timedelta(minutes=30)
            session.execute(update(Task).where(Task.id == tasks[2]).values(deadline=soon))
        assert _next_task(db, project_id, worker_id) == tasks[2]

    def test_priority_outweighs_a_small_gain_difference(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        with unit_of_work(db) as session:
            session.execute(update(Task).where(Task.id == tasks[0]).values(priority=10))
        assert _next_task(db, project_id, worker_id) == tasks[0]

    def test_a_spammer_still_gets_a_task_in_pick_order(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        with unit_of_work(db) as session:
            third = [[1 / 3] * 3] * 3
            session.add(
                WorkerQuality(
                    project_id=project_id, worker_id=worker_id, accuracy=1 / 3, confusion=third
                )
            )
        assert _next_task(db, project_id, worker_id) == tasks[0]  # all gains 0: ties


class TestModelPrior:
    """Active learning: among fresh tasks, people go first where the AI model is unsure."""

    def _predict(
        self, db: Database, project_id: int, probabilities: dict[int, list[float]]
    ) -> None:
        with unit_of_work(db) as session:
            project = session.get(Project, project_id)
            assert project is not None
            project.ai_config = {"enabled": True, "holdout_share": 0.001}
            version = ModelVersion(
                project_id=project_id, version=1, kind="tfidf", status=ModelStatus.ready
            )
            session.add(version)
            session.flush()
            for task_id, proba in probabilities.items():
                assert not is_heldout(project_id, task_id, 0.001)
                session.add(
                    Prediction(
                        project_id=project_id,
                        task_id=task_id,
                        model_version_id=version.id,
                        label=LABELS[int(max(range(3), key=proba.__getitem__))],
                        confidence=max(proba),
                        probabilities=proba,
                    )
                )

    def test_the_uncertain_fresh_task_goes_first(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        sure, unsure = [0.98, 0.01, 0.01], [0.4, 0.3, 0.3]
        self._predict(db, project_id, {tasks[1]: sure, tasks[2]: unsure})
        assert _next_task(db, project_id, worker_id) == tasks[2]

    def test_without_ai_the_model_is_ignored(self, db: Database) -> None:
        project_id, worker_id, tasks = _setup(db, "value")
        self._predict(db, project_id, {tasks[1]: [0.98, 0.01, 0.01], tasks[2]: [0.4, 0.3, 0.3]})
        with unit_of_work(db) as session:
            project = session.get(Project, project_id)
            assert project is not None
            project.ai_config = {"enabled": False}
        assert _next_task(db, project_id, worker_id) == tasks[1]

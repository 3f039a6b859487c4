"""next-task hands back a live lease before claiming anything new, also an older one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import claiming
from crowdloop.work.models import Assignment
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks


def test_older_live_lease_is_served_when_the_newest_lapsed(db: Database) -> None:
    now = utcnow()
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1, quality={"control_rate": 0})
        tasks = make_tasks(session, project, 3)
        worker = make_user(session)
        older, newer = (
            claiming.claim_task(session, worker, project, task, now=now) for task in tasks[:2]
        )
        assert older is not None
        assert newer is not None
        session.execute(
            update(Assignment)
            .where(Assignment.id == newer.id)
            .values(lease_expires_at=now - timedelta(seconds=1))
        )
        ids = project.id, worker.id, older.id
    with unit_of_work(db) as session:
        project_row = session.get(Project, ids[0])
        user = session.get(User, ids[1])
        assert project_row is not None
        assert user is not None
        served = policy.next_assignment(session, user, project_row, now=now)
    assert served.id == ids[2]


def test_claim_many_falls_back_pair_by_pair_on_a_collision(db: Database) -> None:
    now = utcnow()
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=2, quality={"control_rate": 0})
        tasks = make_tasks(session, project, 2)
        worker = make_user(session)
        taken = claiming.claim_task(session, worker, project, tasks[0], now=now)
        assert taken is not None
        out = claiming.claim_many(
            session, project, [(worker, tasks[0]), (worker, tasks[1])], now=now
        )
        session.refresh(tasks[0])
        assert out[0] is None  # the worker had it: no second lease, slot not taken twice
        assert out[1] is not None
        assert tasks[0].slots == 1


def test_claim_many_never_takes_more_slots_than_a_task_has(db: Database) -> None:
    now = utcnow()
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1, quality={"control_rate": 0})
        task, other = make_tasks(session, project, 2)
        workers = [make_user(session) for _ in range(3)]
        pairs = [(workers[0], task), (workers[1], task), (workers[2], other)]
        out = claiming.claim_many(session, project, pairs, now=now)
        session.refresh(task)
        assert [a is not None for a in out] == [True, False, True]
        assert task.slots == 0
        assert task.n_active == 1

"""Pushes racing pulls never over-assign a task nor repeat a (task, worker) pair."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.allocation import service as allocation
from crowdloop.allocation.schemas import AssignRequest
from crowdloop.errors import Conflict, NoTaskAvailable
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks

N_WORKERS, N_TASKS, OVERLAP = 6, 12, 2
ADMIN = User(id=0, username="test-admin", role=Role.admin, is_active=True)


def _seed(db: Database) -> tuple[int, list[int]]:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=OVERLAP, quality={"control_rate": 0})
        make_tasks(session, project, N_TASKS)
        return project.id, [make_user(session).id for _ in range(N_WORKERS)]


def _pull(db: Database, project_id: int, worker_id: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    for _ in range(N_TASKS):
        try:
            with unit_of_work(db) as session:
                worker = session.get(User, worker_id)
                project = session.get(Project, project_id)
                assert worker is not None
                assert project is not None
                job = policy.next_assignment(session, worker, project)
                service.submit(session, worker, job.id, "cat")
        except NoTaskAvailable:
            return


def _push(db: Database, project_id: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    for _ in range(5):
        try:
            with unit_of_work(db) as session:
                allocation.push(session, ADMIN, project_id, AssignRequest(capacity=2))
        except Conflict:  # nothing open any more
            return


def test_push_and_pull_together_keep_the_guarantees(db: Database) -> None:
    project_id, workers = _seed(db)
    barrier = threading.Barrier(N_WORKERS + 1)
    threads = [threading.Thread(target=_pull, args=(db, project_id, w, barrier)) for w in workers]
    threads.append(threading.Thread(target=_push, args=(db, project_id, barrier)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    with unit_of_work(db, write=False) as session:
        rows = session.execute(
            select(Assignment.task_id, Assignment.worker_id, Assignment.status)
        ).all()
        tasks = session.scalars(select(Task).where(Task.project_id == project_id)).all()
    taken = [r for r in rows if r.status in (AssignmentStatus.active, AssignmentStatus.submitted)]
    pairs = Counter((r.task_id, r.worker_id) for r in rows)
    per_task = Counter(r.task_id for r in taken)
    assert max(pairs.values()) == 1
    assert max(per_task.values()) <= OVERLAP
    for task in tasks:
        assert task.n_answers + task.n_active == per_task[task.id]
        assert task.slots == OVERLAP - per_task[task.id]

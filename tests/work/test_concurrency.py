"""Many workers pulling and submitting at once never over-assign a task (both backends)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import func, select

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks

N_WORKERS = 12
N_TASKS = 20
OVERLAP = 3


def _seed(db: Database) -> tuple[int, list[int]]:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=OVERLAP)
        make_tasks(session, project, N_TASKS)
        workers = [make_user(session, role=Role.worker).id for _ in range(N_WORKERS)]
        return project.id, workers


def _project_done(db: Database, project_id: int) -> bool:
    with unit_of_work(db, write=False) as session:
        open_tasks = session.scalar(
            select(func.count()).where(Task.project_id == project_id, Task.n_answers < Task.overlap)
        )
    return open_tasks == 0


def _work(
    db: Database, project_id: int, worker_id: int, barrier: threading.Barrier, log: list[str]
) -> None:
    barrier.wait()
    step = 0
    while True:
        step += 1
        try:
            with unit_of_work(db) as session:
                worker = session.get(User, worker_id)
                project = session.get(Project, project_id)
                assert worker is not None
                assert project is not None
                job = policy.next_assignment(session, worker, project)
                job_id = job.id
        except NoTaskAvailable:
            # Released slots come back later; stop only when the whole project is done.
            if _project_done(db, project_id) or step > 500:
                return
            time.sleep(0.01)
            continue
        with unit_of_work(db) as session:
            worker = session.get(User, worker_id)
            assert worker is not None
            if step % 5 == 0:  # some releases and skips in the mix
                service.give_back(session, worker, job_id, AssignmentStatus.released)
            else:
                service.submit(session, worker, job_id, "cat")
        log.append(f"{worker_id}:{job_id}")


def test_concurrent_workers_never_exceed_overlap(db: Database) -> None:
    project_id, workers = _seed(db)
    barrier = threading.Barrier(N_WORKERS)
    log: list[str] = []
    threads = [
        threading.Thread(target=_work, args=(db, project_id, w, barrier, log)) for w in workers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    with unit_of_work(db, write=False) as session:
        submitted = session.execute(
            select(Assignment.task_id, Assignment.worker_id).where(
                Assignment.status == AssignmentStatus.submitted
            )
        ).all()
        per_task = Counter(task_id for task_id, _ in submitted)
        pairs = Counter((task_id, worker_id) for task_id, worker_id in submitted)
        tasks = session.scalars(select(Task).where(Task.project_id == project_id)).all()
        active = session.scalar(
            select(func.count()).where(Assignment.status == AssignmentStatus.active)
        )
    assert max(pairs.values()) == 1
    assert all(per_task[t.id] == OVERLAP for t in tasks)  # done, and never more than overlap
    assert all(t.n_answers == OVERLAP and t.n_active == 0 and t.slots == 0 for t in tasks)
    assert active == 0
    assert len(log) >= N_TASKS * OVERLAP

"""The labelling loop's records: leases, answers, skips, releases, lease expiry.

``work`` stores and takes; it never decides. What a worker gets next is decided by
``crowdloop.allocation.policy``, which leases through ``work.claiming``; what follows an
answer (the task's result, dynamic overlap, quality rules) reacts to the events published
here (``crowdloop.wiring``).

Guarantees, enforced by the database rather than by locks in Python:
- a task goes to a worker at most once (unique constraint on task, worker);
- a task never has more live or finished assignments than its overlap: a slot is taken with
  a conditional ``UPDATE ... WHERE slots > 0`` that only one transaction can win per slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.errors import Conflict, Gone, NotFound
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.files import service as files
from crowdloop.projects.answer_schema import check_answer, parse_schema
from crowdloop.projects.models import Project, Task
from crowdloop.storage.types import utcnow
from crowdloop.work import repository
from crowdloop.work.models import LIVE, Assignment, AssignmentStatus
from crowdloop.work.schemas import AssignmentRead

EXPIRE_BATCH = 200


def announce_lease(session: Session, assignment: Assignment) -> None:
    """Publish ``assignment.leased`` for a lease handed to its worker."""
    _announce(session, EventType.assignment_leased, assignment)


def _announce(session: Session, event_type: EventType, assignment: Any, **extra: Any) -> None:
    publish(
        session,
        event_type,
        project_id=int(assignment.project_id),
        actor_id=int(assignment.worker_id),
        assignment_id=int(assignment.id),
        task_id=int(assignment.task_id),
        worker_id=int(assignment.worker_id),
        **extra,
    )


def _own_assignment(session: Session, worker: User, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.worker_id != worker.id:
        raise NotFound(f"assignment {assignment_id} not found")
    return assignment


def live_assignment(
    session: Session, worker: User, assignment_id: int, *, now: datetime | None = None
) -> Assignment:
    """The worker's assignment, if they may still work on it (upload a file, say); Gone
    once its lease ran out, Conflict once it is finished. Changes nothing."""
    assignment = _own_assignment(session, worker, assignment_id)
    if assignment.status == AssignmentStatus.expired or (
        assignment.status in LIVE and assignment.lease_expires_at <= (now or utcnow())
    ):
        raise Gone(f"the lease of assignment {assignment.id} expired; ask for a new task")
    if assignment.status not in LIVE:
        raise Conflict(f"assignment {assignment.id} is already {assignment.status.value}")
    return assignment


def _check_live(session: Session, assignment: Assignment, now: datetime) -> None:
    if assignment.status == AssignmentStatus.expired:
        raise Gone(f"the lease of assignment {assignment.id} expired; ask for a new task")
    if assignment.status not in LIVE:
        raise Conflict(f"assignment {assignment.id} is already {assignment.status.value}")
    if assignment.lease_expires_at <= now:
        _expire_one(session, assignment.project_id, assignment, now)
        raise Gone(f"the lease of assignment {assignment.id} expired; ask for a new task")


def submit(
    session: Session,
    worker: User,
    assignment_id: int,
    answer: Any,
    *,
    now: datetime | None = None,
) -> Assignment:
    """Record a worker's answer, validated against the project's schema.

    Publishes ``answer.submitted``; quality reacts in this transaction (the task's result,
    dynamic overlap, the worker's counters and rules). A wrong control answer's feedback
    is ``quality.service.control_feedback``.
    """
    now = now or utcnow()
    assignment = _own_assignment(session, worker, assignment_id)
    project = session.get(Project, assignment.project_id)
    assert project is not None
    value = check_answer(parse_schema(project.answer_schema), answer)
    if project.task_type == "file":  # the worker's own upload on this assignment
        value = files.answer_of(session, assignment.id, value)
    _check_live(session, assignment, now)
    if not repository.finish(
        session, assignment.id, AssignmentStatus.submitted, now=now, answer=value
    ):
        raise Conflict(f"assignment {assignment.id} is no longer active")
    repository.count_answer(session, assignment.task_id)
    _mirror(assignment, status=AssignmentStatus.submitted, finished_at=now, answer=value)
    _announce(session, EventType.answer_submitted, assignment)
    return assignment


def give_back(
    session: Session,
    worker: User,
    assignment_id: int,
    status: AssignmentStatus,
    *,
    now: datetime | None = None,
) -> Assignment:
    """Skip (worker won't do it) or release (return it unanswered); the slot goes back.
    Quality reacts to ``assignment.skipped`` (the skip streak and its rule)."""
    now = now or utcnow()
    assignment = _own_assignment(session, worker, assignment_id)
    _check_live(session, assignment, now)
    if not repository.finish(session, assignment.id, status, now=now):
        raise Conflict(f"assignment {assignment.id} is no longer active")
    _return(session, assignment.project_id, assignment.task_id, assignment.reward_cents)
    _mirror(assignment, status=status, finished_at=now, answer=None)
    kind = (
        EventType.assignment_skipped
        if status == AssignmentStatus.skipped
        else (EventType.assignment_released)
    )
    _announce(session, kind, assignment)
    return assignment


def close_task(session: Session, task_id: int) -> None:
    """Dynamic overlap: the task has enough answers; offer it to nobody else."""
    repository.close_task(session, task_id)


def has_open_tasks(session: Session, project_id: int) -> bool:
    """Whether any task of the project still wants an answer or has one under way."""
    return repository.has_open_tasks(session, project_id)


def extend_task(session: Session, task_id: int, max_answers: int) -> None:
    """Dynamic overlap: one more slot for a contested task, up to ``max_answers``."""
    repository.extend_task(session, task_id, max_answers)


def _mirror(assignment: Assignment, **values: Any) -> None:
    """Reflect an UPDATE already executed in SQL onto the loaded object (no reload)."""
    values.setdefault("review", None)
    for key, value in values.items():
        set_committed_value(assignment, key, value)


def _return(session: Session, project_id: int, task_id: int, reward: int) -> None:
    repository.return_slot(session, task_id)
    project = session.get(Project, project_id)
    if project is not None and project.budget_cents is not None:
        repository.release_budget(session, project_id, reward)


def _expire_one(session: Session, project_id: int, lease: Any, now: datetime) -> bool:
    """Expire one lease (an Assignment or a row with id, task_id, reward_cents)."""
    if not repository.finish(session, lease.id, AssignmentStatus.expired, now=now):
        return False
    _return(session, project_id, lease.task_id, lease.reward_cents)
    publish(
        session,
        EventType.assignment_expired,
        project_id=project_id,
        assignment_id=int(lease.id),
        task_id=int(lease.task_id),
    )
    return True


def expire_leases(session: Session, project: Project, *, now: datetime | None = None) -> int:
    """Return every lapsed lease of the project to the pool; the count expired."""
    now = now or utcnow()
    expired = 0
    while True:
        rows = repository.expired_leases(session, project.id, now, EXPIRE_BATCH)
        for row in rows:
            expired += _expire_one(session, project.id, row, now)
        if len(rows) < EXPIRE_BATCH:
            return expired


def get_assignment(session: Session, worker: User, assignment_id: int) -> Assignment:
    return _own_assignment(session, worker, assignment_id)


def list_assignments(
    session: Session, worker: User, *, project_id: int | None = None, limit: int = 100
) -> Sequence[Assignment]:
    return repository.list_for_worker(session, worker.id, project_id=project_id, limit=limit)


def answers_for_task(session: Session, task_id: int) -> Sequence[Assignment]:
    """The task's submitted answers, oldest first."""
    return repository.answers_for_task(session, task_id)


def to_read(session: Session, assignment: Assignment) -> AssignmentRead:
    """The worker-safe view of an assignment: task data only, no gold, no other answers."""
    task = session.get(Task, assignment.task_id)
    assert task is not None
    return AssignmentRead(
        id=assignment.id,
        project_id=assignment.project_id,
        task_id=assignment.task_id,
        status=assignment.status,
        reward_cents=assignment.reward_cents,
        lease_expires_at=assignment.lease_expires_at,
        created_at=assignment.created_at,
        finished_at=assignment.finished_at,
        answer=assignment.answer,
        review=assignment.review,
        review_reason=assignment.review_reason,
        data=task.data,
        suggestion=ai.suggestion(session, task),
    )

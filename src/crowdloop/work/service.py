"""The labelling loop: next task (pull), submit, skip, release, lease expiry.

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
from crowdloop.algorithms.allocation.overlap import OverlapPolicy
from crowdloop.errors import Conflict, Gone, NoTaskAvailable, NotFound, PermissionDenied
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.files import service as files
from crowdloop.projects import access
from crowdloop.projects.answer_schema import parse_schema
from crowdloop.projects.models import Project, Task
from crowdloop.quality import inference as quality_inference
from crowdloop.quality import service as quality
from crowdloop.quality.schemas import ControlFeedback
from crowdloop.storage.types import utcnow
from crowdloop.work import claiming, repository
from crowdloop.work.models import Assignment, AssignmentStatus
from crowdloop.work.schemas import AssignmentRead

EXPIRE_BATCH = 200


def next_assignment(
    session: Session, worker: User, project: Project, *, now: datetime | None = None
) -> Assignment:
    """Give the worker an assignment on the project (their live one, if they have one)."""
    now = now or utcnow()
    latest = repository.latest_for_worker(session, worker.id, project.id)
    live = claiming.live_lease(session, worker.id, project.id, latest, now=now)
    if live is not None:
        current = session.get(Assignment, live)
        assert current is not None
        return current
    quality.check_not_blocked(session, project, worker.id, now)
    if project.deadline is not None and project.deadline <= now:
        raise NoTaskAvailable(f"project {project.id} is past its deadline")
    # The newest assignment's id varies per request: it seeds the control draw, and its
    # task is where the scan resumes.
    position = claiming.Position(
        seed=0 if latest is None else int(latest.id),
        cursor=None if latest is None else (int(latest.priority), int(latest.task_id)),
    )
    assignment = claiming.claim_control_if_due(session, worker, project, now=now, position=position)
    if assignment is None:
        assignment = claiming.claim_first(session, worker, project, now=now, position=position)
    if assignment is None and expire_leases(session, project, now=now):
        # The background sweep may not have run yet: lapsed leases are work to hand out.
        assignment = claiming.claim_first(session, worker, project, now=now, position=position)
    if assignment is None:
        raise NoTaskAvailable(f"no task is available for you in project {project.id} right now")
    _announce(session, EventType.assignment_leased, assignment)
    return assignment


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


def next_or_none(
    session: Session, worker: User, project: Project, *, now: datetime | None = None
) -> Assignment | None:
    """Like next_assignment, but None when nothing is available."""
    try:
        return next_assignment(session, worker, project, now=now)
    except NoTaskAvailable:
        return None


def next_after_submit(
    session: Session, worker: User, project_id: int, *, now: datetime | None = None
) -> Assignment | None:
    """The next assignment after a submit, or None when there is none for this worker now
    (nothing left, project paused, or the answer just submitted got the worker blocked):
    the submitted answer must never be lost because the *next* task cannot be given."""
    try:
        project = access.for_worker(session, worker, project_id)
        return next_assignment(session, worker, project, now=now)
    except (NoTaskAvailable, PermissionDenied, NotFound):
        return None


def _own_assignment(session: Session, worker: User, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.worker_id != worker.id:
        raise NotFound(f"assignment {assignment_id} not found")
    return assignment


def _check_live(session: Session, assignment: Assignment, now: datetime) -> None:
    if assignment.status == AssignmentStatus.expired:
        raise Gone(f"the lease of assignment {assignment.id} expired; ask for a new task")
    if assignment.status not in repository.LIVE:
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
) -> tuple[Assignment, ControlFeedback | None]:
    """Record a worker's answer, validated against the project's schema, and re-aggregate.

    Returns the assignment and, after a wrong answer to a control task, the feedback.
    """
    now = now or utcnow()
    assignment = _own_assignment(session, worker, assignment_id)
    project = session.get(Project, assignment.project_id)
    assert project is not None
    value = parse_schema(project.answer_schema).validate_answer(answer)
    if project.task_type == "file":  # the worker's own upload on this assignment
        value = files.answer_of(session, assignment, value)
    _check_live(session, assignment, now)
    if not repository.finish(
        session, assignment.id, AssignmentStatus.submitted, now=now, answer=value
    ):
        raise Conflict(f"assignment {assignment.id} is no longer active")
    state = quality_inference.task_state(session, project, assignment.task_id)
    if state is None:
        state = quality_inference.TaskState(None, 0.0, 0.0)
    repository.count_answer(session, assignment.task_id, state.answer, state.confidence)
    _mirror(assignment, status=AssignmentStatus.submitted, finished_at=now, answer=value)
    _announce(session, EventType.answer_submitted, assignment)
    _apply_dynamic_overlap(session, project, assignment.task_id, state)
    task = session.get(Task, assignment.task_id)
    assert task is not None
    feedback = quality.on_submit(session, project, task, assignment, now)
    return assignment, feedback


def give_back(
    session: Session,
    worker: User,
    assignment_id: int,
    status: AssignmentStatus,
    *,
    now: datetime | None = None,
) -> Assignment:
    """Skip (worker won't do it) or release (return it unanswered); the slot goes back."""
    now = now or utcnow()
    assignment = _own_assignment(session, worker, assignment_id)
    _check_live(session, assignment, now)
    if not repository.finish(session, assignment.id, status, now=now):
        raise Conflict(f"assignment {assignment.id} is no longer active")
    _return(session, assignment.project_id, assignment.task_id, assignment.reward_cents)
    if status == AssignmentStatus.skipped:
        project = session.get(Project, assignment.project_id)
        assert project is not None
        quality.on_skip(session, project, worker.id, now)
    _mirror(assignment, status=status, finished_at=now, answer=None)
    kind = (
        EventType.assignment_skipped
        if status == AssignmentStatus.skipped
        else (EventType.assignment_released)
    )
    _announce(session, kind, assignment)
    return assignment


def _apply_dynamic_overlap(
    session: Session, project: Project, task_id: int, state: quality_inference.TaskState
) -> None:
    """Close a settled task, or give a contested one another slot; announce completion."""
    dynamic = quality_inference.config_of(project).dynamic_overlap
    task = session.get(Task, task_id)
    assert task is not None
    session.refresh(task, ["n_answers", "n_active", "slots", "overlap", "is_control"])
    if task.is_control:
        return
    if dynamic is None:
        done = task.n_answers >= task.overlap
    else:
        policy = OverlapPolicy(
            min_answers=dynamic.min_answers,
            max_answers=dynamic.max_answers,
            target_confidence=ai.answer_target(project, task_id, dynamic.target_confidence),
        )
        done = bool(policy.is_done([task.n_answers], [state.stop_confidence])[0])
        if done:
            repository.close_task(session, task_id)
        else:
            repository.extend_task(session, task_id, dynamic.max_answers)
    if done:
        publish(
            session,
            EventType.task_completed,
            project_id=project.id,
            task_id=task_id,
            answer=state.answer,
            confidence=round(state.confidence, 6),
            n_answers=task.n_answers,
        )


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

"""Claiming a task for a worker: scan the pick index from the worker's position, apply
skills and escalation, take a slot with a conditional UPDATE (see service.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects.models import Project
from crowdloop.quality import inference as quality_inference
from crowdloop.quality import service as quality
from crowdloop.work import repository
from crowdloop.work.models import Assignment, AssignmentStatus

MAX_WINDOWS = 20
FULL_SCAN_EVERY = 50


@dataclass(frozen=True)
class Position:
    """Where a worker is in a project's stream (see ``next_assignment``)."""

    seed: int
    cursor: tuple[int, int] | None


def claim_first(
    session: Session, worker: User, project: Project, *, now: datetime, position: Position
) -> Assignment | None:
    # PostgreSQL: first pass skips rows other transactions are claiming (no queueing on a
    # hot row); if that finds nothing, a second pass waits for them, so a worker is never
    # told "no task" just because the open tasks were momentarily locked.
    if session.get_bind().dialect.name == "postgresql":
        found = _scan(session, worker, project, now=now, skip_locked=True, position=position)
        if found is not None:
            return found
    return _scan(session, worker, project, now=now, skip_locked=False, position=position)


def _scan(
    session: Session,
    worker: User,
    project: Project,
    *,
    now: datetime,
    skip_locked: bool,
    position: Position,
) -> Assignment | None:
    """Claim the first eligible task in pick order.

    The scan starts after the worker's last claimed task (a keyset cursor), so a worker
    who already answered many tasks does not re-walk them on every request; when nothing
    is left after the cursor, and on every ``FULL_SCAN_EVERY``-th request, it starts from
    the top, which also picks up released tasks and new high-priority ones.
    """
    start = position.cursor if position.seed % FULL_SCAN_EVERY else None
    if start is not None:
        found = _walk(session, worker, project, now=now, skip_locked=skip_locked, after=start)
        if found is not None:
            return found
    return _walk(session, worker, project, now=now, skip_locked=skip_locked, after=None)


def _walk(
    session: Session,
    worker: User,
    project: Project,
    *,
    now: datetime,
    skip_locked: bool,
    after: tuple[int, int] | None,
) -> Assignment | None:
    skills = set(worker.skills)
    too_hard = _escalation(session, project, worker)
    for _ in range(MAX_WINDOWS):
        rows = repository.candidates(
            session, project.id, worker.id, now=now, after=after, skip_locked=skip_locked
        )
        for row in rows:
            if set(row.required_skills or ()) <= skills and not too_hard(row):
                claimed = _try_claim(session, worker, project, row, now=now)
                if claimed is not None:
                    return claimed
        if len(rows) < repository.CANDIDATE_WINDOW:
            return None
        after = (rows[-1].priority, rows[-1].id)
    return None


def claim_control(
    session: Session, worker: User, project: Project, *, now: datetime, n_seen: int
) -> Assignment | None:
    candidates = repository.control_candidates(session, project.id, worker.id)
    if not candidates:
        return None
    task_id = candidates[n_seen % len(candidates)]
    repository.claim_control(session, task_id)
    assignment = Assignment(
        project_id=project.id,
        task_id=task_id,
        worker_id=worker.id,
        status=AssignmentStatus.active,
        reward_cents=0,
        lease_expires_at=now + timedelta(seconds=project.lease_seconds),
        created_at=now,
    )
    session.add(assignment)
    session.flush()
    return assignment


def _escalation(session: Session, project: Project, worker: User) -> Callable[[Any], bool]:
    """Dynamic overlap's escalation: which candidate rows are too hard for this worker."""
    dynamic = quality_inference.config_of(project).dynamic_overlap
    if dynamic is None or dynamic.escalate_after is None:
        return lambda _row: False
    if quality.ability(session, project, worker.id) >= dynamic.escalate_ability:
        return lambda _row: False
    after, target = dynamic.escalate_after, dynamic.target_confidence

    def hard(row: Any) -> bool:
        return bool(row.n_answers >= after and (row.confidence or 0.0) < target)

    return hard


def _try_claim(
    session: Session, worker: User, project: Project, row: Any, *, now: datetime
) -> Assignment | None:
    reward = project.reward_cents if row.reward_cents is None else row.reward_cents
    savepoint = session.begin_nested()
    try:
        if project.budget_cents is not None and not repository.reserve_budget(
            session, project.id, reward
        ):
            savepoint.rollback()
            raise NoTaskAvailable(f"project {project.id} has spent its budget")
        if not repository.claim_slot(session, row.id):
            savepoint.rollback()
            return None
        assignment = Assignment(
            project_id=project.id,
            task_id=row.id,
            worker_id=worker.id,
            status=AssignmentStatus.active,
            reward_cents=reward,
            lease_expires_at=now + timedelta(seconds=project.lease_seconds),
            created_at=now,
        )
        session.add(assignment)
        session.flush()
    except IntegrityError:
        # The same worker raced themselves for this task; it is theirs already.
        savepoint.rollback()
        return None
    savepoint.commit()
    return assignment

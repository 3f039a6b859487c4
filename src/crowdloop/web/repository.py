"""Read-only queries for pages that no domain service offers yet (earnings, filtered
results, per-worker rows); a project's live figures moved to ``crowdloop.monitoring``.
When a domain grows a service for one of these, switch the page over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.projects.models import Task
from crowdloop.work.models import Assignment, AssignmentStatus

SUBMITTED = AssignmentStatus.submitted


def worker_totals(session: Session, worker_id: int) -> dict[int, tuple[int, int]]:
    """Per project: (answers submitted, reward cents earned) by one worker."""
    rows = session.execute(
        select(
            Assignment.project_id, func.count(), func.coalesce(func.sum(Assignment.reward_cents), 0)
        )
        .where(Assignment.worker_id == worker_id, Assignment.status == SUBMITTED)
        .group_by(Assignment.project_id)
    ).all()
    return {int(p): (int(n), int(c)) for p, n, c in rows}


def tasks_by_confidence(
    session: Session,
    project_id: int,
    *,
    max_confidence: float | None,
    disagreement: bool,
    after: int,
    limit: int,
) -> Sequence[Task]:
    """Tasks with at least one answer, filtered by confidence, keyset-paginated by id."""
    query = select(Task).where(Task.project_id == project_id, Task.id > after, Task.n_answers > 0)
    if max_confidence is not None:
        query = query.where(Task.confidence <= max_confidence)
    if disagreement:
        query = query.where(Task.confidence < 1)
    return session.scalars(query.order_by(Task.id).limit(limit)).all()


def usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()
    return {int(i): str(name) for i, name in rows}


def answer_rows(session: Session, project_id: int) -> Sequence[Any]:
    """Every submitted answer of a project with its task's result and its timing."""
    query = (
        select(
            Assignment.worker_id,
            Assignment.answer,
            Assignment.created_at,
            Assignment.finished_at,
            Task.result,
            Task.n_answers,
        )
        .join(Task, Task.id == Assignment.task_id)
        .where(Assignment.project_id == project_id, Assignment.status == SUBMITTED)
    )
    return session.execute(query).all()

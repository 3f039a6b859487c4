"""Queries of a project's live figures: answers wanted and done, spend, answer times,
results by confidence, control answers. Aggregates in SQL; bounded result sizes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task
from crowdloop.quality.models import WorkerQuality
from crowdloop.work.models import Assignment, AssignmentStatus

SUBMITTED = AssignmentStatus.submitted
MAX_TIMELINE = 100_000


def remaining_answers(session: Session, project_id: int) -> int:
    """Answers still wanted: the sum over tasks of overlap minus answers so far."""
    missing = case((Task.overlap > Task.n_answers, Task.overlap - Task.n_answers), else_=0)
    total = session.scalar(
        select(func.coalesce(func.sum(missing), 0)).where(Task.project_id == project_id)
    )
    return int(total or 0)


def finish_times(session: Session, project_id: int) -> list[datetime]:
    """When each answer of the project was submitted, newest MAX_TIMELINE, oldest first."""
    query = (
        select(Assignment.finished_at)
        .where(Assignment.project_id == project_id, Assignment.status == SUBMITTED)
        .order_by(Assignment.id.desc())
        .limit(MAX_TIMELINE)
    )
    return sorted(t for t in session.scalars(query) if t is not None)


def spent_cents(session: Session, project_id: int) -> int:
    """Rewards of the project's submitted answers."""
    total = session.scalar(
        select(func.coalesce(func.sum(Assignment.reward_cents), 0)).where(
            Assignment.project_id == project_id, Assignment.status == SUBMITTED
        )
    )
    return int(total or 0)


def confidence_counts(session: Session, project_id: int, bins: int) -> tuple[list[int], float]:
    """Tasks with a result per confidence bin ([0, 1/bins), ..., [1 - 1/bins, 1]) and the
    sum of their confidences (so the mean is sum / count). Control tasks are left out."""
    raw = cast(Task.confidence * bins, Integer)
    bucket = case((raw >= bins, bins - 1), else_=raw)
    rows = session.execute(
        select(bucket, func.count(), func.sum(Task.confidence))
        .where(
            Task.project_id == project_id,
            Task.is_control.is_(False),
            Task.result.is_not(None),
            Task.confidence.is_not(None),
        )
        .group_by(bucket)
    ).all()
    counts, total = [0] * bins, 0.0
    for b, n, s in rows:
        counts[min(max(int(b), 0), bins - 1)] += int(n)
        total += float(s or 0.0)
    return counts, total


def control_totals(session: Session, project_id: int) -> tuple[int, int]:
    """(correct, answered) control answers in the project, from the workers' counters."""
    row = session.execute(
        select(
            func.coalesce(func.sum(WorkerQuality.n_control_correct), 0),
            func.coalesce(func.sum(WorkerQuality.n_control), 0),
        ).where(WorkerQuality.project_id == project_id)
    ).one()
    return int(row[0]), int(row[1])

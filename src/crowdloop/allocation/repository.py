"""Queries of the allocation domain: candidate pools, workers, their quality, status counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.projects.models import PICK_COLUMNS, Project, ProjectMember, Task, Visibility
from crowdloop.projects.quality_config import DynamicOverlap
from crowdloop.quality.models import WorkerQuality
from crowdloop.work.models import Assignment, AssignmentStatus

CHUNK = 500  # ids per IN (...) list


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _open(project_id: int, now: datetime) -> Any:
    return (
        (Task.project_id == project_id)
        & (Task.slots > 0)
        & Task.is_control.is_(False)
        & or_(Task.deadline.is_(None), Task.deadline > now)
    )


def users(session: Session, ids: Sequence[int]) -> list[User]:
    found: list[User] = []
    for chunk in _chunks(ids):
        found.extend(session.scalars(select(User).where(User.id.in_(chunk))))
    return found


def allowed_workers(session: Session, project: Project) -> list[User]:
    """Active workers the project is offered to (members only, if it is members-only);
    the project's own required skills are checked by the caller."""
    query = select(User).where(User.role == Role.worker, User.is_active.is_(True))
    if project.visibility == Visibility.members:
        member = exists().where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == User.id
        )
        query = query.where(member)
    return list(session.scalars(query.order_by(User.id)))


def qualities(session: Session, project_id: int, worker_ids: Sequence[int]) -> dict[int, Any]:
    """The workers' quality rows by worker id (absent: no row yet). Loading them also puts
    them in the session, so later ``session.get`` calls for them cost no query."""
    found: dict[int, Any] = {}
    for chunk in _chunks(worker_ids):
        query = select(WorkerQuality).where(
            WorkerQuality.project_id == project_id, WorkerQuality.worker_id.in_(chunk)
        )
        found.update((wq.worker_id, wq) for wq in session.scalars(query))
    return found


def open_pool(session: Session, project_id: int, *, now: datetime, limit: int) -> Sequence[Any]:
    """The best ``limit`` open regular tasks in pick order (the ``ix_tasks_pick`` index)."""
    query = (
        select(*PICK_COLUMNS, Task.slots)
        .where(_open(project_id, now))
        .order_by(Task.priority.desc(), Task.id)
        .limit(limit)
    )
    return session.execute(query).all()


def had_pairs(session: Session, project_id: int, worker_ids: Sequence[int]) -> list[Any]:
    """(task_id, worker_id) of every assignment these workers ever had in the project."""
    rows: list[Any] = []
    for chunk in _chunks(worker_ids):
        query = select(Assignment.task_id, Assignment.worker_id).where(
            Assignment.worker_id.in_(chunk), Assignment.project_id == project_id
        )
        rows.extend(session.execute(query).all())
    return rows


def count_open(session: Session, project_id: int, *, now: datetime) -> int:
    return int(session.scalar(select(func.count()).where(_open(project_id, now))) or 0)


def count_controls(session: Session, project_id: int) -> int:
    query = select(func.count()).where(Task.project_id == project_id, Task.is_control.is_(True))
    return int(session.scalar(query) or 0)


def open_skill_sets(session: Session, project_id: int, *, now: datetime) -> list[Any]:
    """(required_skills as JSON text, count) per distinct requirement among open tasks."""
    skills = cast(Task.required_skills, String)
    query = select(skills, func.count()).where(_open(project_id, now)).group_by(skills)
    return list(session.execute(query).all())


def count_escalated(
    session: Session, project_id: int, *, now: datetime, dynamic: DynamicOverlap
) -> int:
    """Open tasks that are hard by ``DynamicOverlap.is_hard``, counted in SQL."""
    assert dynamic.escalate_after is not None
    unsure = or_(
        Task.n_answers >= dynamic.min_answers,
        Task.confidence.is_(None),
        Task.confidence < dynamic.target_confidence,
    )
    query = select(func.count()).where(
        _open(project_id, now), Task.n_answers >= dynamic.escalate_after, unsure
    )
    return int(session.scalar(query) or 0)


def task_answers(session: Session, task_id: int) -> list[Any]:
    """(answer, created_at, finished_at) of the task's submitted answers."""
    query = select(Assignment.answer, Assignment.created_at, Assignment.finished_at).where(
        Assignment.task_id == task_id, Assignment.status == AssignmentStatus.submitted
    )
    return list(session.execute(query).all())


def recent_answer_times(session: Session, project_id: int, limit: int) -> list[Any]:
    """(created_at, finished_at) of the project's newest submitted answers."""
    query = (
        select(Assignment.created_at, Assignment.finished_at)
        .where(Assignment.project_id == project_id, Assignment.status == AssignmentStatus.submitted)
        .order_by(Assignment.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).all())


def ids_of(rows: Iterable[Any]) -> list[int]:
    return [int(r.id) for r in rows]

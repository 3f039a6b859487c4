from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.projects.models import Project, ProjectMember, Task, TaskBatch, Visibility


def list_owned(session: Session, owner_id: int | None) -> Sequence[Project]:
    query = select(Project).order_by(Project.id)
    if owner_id is not None:
        query = query.where(Project.owner_id == owner_id)
    return session.scalars(query).all()


def list_visible_to_member(session: Session, user: User) -> Sequence[Project]:
    member = select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
    query = (
        select(Project)
        .where((Project.visibility == Visibility.all_workers) | Project.id.in_(member))
        .order_by(Project.id)
    )
    return session.scalars(query).all()


def list_memberships(session: Session, user_id: int) -> Sequence[Project]:
    member = select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    return session.scalars(select(Project).where(Project.id.in_(member))).all()


def is_member(session: Session, project_id: int, user_id: int) -> bool:
    found = session.get(ProjectMember, (project_id, user_id))
    return found is not None


def tasks_page(session: Session, project_id: int, *, after: int, limit: int) -> Sequence[Task]:
    query = (
        select(Task)
        .where(Task.project_id == project_id, Task.id > after)
        .order_by(Task.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def task_counts(session: Session, project_id: int) -> tuple[int, int, int, int, int]:
    """(tasks, complete, control, answers, active) for a project, in one scan."""
    complete = func.sum(func.cast(Task.n_answers >= Task.overlap, type_=Task.n_answers.type))
    control = func.sum(func.cast(Task.is_control, type_=Task.n_answers.type))
    row = session.execute(
        select(
            func.count(Task.id),
            func.coalesce(complete, 0),
            func.coalesce(control, 0),
            func.coalesce(func.sum(Task.n_answers), 0),
            func.coalesce(func.sum(Task.n_active), 0),
        ).where(Task.project_id == project_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4])


def list_batches(session: Session, project_id: int) -> Sequence[TaskBatch]:
    return session.scalars(
        select(TaskBatch).where(TaskBatch.project_id == project_id).order_by(TaskBatch.id)
    ).all()


def task_with_external_id(session: Session, project_id: int, external_id: str) -> int | None:
    """The id of the project's task named ``external_id``, if there is one."""
    stmt = select(Task.id).where(Task.project_id == project_id, Task.external_id == external_id)
    return session.scalars(stmt).first()

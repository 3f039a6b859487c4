from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task
from crowdloop.quality.models import QualityEvent, WorkerQuality
from crowdloop.work.models import Assignment, AssignmentStatus

COUNTED = (AssignmentStatus.submitted,)


def worker_quality(session: Session, project_id: int, worker_id: int) -> WorkerQuality | None:
    return session.get(WorkerQuality, (project_id, worker_id))


def qualities(session: Session, project_id: int) -> Sequence[WorkerQuality]:
    query = select(WorkerQuality).where(WorkerQuality.project_id == project_id)
    return session.scalars(query.order_by(WorkerQuality.worker_id)).all()


def qualities_of_worker(session: Session, worker_id: int) -> Sequence[WorkerQuality]:
    query = select(WorkerQuality).where(WorkerQuality.worker_id == worker_id)
    return session.scalars(query.order_by(WorkerQuality.project_id)).all()


def confusions(session: Session, project_id: int, worker_ids: list[int]) -> dict[int, Any]:
    query = select(WorkerQuality.worker_id, WorkerQuality.confusion).where(
        WorkerQuality.project_id == project_id, WorkerQuality.worker_id.in_(worker_ids)
    )
    return {row.worker_id: row.confusion for row in session.execute(query)}


# Built once (the labelling loop runs them per answer; see crowdloop/work/repository.py).
_TASK_ANSWERS = (
    select(Assignment.worker_id, Assignment.answer)
    .where(Assignment.task_id == bindparam("task_id"), Assignment.status.in_(COUNTED))
    .order_by(Assignment.id)
)
_TASKS: Table = Task.__table__  # type: ignore[assignment]
_SET_RESULT = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"))
    .values(result=bindparam("result"), confidence=bindparam("confidence"))
)


def task_answers(session: Session, task_id: int) -> Sequence[Any]:
    return session.execute(_TASK_ANSWERS, {"task_id": task_id}).all()


def project_answers(session: Session, project_id: int) -> Sequence[Any]:
    """(task_id, worker_id, answer) of every counted answer of a project."""
    query = select(Assignment.task_id, Assignment.worker_id, Assignment.answer).where(
        Assignment.project_id == project_id, Assignment.status.in_(COUNTED)
    )
    return session.execute(query).all()


def last_answer_id(session: Session, project_id: int) -> int:
    query = select(func.max(Assignment.id)).where(
        Assignment.project_id == project_id, Assignment.status.in_(COUNTED)
    )
    return int(session.scalar(query) or 0)


def project_tasks(session: Session, project_id: int) -> Sequence[Any]:
    query = select(Task.id, Task.is_control, Task.gold, Task.result, Task.confidence).where(
        Task.project_id == project_id
    )
    return session.execute(query).all()


def worker_answers(
    session: Session, project_id: int, worker_id: int, status: AssignmentStatus
) -> Sequence[Any]:
    query = select(Assignment.id, Assignment.task_id).where(
        Assignment.project_id == project_id,
        Assignment.worker_id == worker_id,
        Assignment.status == status,
    )
    return session.execute(query).all()


def set_status(session: Session, assignment_ids: list[int], status: AssignmentStatus) -> None:
    if assignment_ids:
        session.execute(
            update(Assignment).where(Assignment.id.in_(assignment_ids)).values(status=status),
            execution_options={"synchronize_session": False},
        )


def shift_answers(session: Session, task_id: int, delta: int) -> None:
    """Add ``delta`` counted answers to a task, taking (or giving back) as many slots."""
    values: dict[str, Any] = {"n_answers": Task.n_answers + delta}
    values["slots"] = case((Task.slots - delta < 0, 0), else_=Task.slots - delta)
    session.execute(
        update(Task).where(Task.id == task_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def rework(session: Session, task_id: int) -> None:
    """An answer sent back for rework stops counting; its worker holds the slot again."""
    session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(n_answers=Task.n_answers - 1, n_active=Task.n_active + 1),
        execution_options={"synchronize_session": False},
    )


def set_result(session: Session, task_id: int, result: Any, confidence: float) -> None:
    """The task's current answer and its confidence, after an answer arrived."""
    params = {"task_id": task_id, "result": result, "confidence": confidence}
    session.execute(_SET_RESULT, params)


def set_results(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk update of (id, result, confidence)."""
    if rows:
        session.execute(update(Task), rows)


def events_of_worker(session: Session, worker_id: int) -> Sequence[QualityEvent]:
    query = select(QualityEvent).where(QualityEvent.worker_id == worker_id)
    return session.scalars(query.order_by(QualityEvent.id.desc()).limit(100)).all()


def events(
    session: Session, project_id: int, worker_id: int | None = None
) -> Sequence[QualityEvent]:
    query = select(QualityEvent).where(QualityEvent.project_id == project_id)
    if worker_id is not None:
        query = query.where(QualityEvent.worker_id == worker_id)
    return session.scalars(query.order_by(QualityEvent.id.desc()).limit(500)).all()

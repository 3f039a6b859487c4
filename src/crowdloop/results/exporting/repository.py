"""Reads of the exporter: one page of tasks, and the submitted answers of a range of tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task
from crowdloop.work.models import Assignment, AssignmentStatus


def task_page(session: Session, project_id: int, *, after: int, limit: int) -> Sequence[Any]:
    """Plain rows (not ORM objects, so nothing accumulates in the session), ordered by id."""
    query = (
        select(
            Task.id,
            Task.external_id,
            Task.data,
            Task.result,
            Task.confidence,
            Task.n_answers,
            Task.gold,
            Task.is_control,
            Task.predictions,
        )
        # "project_id + 0" keeps planners off the (project_id, ...) indexes, so they walk the
        # primary key from the cursor and stop after `limit` rows. Left alone, SQLite picks
        # ix_tasks_project_control and sorts all the project's tasks for every page: O(n^2).
        .where((Task.project_id + 0) == project_id, Task.id > after)
        .order_by(Task.id)
        .limit(limit)
    )
    return session.execute(query).all()


def submitted_answers(
    session: Session, project_id: int, *, first_task: int, last_task: int
) -> Sequence[Any]:
    """Submitted answers of tasks first_task..last_task, by task then submission order."""
    query = (
        select(Assignment.task_id, Assignment.worker_id, Assignment.answer, Assignment.finished_at)
        .where(
            Assignment.project_id == project_id,
            Assignment.task_id >= first_task,
            Assignment.task_id <= last_task,
            Assignment.status == AssignmentStatus.submitted,
        )
        .order_by(Assignment.task_id, Assignment.id)
    )
    return session.execute(query).all()

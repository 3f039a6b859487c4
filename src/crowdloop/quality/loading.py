"""Load a project's answers for re-inference as integer arrays, in bounded memory.

Rows are streamed in chunks (``yield_per``) and encoded as they arrive: task ids by binary
search in the sorted id array, workers and labels through small dictionaries. A project of
1,000,000 tasks and 3,000,000 answers becomes a few arrays of int32 instead of millions of
Python tuples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task
from crowdloop.work.models import Assignment, AssignmentStatus

CHUNK = 50_000


@dataclass
class TaskTable:
    """Every task of a project, sorted by id, with its gold and current result."""

    ids: NDArray[np.int64]
    is_control: NDArray[np.bool_]
    gold: list[Any]
    result: list[Any]
    confidence: NDArray[np.float64]

    def codes(self, task_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.searchsorted(self.ids, task_ids).astype(np.int64)


def task_table(session: Session, project_id: int) -> TaskTable:
    query = (
        select(Task.id, Task.is_control, Task.gold, Task.result, Task.confidence)
        .where(Task.project_id == project_id)
        .order_by(Task.id)
        .execution_options(yield_per=CHUNK)
    )
    ids: list[int] = []
    control: list[bool] = []
    gold: list[Any] = []
    result: list[Any] = []
    confidence: list[float] = []
    for row in session.execute(query):
        ids.append(row.id)
        control.append(bool(row.is_control))
        gold.append(row.gold if row.is_control else None)
        result.append(row.result)
        confidence.append(np.nan if row.confidence is None else float(row.confidence))
    return TaskTable(
        ids=np.asarray(ids, dtype=np.int64),
        is_control=np.asarray(control, dtype=bool),
        gold=gold,
        result=result,
        confidence=np.asarray(confidence, dtype=np.float64),
    )


@dataclass
class AnswerArrays:
    task: NDArray[np.int64]
    worker: NDArray[np.int64]
    value: list[Any]
    worker_ids: list[int]


def answer_arrays(session: Session, project_id: int, tasks: TaskTable) -> AnswerArrays:
    """(task code, worker code, raw answer) of every counted answer, ordered by task."""
    query = (
        select(Assignment.task_id, Assignment.worker_id, Assignment.answer)
        .where(
            Assignment.project_id == project_id,
            Assignment.status == AssignmentStatus.submitted,
        )
        .order_by(Assignment.task_id)
        .execution_options(yield_per=CHUNK)
    )
    workers: dict[int, int] = {}
    task_parts: list[NDArray[np.int64]] = []
    worker_parts: list[NDArray[np.int64]] = []
    values: list[Any] = []
    for chunk in session.execute(query).partitions():
        task_ids = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
        task_parts.append(tasks.codes(task_ids))
        worker_parts.append(
            np.fromiter(
                (workers.setdefault(r[1], len(workers)) for r in chunk),
                dtype=np.int64,
                count=len(chunk),
            )
        )
        values.extend(r[2] for r in chunk)
    empty = np.zeros(0, dtype=np.int64)
    return AnswerArrays(
        task=np.concatenate(task_parts) if task_parts else empty,
        worker=np.concatenate(worker_parts) if worker_parts else empty,
        value=values,
        worker_ids=list(workers),
    )

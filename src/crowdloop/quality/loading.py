"""Load a project's answers for re-inference as integer arrays, in bounded memory.

Rows are streamed in chunks (``yield_per``) and encoded as they arrive: task ids by binary
search in the sorted id array, workers and labels through small dictionaries. A project of
1,000,000 tasks and 3,000,000 answers becomes a few arrays of int32 instead of millions of
Python tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task
from crowdloop.work.models import Assignment, AssignmentStatus

CHUNK = 50_000


# Answer value -> number: a label code for choices, the value itself for ratings; NaN or -1
# for None. Encoding while streaming keeps millions of Python objects out of memory.
Encode = Callable[[Any], float]


@dataclass
class TaskTable:
    """Every task of a project, sorted by id, with its gold and current result, encoded."""

    ids: NDArray[np.int64]
    is_control: NDArray[np.bool_]
    gold: NDArray[np.float64]
    result: NDArray[np.float64]
    confidence: NDArray[np.float64]

    def codes(self, task_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.searchsorted(self.ids, task_ids).astype(np.int64)


def task_table(session: Session, project_id: int, encode: Encode) -> TaskTable:
    query = (
        select(Task.id, Task.is_control, Task.gold, Task.result, Task.confidence)
        .where(Task.project_id == project_id)
        .order_by(Task.id)
        .execution_options(yield_per=CHUNK)
    )
    parts: list[NDArray[np.float64]] = []
    for chunk in session.execute(query).partitions():
        block = np.empty((len(chunk), 5), dtype=np.float64)
        for i, row in enumerate(chunk):
            block[i] = (
                row.id,
                bool(row.is_control),
                encode(row.gold) if row.is_control else np.nan,
                encode(row.result),
                np.nan if row.confidence is None else row.confidence,
            )
        parts.append(block)
    table = np.concatenate(parts) if parts else np.zeros((0, 5))
    return TaskTable(
        ids=table[:, 0].astype(np.int64),
        is_control=table[:, 1].astype(bool),
        gold=table[:, 2].copy(),
        result=table[:, 3].copy(),
        confidence=table[:, 4].copy(),
    )


@dataclass
class AnswerArrays:
    task: NDArray[np.int64]
    worker: NDArray[np.int64]
    value: NDArray[np.float64]
    worker_ids: list[int]
    finished: NDArray[np.float64] | None = None  # epoch seconds, when asked for


def answer_arrays(
    session: Session, project_id: int, tasks: TaskTable, encode: Encode, *, times: bool = False
) -> AnswerArrays:
    """(task code, worker code, raw answer) of every counted answer, ordered by task; with
    ``times``, also when each was given (epoch seconds)."""
    columns: list[Any] = [Assignment.task_id, Assignment.worker_id, Assignment.answer]
    if times:  # epoch seconds computed by the database: no datetime object per answer
        columns.append(extract("epoch", Assignment.finished_at))
    query = (
        select(*columns)
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
    value_parts: list[NDArray[np.float64]] = []
    time_parts: list[NDArray[np.float64]] = []
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
        value_parts.append(
            np.fromiter((encode(r[2]) for r in chunk), dtype=np.float64, count=len(chunk))
        )
        if times:
            time_parts.append(np.fromiter(_epochs(chunk), dtype=np.float64, count=len(chunk)))
    empty = np.zeros(0, dtype=np.int64)
    return AnswerArrays(
        task=np.concatenate(task_parts) if task_parts else empty,
        worker=np.concatenate(worker_parts) if worker_parts else empty,
        value=np.concatenate(value_parts) if value_parts else np.zeros(0),
        worker_ids=list(workers),
        finished=(np.concatenate(time_parts) if time_parts else np.zeros(0)) if times else None,
    )


def _epochs(chunk: Any) -> Iterator[float]:
    for row in chunk:  # an answer without a finish time (never expected) counts as new
        yield float(row[3]) if row[3] is not None else float("inf")

"""Queries of the AI domain. Big projects are read in keyset pages of columns, never as
one list of ORM objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Row, delete, func, insert, null, or_, select, update
from sqlalchemy.orm import Session

from crowdloop.ai.models import CachedEmbedding, ModelStatus, ModelVersion, Prediction, TaskMark
from crowdloop.ai.models import TaskRole as Role
from crowdloop.projects.models import Task
from crowdloop.storage.dialect import try_advisory_xact_lock

MIN_TRAIN_CONFIDENCE = 0.5  # inferred results below this are not used for training
TRAINING_LOCK = 7_302  # advisory-lock namespace of AI training (quality re-fits use 7_301)


def try_training_lock(session: Session, project_id: int) -> bool:
    """PostgreSQL: take the project's training lock for this transaction, False when the
    background job (or another request) holds it. SQLite serialises writers: True."""
    return try_advisory_xact_lock(session, TRAINING_LOCK, project_id)


def latest_version(session: Session, project_id: int, *, ready: bool = True) -> ModelVersion | None:
    query = select(ModelVersion).where(ModelVersion.project_id == project_id)
    if ready:
        query = query.where(ModelVersion.status == ModelStatus.ready)
    return session.scalars(query.order_by(ModelVersion.version.desc()).limit(1)).first()


def next_version_number(session: Session, project_id: int) -> int:
    query = select(func.max(ModelVersion.version)).where(ModelVersion.project_id == project_id)
    return int(session.scalar(query) or 0) + 1


def _trainable(project_id: int) -> Any:
    """Tasks whose human-inferred result may train the model (not held-out, not auto)."""
    marked = select(TaskMark.task_id).where(
        TaskMark.project_id == project_id, TaskMark.role.in_([Role.heldout, Role.auto])
    )
    return (
        Task.project_id == project_id,
        Task.result.is_not(None),
        Task.n_answers > 0,
        Task.confidence >= MIN_TRAIN_CONFIDENCE,
        Task.id.not_in(marked),
    )


def count_trainable(session: Session, project_id: int) -> int:
    return int(session.scalar(select(func.count()).where(*_trainable(project_id))) or 0)


def training_rows(session: Session, project_id: int, *, page: int = 2000) -> Iterator[Row[Any]]:
    """(id, data, result, confidence) of trainable tasks, in id order, page by page."""
    after = 0
    while True:
        query = (
            select(Task.id, Task.data, Task.result, Task.confidence)
            .where(*_trainable(project_id), Task.id > after)
            .order_by(Task.id)
            .limit(page)
        )
        rows = session.execute(query).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def task_ids_after(session: Session, project_id: int, after: int, limit: int) -> list[int]:
    """Ids of the project's non-control tasks above ``after`` (held-out candidates)."""
    query = (
        select(Task.id)
        .where(Task.project_id == project_id, Task.id > after, Task.is_control.is_(False))
        .order_by(Task.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def add_marks(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(TaskMark), list(rows))


def _to_predict(project_id: int, after: int, upto: int) -> Any:
    judged = select(TaskMark.task_id).where(
        TaskMark.project_id == project_id, TaskMark.role.in_([Role.heldout, Role.audit])
    )
    return (
        Task.project_id == project_id,
        Task.id > after,
        Task.id <= upto,
        or_(Task.slots > 0, Task.id.in_(judged)),
    )


def to_predict(
    session: Session, project_id: int, after: int, upto: int, limit: int
) -> list[Row[Any]]:
    """(id, data) of open tasks and held-out/audit tasks in (after, upto], in id order."""
    query = (
        select(Task.id, Task.data)
        .where(*_to_predict(project_id, after, upto))
        .order_by(Task.id)
        .limit(limit)
    )
    return list(session.execute(query).all())


def count_to_predict(session: Session, project_id: int, upto: int) -> int:
    query = select(func.count()).where(*_to_predict(project_id, 0, upto))
    return int(session.scalar(query) or 0)


def unmarked(session: Session, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose task has no mark yet."""
    if not rows:
        return []
    ids = [r["task_id"] for r in rows]
    taken = set(session.scalars(select(TaskMark.task_id).where(TaskMark.task_id.in_(ids))))
    return [r for r in rows if r["task_id"] not in taken]


def add_predictions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Prediction), list(rows))


def heldout_outcomes(
    session: Session, version: ModelVersion
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Confidence and correctness of the version on human-labelled held-out tasks."""
    query = (
        select(Prediction.confidence, Prediction.label, Task.result)
        .join(Task, Task.id == Prediction.task_id)
        .join(TaskMark, TaskMark.task_id == Prediction.task_id)
        .where(Prediction.model_version_id == version.id, TaskMark.role == Role.heldout)
        .where(Prediction.label.is_not(None), Task.result.is_not(None), Task.n_answers > 0)
    )
    rows = session.execute(query).all()
    conf = np.array([r.confidence for r in rows], dtype=np.float64)
    ok = np.array([r.label == r.result for r in rows], dtype=np.bool_)
    return conf, ok


def acceptable(
    session: Session, version: ModelVersion, threshold: float, after: int, limit: int
) -> list[Row[Any]]:
    """(task id, label, confidence) of open, unanswered, unmarked tasks above threshold."""
    marked = select(TaskMark.task_id).where(TaskMark.project_id == version.project_id)
    query = (
        select(Prediction.task_id, Prediction.label, Prediction.confidence)
        .join(Task, Task.id == Prediction.task_id)
        .where(Prediction.model_version_id == version.id, Prediction.task_id > after)
        .where(Prediction.label.is_not(None), Prediction.confidence >= threshold)
        .where(Task.slots > 0, Task.n_answers == 0, Task.n_active == 0)
        .where(Task.is_control.is_(False))
        .where(Prediction.task_id.not_in(marked))
        .order_by(Prediction.task_id)
        .limit(limit)
    )
    rows: list[Any] = list(session.execute(query).all())
    return rows


def audit_outcomes(session: Session, project_id: int, after_version_id: int) -> tuple[int, int]:
    """(n correct, n audited) over audit tasks people have answered, for model versions
    after ``after_version_id`` (re-enabling auto-acceptance starts a fresh audit)."""
    query = (
        select(TaskMark.label, Task.result)
        .join(Task, Task.id == TaskMark.task_id)
        .where(TaskMark.project_id == project_id, TaskMark.role == Role.audit)
        .where(TaskMark.model_version_id > after_version_id)
        .where(Task.result.is_not(None), Task.n_answers > 0)
    )
    rows = session.execute(query).all()
    return sum(r.label == r.result for r in rows), len(rows)


def reopen_auto_accepted(session: Session, project_id: int) -> int:
    """Send every auto-accepted task back to people; returns how many."""
    auto = select(TaskMark.task_id).where(
        TaskMark.project_id == project_id, TaskMark.role == Role.auto
    )
    n = count_role(session, project_id, Role.auto)
    session.execute(
        update(Task)
        .where(Task.id.in_(auto))
        .values(result=null(), confidence=None, slots=Task.overlap - Task.n_answers - Task.n_active)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(TaskMark).where(TaskMark.project_id == project_id, TaskMark.role == Role.auto)
    )
    return n


def count_role(session: Session, project_id: int, role: Role) -> int:
    query = select(func.count()).where(TaskMark.project_id == project_id, TaskMark.role == role)
    return int(session.scalar(query) or 0)


def count_labelled_heldout(session: Session, project_id: int) -> int:
    query = (
        select(func.count())
        .select_from(TaskMark)
        .join(Task, Task.id == TaskMark.task_id)
        .where(TaskMark.project_id == project_id, TaskMark.role == Role.heldout)
        .where(Task.result.is_not(None), Task.n_answers > 0)
    )
    return int(session.scalar(query) or 0)


def role_of(session: Session, task_id: int) -> Role | None:
    return session.scalar(select(TaskMark.role).where(TaskMark.task_id == task_id))


def latest_prediction(session: Session, task_id: int) -> Any | None:
    """(label, confidence, version, name) of the newest ready version's prediction."""
    query = (
        select(Prediction.label, Prediction.confidence, ModelVersion.version, ModelVersion.name)
        .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
        .where(Prediction.task_id == task_id, ModelVersion.status == ModelStatus.ready)
        .order_by(ModelVersion.version.desc())
        .limit(1)
    )
    return session.execute(query).first()


def confidences(
    session: Session, version_id: int, task_ids: Sequence[int]
) -> dict[int, float | None]:
    query = select(Prediction.task_id, Prediction.confidence).where(
        Prediction.model_version_id == version_id, Prediction.task_id.in_(list(task_ids))
    )
    return {r.task_id: r.confidence for r in session.execute(query)}


def embeddings_get(session: Session, model_id: str, keys: Sequence[str]) -> dict[str, bytes]:
    query = select(CachedEmbedding.text_sha256, CachedEmbedding.vector).where(
        CachedEmbedding.model_id == model_id, CachedEmbedding.text_sha256.in_(list(keys))
    )
    return {r.text_sha256: r.vector for r in session.execute(query)}


def embeddings_put(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CachedEmbedding), list(rows))


def probabilities(
    session: Session, version_id: int, task_ids: Sequence[int]
) -> dict[int, list[float] | None]:
    query = select(Prediction.task_id, Prediction.probabilities).where(
        Prediction.model_version_id == version_id, Prediction.task_id.in_(list(task_ids))
    )
    return {r.task_id: r.probabilities for r in session.execute(query)}


def prune_predictions(session: Session, project_id: int, *, keep: int) -> int:
    """Delete the predictions of all but the ``keep`` newest versions; returns how many."""
    newest = (
        select(ModelVersion.id)
        .where(ModelVersion.project_id == project_id)
        .order_by(ModelVersion.version.desc())
        .limit(keep)
    )
    old = select(ModelVersion.id).where(
        ModelVersion.project_id == project_id, ModelVersion.id.not_in(newest)
    )
    result = session.execute(
        delete(Prediction)
        .where(Prediction.project_id == project_id, Prediction.model_version_id.in_(old))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _votable(project_id: int, version_id: int) -> Any:
    """The version's labelled predictions on tasks that are not control tasks and carry no
    AI role (held-out, audit and auto-accepted tasks stay out)."""
    marked = select(TaskMark.task_id).where(TaskMark.task_id == Prediction.task_id).exists()
    return (
        select(Prediction.task_id, Prediction.label)
        .join(Task, Task.id == Prediction.task_id)
        .where(
            Prediction.project_id == project_id,
            Prediction.model_version_id == version_id,
            Prediction.label.is_not(None),
            Task.is_control.is_(False),
            ~marked,
        )
    )


def truth_votes(session: Session, project_id: int, version_id: int) -> Iterator[Row[Any]]:
    """(task_id, label) of every vote the model casts in a re-fit (tasks people answered:
    alone, a vote would only agree with itself), streamed."""
    query = (
        _votable(project_id, version_id).where(Task.n_answers > 0).execution_options(yield_per=5000)
    )
    yield from session.execute(query)


def truth_vote(session: Session, project_id: int, version_id: int, task_id: int) -> str | None:
    """The model's vote on one task being answered (None when it casts none there)."""
    query = _votable(project_id, version_id).where(Prediction.task_id == task_id)
    row = session.execute(query).first()
    return None if row is None else str(row.label)

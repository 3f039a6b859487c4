from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    CursorResult,
    Integer,
    Table,
    and_,
    bindparam,
    case,
    column,
    exists,
    or_,
    select,
    update,
    values,
)
from sqlalchemy.orm import Session

from crowdloop.projects.models import PICK_COLUMNS, Project, Task
from crowdloop.work.models import LIVE, LIVE_LOOKBACK, Assignment, AssignmentStatus

CANDIDATE_WINDOW = 32
GROUPED_CHUNK = 5_000  # tasks per grouped slot claim

# The labelling loop's statements are built once, here, with bound parameters: building a
# statement and its cache key costs SQLAlchemy about 85 us each time, running a built one
# about 20 us (issue 12; docs/benchmarks/speed.md).


def _candidates_query(*, after: bool, skip_locked: bool) -> Any:
    seen = exists().where(
        Assignment.task_id == Task.id, Assignment.worker_id == bindparam("worker_id")
    )
    query = (
        select(*PICK_COLUMNS)
        .where(Task.project_id == bindparam("project_id"), Task.slots > 0, ~seen)
        .where(or_(Task.deadline.is_(None), Task.deadline > bindparam("now")))
        .order_by(Task.priority.desc(), Task.id)
        .limit(CANDIDATE_WINDOW)
    )
    if after:
        priority: BindParameter[Any] = bindparam("priority")
        task_id: BindParameter[Any] = bindparam("task_id")
        query = query.where(
            or_(Task.priority < priority, and_(Task.priority == priority, Task.id > task_id))
        )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=Task)
    return query


_CANDIDATES = {
    (after, skip): _candidates_query(after=after, skip_locked=skip)
    for after in (False, True)
    for skip in (False, True)
}


def candidates(
    session: Session,
    project_id: int,
    worker_id: int,
    *,
    now: datetime,
    after: tuple[int, int] | None,
    skip_locked: bool,
) -> Sequence[Any]:
    """A window of open tasks the worker has never been given, best priority first."""
    params: dict[str, Any] = {"project_id": project_id, "worker_id": worker_id, "now": now}
    if after is not None:
        params["priority"], params["task_id"] = after
    query = _CANDIDATES[(after is not None, skip_locked)]
    return session.execute(query, params).all()


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


_TASKS: Table = Task.__table__  # type: ignore[assignment]
_CLAIM_ONE = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.slots > 0)
    .values(slots=_TASKS.c.slots - 1, n_active=_TASKS.c.n_active + 1)
)


def claim_slots(session: Session, task_ids: Sequence[int]) -> list[bool]:
    """:func:`claim_slot` for many tasks (one prepared statement, one row at a time so
    that each gets its own answer); a task id may repeat to take several slots."""
    conn = session.connection()
    return [_rowcount(conn.execute(_CLAIM_ONE, {"task_id": tid})) == 1 for tid in task_ids]


def claim_slots_grouped(session: Session, wanted: dict[int, int]) -> set[int]:
    """Take ``wanted[task]`` slots of each task in one statement per chunk, only where the
    task still has that many (an ``UPDATE ... FROM (VALUES ...) RETURNING``; the condition
    is re-checked under the row lock, so it is as safe as :func:`claim_slot`). Returns the
    ids that got all their slots. PostgreSQL only: one round trip instead of one per slot."""
    won: set[int] = set()
    items = sorted(wanted.items())  # one lock order for concurrent pushes
    for start in range(0, len(items), GROUPED_CHUNK):
        want = values(column("task_id", BigInteger), column("n", Integer), name="want").data(
            items[start : start + GROUPED_CHUNK]
        )
        stmt = (
            update(_TASKS)
            .where(_TASKS.c.id == want.c.task_id, _TASKS.c.slots >= want.c.n)
            .values(slots=_TASKS.c.slots - want.c.n, n_active=_TASKS.c.n_active + want.c.n)
            .returning(_TASKS.c.id)
        )
        won.update(int(r[0]) for r in session.connection().execute(stmt))
    return won


def claim_slot(session: Session, task_id: int) -> bool:
    """Take one slot of a task if it still has one; atomic on every backend."""
    return claim_slots(session, [task_id])[0]


_ASSIGNMENTS: Table = Assignment.__table__  # type: ignore[assignment]
_TASK_ID: BindParameter[Any] = bindparam("task_id")
_CLAIM_CONTROL = (
    update(_TASKS).where(_TASKS.c.id == _TASK_ID).values(n_active=_TASKS.c.n_active + 1)
)


def claim_control(session: Session, task_id: int) -> None:
    """Control tasks have no overlap: any number of workers answer them, once each."""
    session.execute(_CLAIM_CONTROL, {"task_id": task_id})


_CONTROL_CANDIDATES = (
    select(Task.id)
    .where(
        Task.project_id == bindparam("project_id"),
        Task.is_control.is_(True),
        ~exists().where(
            Assignment.task_id == Task.id, Assignment.worker_id == bindparam("worker_id")
        ),
    )
    .order_by(Task.id)
    .limit(CANDIDATE_WINDOW)
)


def control_candidates(session: Session, project_id: int, worker_id: int) -> list[int]:
    params = {"project_id": project_id, "worker_id": worker_id}
    return list(session.scalars(_CONTROL_CANDIDATES, params).all())


_OF_WORKER = (
    Assignment.worker_id == bindparam("worker_id"),
    Assignment.project_id == bindparam("project_id"),
)
_LATEST = (
    select(
        Assignment.id,
        Assignment.status,
        Assignment.lease_expires_at,
        Task.priority,
        Task.id.label("task_id"),
    )
    .join(Task, Task.id == Assignment.task_id)
    .where(*_OF_WORKER)
    .order_by(Assignment.id.desc())
    .limit(1)
)


def latest_for_worker(session: Session, worker_id: int, project_id: int) -> Any | None:
    """The worker's newest assignment in the project with its task's pick position:
    (id, status, lease_expires_at, priority, task_id), or None. One index probe."""
    return session.execute(_LATEST, {"worker_id": worker_id, "project_id": project_id}).first()


_RECENT = (
    select(Assignment.id, Assignment.status, Assignment.lease_expires_at)
    .where(*_OF_WORKER)
    .order_by(Assignment.id.desc())
    .limit(LIVE_LOOKBACK)
    .subquery()
)
_OLDEST_LIVE = (
    select(_RECENT.c.id)
    .where(
        _RECENT.c.status == AssignmentStatus.active, _RECENT.c.lease_expires_at > bindparam("now")
    )
    .order_by(_RECENT.c.id)
    .limit(1)
)


def oldest_live(session: Session, worker_id: int, project_id: int, *, now: datetime) -> int | None:
    """The oldest unexpired active lease among the worker's ``LIVE_LOOKBACK`` newest
    assignments in the project (pushed leases), or None. A bounded index range."""
    params = {"worker_id": worker_id, "project_id": project_id, "now": now}
    found = session.scalar(_OLDEST_LIVE, params)
    return None if found is None else int(found)


_T = _TASKS.c
_RETURN_SLOT = (
    update(_TASKS)
    .where(_T.id == _TASK_ID)
    .values(
        slots=case((_T.is_control.is_(True), _T.slots), else_=_T.slots + 1),
        n_active=_T.n_active - 1,
    )
)
_COUNT_ANSWER = (
    update(_TASKS)
    .where(_T.id == _TASK_ID)
    .values(n_active=_T.n_active - 1, n_answers=_T.n_answers + 1)
)
_CLOSE_TASK = (
    update(_TASKS).where(_T.id == _TASK_ID).values(slots=0, overlap=_T.n_answers + _T.n_active)
)
_EXTEND_TASK = (
    update(_TASKS)
    .where(_T.id == _TASK_ID, _T.slots == 0, _T.overlap < bindparam("max_answers"))
    .values(slots=_T.slots + 1, overlap=_T.overlap + 1)
)
_OPEN_TASK = (
    select(_T.id)
    .where(
        _T.project_id == bindparam("project_id"),
        _T.is_control.is_(False),
        or_(_T.slots > 0, _T.n_active > 0),
    )
    .limit(1)
)


def return_slot(session: Session, task_id: int) -> None:
    session.execute(_RETURN_SLOT, {"task_id": task_id})


def count_answer(session: Session, task_id: int) -> None:
    """A live lease became an answer: one fewer active, one more answered."""
    session.execute(_COUNT_ANSWER, {"task_id": task_id})


def close_task(session: Session, task_id: int) -> None:
    """Dynamic overlap: the task has enough answers; offer it to nobody else."""
    session.execute(_CLOSE_TASK, {"task_id": task_id})


def has_open_tasks(session: Session, project_id: int) -> bool:
    """An open slot or a live lease on a non-control task (the pick index serves the
    slots > 0 part; the project's last tasks are checked only when one completes)."""
    return session.scalar(_OPEN_TASK, {"project_id": project_id}) is not None


def extend_task(session: Session, task_id: int, max_answers: int) -> None:
    """Dynamic overlap: one more slot for a contested task whose slots are all taken."""
    session.execute(_EXTEND_TASK, {"task_id": task_id, "max_answers": max_answers})


def reserve_budget(session: Session, project_id: int, cents: int) -> bool:
    budget_ok = or_(
        Project.budget_cents.is_(None), Project.committed_cents + cents <= Project.budget_cents
    )
    stmt = (
        update(Project)
        .where(Project.id == project_id, budget_ok)
        .values(committed_cents=Project.committed_cents + cents)
    )
    return _rowcount(session.execute(stmt, execution_options={"synchronize_session": False})) == 1


def release_budget(session: Session, project_id: int, cents: int) -> None:
    stmt = (
        update(Project)
        .where(Project.id == project_id)
        .values(committed_cents=Project.committed_cents - cents)
    )
    session.execute(stmt, execution_options={"synchronize_session": False})


def finish(
    session: Session,
    assignment_id: int,
    status: AssignmentStatus,
    *,
    now: datetime,
    answer: Any = None,
) -> bool:
    """Move a live assignment to a final status; False if it was no longer live."""
    params = {"assignment_id": assignment_id, "status": status, "now": now, "answer": answer}
    return _rowcount(session.execute(_FINISH, params)) == 1


_A = _ASSIGNMENTS.c
_FINISH = (
    update(_ASSIGNMENTS)
    .where(_A.id == bindparam("assignment_id"), _A.status.in_(LIVE))
    # A fresh answer (also after rework) waits for a fresh review.
    .values(
        status=bindparam("status"),
        finished_at=bindparam("now"),
        answer=bindparam("answer"),
        review=None,
    )
)


def expired_leases(session: Session, project_id: int, now: datetime, limit: int) -> Sequence[Any]:
    query = (
        select(Assignment.id, Assignment.task_id, Assignment.reward_cents)
        .where(
            Assignment.project_id == project_id,
            Assignment.status == AssignmentStatus.active,
            Assignment.lease_expires_at < now,
        )
        .limit(limit)
    )
    return session.execute(query).all()


def submitted_answers(session: Session, task_id: int) -> list[Any]:
    query = (
        select(Assignment.answer)
        .where(Assignment.task_id == task_id, Assignment.status == AssignmentStatus.submitted)
        .order_by(Assignment.id)
    )
    return list(session.scalars(query).all())


def answers_for_task(session: Session, task_id: int) -> Sequence[Assignment]:
    query = (
        select(Assignment)
        .where(Assignment.task_id == task_id, Assignment.status == AssignmentStatus.submitted)
        .order_by(Assignment.id)
    )
    return session.scalars(query).all()


def list_for_worker(
    session: Session, worker_id: int, *, project_id: int | None, limit: int
) -> Sequence[Assignment]:
    query = select(Assignment).where(Assignment.worker_id == worker_id)
    if project_id is not None:
        query = query.where(Assignment.project_id == project_id)
    return session.scalars(query.order_by(Assignment.id.desc()).limit(limit)).all()

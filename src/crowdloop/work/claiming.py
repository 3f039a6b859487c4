"""Taking leases: scan the pick index from the worker's position, window by window, let the
allocation policy choose within each window (``crowdloop.allocation.policy``: skills,
escalation, the matching score), and take a slot with a conditional UPDATE (service.py).
Nothing here decides what a worker should get; it stores what the policy chose."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects.models import Project
from crowdloop.storage.dialect import advisory_xact_lock, is_postgresql
from crowdloop.work import repository
from crowdloop.work.models import Assignment, AssignmentStatus

MAX_WINDOWS = 20
FULL_SCAN_EVERY = 50
CLAIM_LOCK = 7_303  # advisory lock namespace: one worker's claims, one at a time


@dataclass(frozen=True)
class Position:
    """Where a worker is in a project's stream (see ``stream_of``)."""

    seed: int
    cursor: tuple[int, int] | None


# The policy's choice within one window of candidate rows: which it allows, best first.
Choose = Callable[[Sequence[Any]], list[Any]]


@dataclass(frozen=True)
class Stream:
    """A worker in a project's stream: their live lease to hand back, if any, and where
    their next claim starts."""

    live: Assignment | None
    position: Position


def stream_of(session: Session, worker_id: int, project_id: int, *, now: datetime) -> Stream:
    """The worker's live lease and position, from their newest assignment (one probe).
    The newest assignment's id varies per request: it seeds the control draw, and its
    task is where the scan resumes.

    One worker's claims run one at a time (PostgreSQL: an advisory lock held to the end
    of the transaction; SQLite serialises writers already): when the same worker asks from
    several connections at once, the later requests read the lease the first one took and
    hand it back, instead of racing it for a second lease (issue 11, finding 6)."""
    advisory_xact_lock(session, CLAIM_LOCK, worker_id)
    latest = repository.latest_for_worker(session, worker_id, project_id)
    position = Position(
        seed=0 if latest is None else int(latest.id),
        cursor=None if latest is None else (int(latest.priority), int(latest.task_id)),
    )
    live_id = _live_lease(session, worker_id, project_id, latest, now=now)
    live = None if live_id is None else session.get(Assignment, live_id)
    return Stream(live, position)


def _live_lease(
    session: Session, worker_id: int, project_id: int, latest: Any | None, *, now: datetime
) -> int | None:
    """The worker's live lease to hand back: the newest assignment if live, else the
    oldest live one among their recent assignments (several pushed leases are served one
    after another); None when they have none."""
    if latest is None:
        return None
    if latest.status == AssignmentStatus.active and latest.lease_expires_at > now:
        return int(latest.id)
    return repository.oldest_live(session, worker_id, project_id, now=now)


def claim_first(
    session: Session,
    worker: User,
    project: Project,
    choose: Choose,
    *,
    now: datetime,
    position: Position,
) -> Assignment | None:
    """Lease the first task ``choose`` allows, window by window in pick order."""
    # PostgreSQL: first pass skips rows other transactions are claiming (no queueing on a
    # hot row); if that finds nothing, a second pass waits for them, so a worker is never
    # told "no task" just because the open tasks were momentarily locked.
    if is_postgresql(session):
        found = _scan(session, worker, project, choose, _Pass(now, True, position))
        if found is not None:
            return found
    return _scan(session, worker, project, choose, _Pass(now, False, position))


@dataclass(frozen=True)
class _Pass:
    now: datetime
    skip_locked: bool
    position: Position


def _scan(
    session: Session, worker: User, project: Project, choose: Choose, scan: _Pass
) -> Assignment | None:
    """Claim the best eligible task, window by window in pick order.

    The scan starts after the worker's last claimed task (a keyset cursor), so a worker
    who already answered many tasks does not re-walk them on every request; when nothing
    is left after the cursor, and on every ``FULL_SCAN_EVERY``-th request, it starts from
    the top, which also picks up released tasks and new high-priority ones.
    """
    position = scan.position
    start = position.cursor if position.seed % FULL_SCAN_EVERY else None
    if start is not None:
        found = _walk(session, worker, project, choose, scan, after=start)
        if found is not None:
            return found
    return _walk(session, worker, project, choose, scan, after=None)


def _walk(
    session: Session,
    worker: User,
    project: Project,
    choose: Choose,
    scan: _Pass,
    *,
    after: tuple[int, int] | None,
) -> Assignment | None:
    for _ in range(MAX_WINDOWS):
        rows = repository.candidates(
            session, project.id, worker.id, now=scan.now, after=after, skip_locked=scan.skip_locked
        )
        for row in choose(rows):
            claimed = claim_task(session, worker, project, row, now=scan.now)
            if claimed is not None:
                return claimed
        if len(rows) < repository.CANDIDATE_WINDOW:
            return None
        after = (rows[-1].priority, rows[-1].id)
    return None


def control_candidates(session: Session, project_id: int, worker_id: int) -> list[int]:
    """Ids of control tasks the worker has never been given (a bounded window)."""
    return repository.control_candidates(session, project_id, worker_id)


def claim_control(
    session: Session, worker: User, project: Project, task_id: int, *, now: datetime
) -> Assignment | None:
    """Lease a control task: no slot is taken (any number of workers answer it, once each)
    and no reward is paid. None when the worker holds it already (a lease taken by another
    path meanwhile: the unique (task, worker) key refused the second one)."""
    savepoint = session.begin_nested()
    try:
        repository.claim_control(session, task_id)
        assignment = Assignment(
            project_id=project.id,
            task_id=task_id,
            worker_id=worker.id,
            status=AssignmentStatus.active,
            reward_cents=0,
            lease_expires_at=now + timedelta(seconds=project.lease_seconds),
            created_at=now,
        )
        session.add(assignment)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return assignment


def _lease(project: Project, worker_id: int, row: Any, now: datetime) -> Assignment:
    return Assignment(
        project_id=project.id,
        task_id=row.id,
        worker_id=worker_id,
        status=AssignmentStatus.active,
        reward_cents=project.reward_cents if row.reward_cents is None else row.reward_cents,
        lease_expires_at=now + timedelta(seconds=project.lease_seconds),
        created_at=now,
    )


def claim_many(
    session: Session, project: Project, pairs: Sequence[tuple[User, Any]], *, now: datetime
) -> list[Assignment | None]:
    """:func:`claim_task` for many (worker, row) pairs, aligned with ``pairs``: the same
    conditional slot UPDATE per pair, then one batched insert. If any pair collides with
    a lease taken meanwhile (unique task, worker), the batch is undone and every pair is
    claimed on its own. No budget reservation: for a project with a budget, claim pair by
    pair with :func:`claim_task`."""
    if project.budget_cents is not None:
        raise ValueError("claim_many does not reserve budget; use claim_task")
    savepoint = session.begin_nested()
    try:
        won = _claim_slots(session, [int(row.id) for _, row in pairs])
        out = [
            _lease(project, w.id, row, now) if ok else None
            for (w, row), ok in zip(pairs, won, strict=True)
        ]
        session.add_all([a for a in out if a is not None])
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return [claim_task(session, w, project, row, now=now) for w, row in pairs]
    savepoint.commit()
    return out


def _claim_slots(session: Session, task_ids: list[int]) -> list[bool]:
    """One slot per entry (ids may repeat). PostgreSQL: grouped per task in one statement,
    then slot by slot only for tasks that no longer had enough; SQLite: slot by slot."""
    if not is_postgresql(session):
        return repository.claim_slots(session, task_ids)
    got = repository.claim_slots_grouped(session, dict(Counter(task_ids)))
    rest = [tid for tid in task_ids if tid not in got]
    rest_won = iter(repository.claim_slots(session, rest))
    return [True if tid in got else next(rest_won) for tid in task_ids]


def claim_task(
    session: Session, worker: User, project: Project, row: Any, *, now: datetime
) -> Assignment | None:
    """Lease ``row`` (id, reward_cents) to the worker through the conditional slot UPDATE;
    None if its last slot went to someone else or the worker already had it."""
    reward = project.reward_cents if row.reward_cents is None else row.reward_cents
    savepoint = session.begin_nested()
    try:
        if project.budget_cents is not None and not repository.reserve_budget(
            session, project.id, reward
        ):
            savepoint.rollback()
            raise NoTaskAvailable(f"project {project.id} has spent its budget")
        if not repository.claim_slot(session, row.id):
            savepoint.rollback()
            return None
        assignment = _lease(project, worker.id, row, now)
        session.add(assignment)
        session.flush()
    except IntegrityError:
        # The same worker raced themselves for this task; it is theirs already.
        savepoint.rollback()
        return None
    savepoint.commit()
    return assignment

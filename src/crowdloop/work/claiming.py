"""Claiming a task for a worker: scan the pick index from the worker's position, apply
skills and escalation, order each window by the matching score M(t, u) (or keep priority
order), take a slot with a conditional UPDATE (see service.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.allocation import scoring
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects.models import Project
from crowdloop.quality import inference as quality_inference
from crowdloop.quality import service as quality
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.dialect import is_postgresql
from crowdloop.work import repository
from crowdloop.work.models import Assignment, AssignmentStatus

MAX_WINDOWS = 20
FULL_SCAN_EVERY = 50


@dataclass(frozen=True)
class Position:
    """Where a worker is in a project's stream (see ``next_assignment``)."""

    seed: int
    cursor: tuple[int, int] | None


@dataclass(frozen=True)
class Picker:
    """What a worker may take from a candidate window, and in which order."""

    skills: frozenset[str]
    too_hard: Callable[[Any], bool]
    rank: Callable[[Sequence[Any]], list[Any]]

    def choose(self, rows: Sequence[Any]) -> list[Any]:
        """Skills are a hard constraint, then escalation, then the project's order."""
        allowed = [r for r in rows if set(r.required_skills or ()) <= self.skills]
        return self.rank([r for r in allowed if not self.too_hard(r)])


def picker(session: Session, worker: User, project: Project, *, now: datetime) -> Picker:
    return Picker(
        skills=frozenset(worker.skills),
        too_hard=_escalation(session, project, worker),
        rank=_ranking(session, worker, project, now=now),
    )


def _ranking(
    session: Session, worker: User, project: Project, *, now: datetime
) -> Callable[[Sequence[Any]], list[Any]]:
    """``allocation: value`` (default): by M(t, u) within the window; else pick order."""
    if quality_inference.config_of(project).allocation == "priority":
        return list
    # Loaded already by check_not_blocked (identity map); one PK probe if there is no row.
    wq = session.get(WorkerQuality, (project.id, worker.id))
    confusion = scoring.confusion_of(wq, scoring.n_labels(scoring.labels_of(project)))

    def rank(rows: Sequence[Any]) -> list[Any]:
        priors = ai.model_priors(session, project, [r.id for r in rows])
        return scoring.order_for_worker(project, rows, confusion, now=now, priors=priors)

    return rank


def live_lease(
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
    session: Session, worker: User, project: Project, *, now: datetime, position: Position
) -> Assignment | None:
    pick = picker(session, worker, project, now=now)
    # PostgreSQL: first pass skips rows other transactions are claiming (no queueing on a
    # hot row); if that finds nothing, a second pass waits for them, so a worker is never
    # told "no task" just because the open tasks were momentarily locked.
    if is_postgresql(session):
        found = _scan(session, worker, project, pick, _Pass(now, True, position))
        if found is not None:
            return found
    return _scan(session, worker, project, pick, _Pass(now, False, position))


@dataclass(frozen=True)
class _Pass:
    now: datetime
    skip_locked: bool
    position: Position


def _scan(
    session: Session, worker: User, project: Project, pick: Picker, scan: _Pass
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
        found = _walk(session, worker, project, pick, scan, after=start)
        if found is not None:
            return found
    return _walk(session, worker, project, pick, scan, after=None)


def _walk(
    session: Session,
    worker: User,
    project: Project,
    pick: Picker,
    scan: _Pass,
    *,
    after: tuple[int, int] | None,
) -> Assignment | None:
    for _ in range(MAX_WINDOWS):
        rows = repository.candidates(
            session, project.id, worker.id, now=scan.now, after=after, skip_locked=scan.skip_locked
        )
        for row in pick.choose(rows):
            claimed = claim_task(session, worker, project, row, now=scan.now)
            if claimed is not None:
                return claimed
        if len(rows) < repository.CANDIDATE_WINDOW:
            return None
        after = (rows[-1].priority, rows[-1].id)
    return None


def claim_control_if_due(
    session: Session, worker: User, project: Project, *, now: datetime, position: Position
) -> Assignment | None:
    """A control task when the worker is qualifying (only controls until they have
    answered the qualification's count) or when the control-rate draw says so."""
    qualifying = quality.in_qualification(session, project, worker.id)
    if not qualifying and not quality.wants_control(project, worker.id, position.seed):
        return None
    found = claim_control(session, worker, project, now=now, n_seen=position.seed)
    if found is None and qualifying:
        raise NoTaskAvailable(
            f"project {project.id} asks for a qualification test first, and it has no"
            " control task left for you; ask the requester to add control tasks"
        )
    return found


def claim_control(
    session: Session, worker: User, project: Project, *, now: datetime, n_seen: int
) -> Assignment | None:
    candidates = repository.control_candidates(session, project.id, worker.id)
    if not candidates:
        return None
    task_id = candidates[n_seen % len(candidates)]
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
    return assignment


def _escalation(session: Session, project: Project, worker: User) -> Callable[[Any], bool]:
    """Dynamic overlap's escalation: which candidate rows are too hard for this worker."""
    dynamic = quality_inference.config_of(project).dynamic_overlap
    if dynamic is None or dynamic.escalate_after is None:
        return lambda _row: False
    if quality.ability(session, project, worker.id) >= dynamic.escalate_ability:
        return lambda _row: False
    return lambda row: dynamic.is_hard(row.n_answers, row.confidence)


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

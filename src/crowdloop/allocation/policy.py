"""What a worker gets next: the one place that decides it, for pull and push alike.

- **Who may work now**: a worker blocked by a quality rule gets nothing; a worker still
  taking the qualification test gets control tasks only (pull) and no pushed work.
- **Skills** are a hard constraint: a task goes only to a worker who holds all its
  required skills.
- **Escalation** (dynamic overlap with ``escalate_after``): a task still unresolved after
  that many answers goes only to a worker whose ability reaches ``escalate_ability``.
- **Control tasks** are mixed into a worker's stream at the project's control rate.
- **Order**: by the matching score M(t, u) (``allocation: value``, see ``scoring``), or
  plain pick order (``allocation: priority``).

``work`` stores the lease and takes the slot (``work.claiming``) but never decides.
:func:`next_assignment` is the pull entry point of the API, the web pages and the CLI; push
(``allocation.service``) applies the same rules to many workers at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.allocation import scoring
from crowdloop.errors import NoTaskAvailable, NotFound, PermissionDenied
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.projects.quality_config import DynamicOverlap
from crowdloop.quality import inference
from crowdloop.quality import service as quality
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.types import utcnow
from crowdloop.work import claiming
from crowdloop.work import service as work
from crowdloop.work.models import Assignment


def can_take(skills: Set[str], required: Iterable[str] | None) -> bool:
    """Skills are a hard constraint: the worker holds every skill the task requires."""
    return set(required or ()) <= skills


def escalation(project: Project) -> DynamicOverlap | None:
    """The project's escalation rule, or None when hard tasks are not escalated."""
    dynamic = inference.config_of(project).dynamic_overlap
    return None if dynamic is None or dynamic.escalate_after is None else dynamic


def is_strong(
    session: Session, project: Project, worker_id: int, rule: DynamicOverlap, *, known: bool = True
) -> bool:
    """Whether the worker may take escalated tasks. ``known=False``: the worker has no
    quality row yet (ability 0), and no query is spent finding that out."""
    ability = quality.ability(session, project, worker_id) if known else 0.0
    return ability >= rule.escalate_ability


def wants_control(project: Project, worker_id: int, n_seen: int) -> bool:
    """Whether the worker's next task should be a control task.

    A hash of (project, worker, position) gives each position an unpredictable but
    reproducible draw, so the share of controls matches the rate without a visible pattern.
    """
    rate = inference.config_of(project).control_rate
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{project.id}:{worker_id}:{n_seen}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def unavailable(
    session: Session, project: Project, wq: WorkerQuality | None, now: datetime
) -> str | None:
    """Why the worker cannot be pushed work now (blocked, qualifying), or None."""
    if wq is not None and wq.blocked_until is not None and wq.blocked_until > now:
        return f"blocked until {wq.blocked_until.isoformat(timespec='minutes')}"
    if wq is None:
        qualifying = inference.config_of(project).qualification is not None
    else:  # the row is in the session already: no query
        qualifying = quality.in_qualification(session, project, wq.worker_id)
    return "still taking the qualification test" if qualifying else None


@dataclass(frozen=True)
class Picker:
    """What a worker may take from a window of candidate rows, and in which order."""

    skills: frozenset[str]
    too_hard: Callable[[Any], bool]
    rank: Callable[[Sequence[Any]], list[Any]]

    def choose(self, rows: Sequence[Any]) -> list[Any]:
        """Skills are a hard constraint, then escalation, then the project's order."""
        allowed = [r for r in rows if can_take(self.skills, r.required_skills)]
        return self.rank([r for r in allowed if not self.too_hard(r)])


def picker(session: Session, worker: User, project: Project, *, now: datetime) -> Picker:
    return Picker(
        skills=frozenset(worker.skills),
        too_hard=_too_hard(session, project, worker),
        rank=_ranking(session, worker, project, now=now),
    )


def _too_hard(session: Session, project: Project, worker: User) -> Callable[[Any], bool]:
    """Which candidate rows are escalated beyond this worker."""
    rule = escalation(project)
    if rule is None or is_strong(session, project, worker.id, rule):
        return lambda _row: False
    return lambda row: rule.is_hard(row.n_answers, row.confidence)


def _ranking(
    session: Session, worker: User, project: Project, *, now: datetime
) -> Callable[[Sequence[Any]], list[Any]]:
    """``allocation: value`` (default): by M(t, u) within the window; else pick order."""
    if inference.config_of(project).allocation == "priority":
        return list
    # Loaded already by check_not_blocked (identity map); one PK probe if there is no row.
    wq = session.get(WorkerQuality, (project.id, worker.id))
    confusion = scoring.confusion_of(wq, scoring.n_labels(scoring.labels_of(project)))

    def rank(rows: Sequence[Any]) -> list[Any]:
        priors = ai.model_priors(session, project, [r.id for r in rows])
        return scoring.order_for_worker(project, rows, confusion, now=now, priors=priors)

    return rank


def next_assignment(
    session: Session, worker: User, project: Project, *, now: datetime | None = None
) -> Assignment:
    """Give the worker an assignment on the project (their live one, if they have one)."""
    now = now or utcnow()
    stream = claiming.stream_of(session, worker.id, project.id, now=now)
    if stream.live is not None:
        return stream.live
    quality.check_not_blocked(session, project, worker.id, now)
    if project.deadline is not None and project.deadline <= now:
        raise NoTaskAvailable(f"project {project.id} is past its deadline")
    assignment = _control_if_due(session, worker, project, now=now, seed=stream.position.seed)
    if assignment is None:
        assignment = _claim(session, worker, project, now=now, position=stream.position)
    if assignment is None:
        raise NoTaskAvailable(f"no task is available for you in project {project.id} right now")
    work.announce_lease(session, assignment)
    return assignment


def _claim(
    session: Session, worker: User, project: Project, *, now: datetime, position: claiming.Position
) -> Assignment | None:
    choose = picker(session, worker, project, now=now).choose
    found = claiming.claim_first(session, worker, project, choose, now=now, position=position)
    if found is None and work.expire_leases(session, project, now=now):
        # The background sweep may not have run yet: lapsed leases are work to hand out.
        found = claiming.claim_first(session, worker, project, choose, now=now, position=position)
    return found


def _control_if_due(
    session: Session, worker: User, project: Project, *, now: datetime, seed: int
) -> Assignment | None:
    """A control task when the worker is qualifying (only controls until they have
    answered the qualification's count) or when the control-rate draw says so."""
    qualifying = quality.in_qualification(session, project, worker.id)
    if not qualifying and not wants_control(project, worker.id, seed):
        return None
    candidates = claiming.control_candidates(session, project.id, worker.id)
    start = seed % len(candidates) if candidates else 0
    # From the drawn one on: a control the worker was given meanwhile is passed over.
    for task_id in candidates[start:] + candidates[:start]:
        claimed = claiming.claim_control(session, worker, project, task_id, now=now)
        if claimed is not None:
            return claimed
    if qualifying:
        raise NoTaskAvailable(
            f"project {project.id} asks for a qualification test first, and it has no"
            " control task left for you; ask the requester to add control tasks"
        )
    return None


def next_or_none(
    session: Session, worker: User, project: Project, *, now: datetime | None = None
) -> Assignment | None:
    """Like next_assignment, but None when nothing is available."""
    try:
        return next_assignment(session, worker, project, now=now)
    except NoTaskAvailable:
        return None


def next_after_submit(
    session: Session, worker: User, project_id: int, *, now: datetime | None = None
) -> Assignment | None:
    """The next assignment after a submit, or None when there is none for this worker now
    (nothing left, project paused, or the answer just submitted got the worker blocked):
    the submitted answer must never be lost because the *next* task cannot be given."""
    try:
        project = access.for_worker(session, worker, project_id)
        return next_assignment(session, worker, project, now=now)
    except (NoTaskAvailable, PermissionDenied, NotFound):
        return None

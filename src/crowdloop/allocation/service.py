"""Push assignment: candidate edges (open tasks x workers), valued by M(t, u), solved by
``algorithms.allocation.solve.assign``, leased through the same conditional slot claim as
next-task, so overlap is never exceeded and a (task, worker) pair never repeats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.algorithms.allocation.solve import Method, assign, has_ortools
from crowdloop.allocation import policy, repository, scoring
from crowdloop.allocation.candidates import Graph, candidate_graph
from crowdloop.allocation.schemas import AssignRequest, AssignResult, PlannedAssignment
from crowdloop.errors import Conflict, InvalidInput, NoTaskAvailable
from crowdloop.projects import access
from crowdloop.projects.models import Project, ProjectStatus
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.types import utcnow
from crowdloop.work import claiming

POOL_PER_LEASE = 4  # open tasks fetched per requested lease
POOL_MIN, POOL_MAX = 1_000, 200_000
LAP_MAX_EDGES = 20_000


def push(
    session: Session,
    user: User,
    project_id: int,
    request: AssignRequest,
    *,
    now: datetime | None = None,
) -> AssignResult:
    """Plan (and unless ``dry_run``, lease) assignments for the project's workers."""
    now = now or utcnow()
    project = access.for_manager(session, user, project_id)
    _check_project(project, now)
    workers = _workers(session, project, request, now)
    wqs = repository.qualities(session, project.id, [w.id for w in workers])
    caps = _capacities(workers, request)
    limit = int(np.clip(caps.sum() * POOL_PER_LEASE, POOL_MIN, POOL_MAX))
    pool = repository.open_pool(session, project.id, now=now, limit=limit)
    if not pool:
        raise Conflict(f"project {project.id} has no open tasks to assign")
    graph = candidate_graph(session, project, pool, workers, wqs, k=request.candidates)
    value = _values(session, project, pool, [wqs.get(w.id) for w in workers], graph, now)
    chosen = assign(
        graph.task_idx,
        graph.worker_idx,
        value,
        n_tasks=len(pool),
        n_workers=len(workers),
        task_capacity=np.array([int(r.slots) for r in pool], dtype=np.int64),
        worker_capacity=caps,
        method=_method(request.method, int(graph.task_idx.size)),
    )
    plan = [
        PlannedAssignment(
            worker_id=workers[int(graph.worker_idx[i])].id,
            task_id=int(pool[int(graph.task_idx[i])].id),
            value=float(value[i]),
        )
        for i in chosen.tolist()
    ]
    result = AssignResult(
        project_id=project.id,
        dry_run=request.dry_run,
        workers=len(workers),
        tasks_considered=len(pool),
        candidate_edges=int(graph.task_idx.size),
        planned=len(plan),
        created=0,
        lost_races=0,
        budget_exhausted=False,
        assignments=plan,
    )
    if not request.dry_run:
        _lease(
            session, project, {w.id: w for w in workers}, {int(r.id): r for r in pool}, result, now
        )
    return result


def _method(asked: Method, n_edges: int) -> Method:
    """``auto`` without OR-Tools: the library's choice (exact ``lap`` when one side has
    capacity 1) on small graphs, ``greedy`` on large ones (LAPJVsp after slot expansion
    took 13 s on 200k edges; greedy is within a few percent, docs/benchmarks/allocation.md)."""
    if asked == "flow" and not has_ortools():
        raise InvalidInput("method 'flow' needs OR-Tools: pip install ortools")
    if asked != "auto" or has_ortools() or n_edges <= LAP_MAX_EDGES:
        return asked
    return "greedy"


def _check_project(project: Project, now: datetime) -> None:
    if project.status != ProjectStatus.active:
        raise Conflict(f"project {project.id} is {project.status.value}, not active")
    if project.deadline is not None and project.deadline <= now:
        raise Conflict(f"project {project.id} is past its deadline")


def _workers(
    session: Session, project: Project, request: AssignRequest, now: datetime
) -> list[User]:
    """The workers to plan for: the requested ones (each checked), else every allowed,
    unblocked worker who is not still taking the qualification test."""
    if request.worker_ids is None:
        candidates = [
            w
            for w in repository.allowed_workers(session, project)
            if policy.can_take(set(w.skills), project.required_skills)
        ]
        wqs = repository.qualities(session, project.id, [w.id for w in candidates])
        found = [
            w
            for w in candidates
            if policy.unavailable(session, project, wqs.get(w.id), now) is None
        ]
        if not found:
            raise Conflict(f"no worker is available for project {project.id} right now")
        return found
    ids = sorted(set(request.worker_ids))
    found = repository.users(session, ids)
    missing = sorted(set(ids) - {w.id for w in found})
    if missing:
        raise InvalidInput(f"unknown worker ids: {', '.join(map(str, missing))}")
    wqs = repository.qualities(session, project.id, ids)
    for worker in found:
        if not access.worker_is_eligible(session, worker, project):
            raise InvalidInput(f"user {worker.id} is not a worker allowed on project {project.id}")
        reason = policy.unavailable(session, project, wqs.get(worker.id), now)
        if reason is not None:
            raise InvalidInput(f"worker {worker.id} cannot get tasks now: {reason}")
    if request.capacities and not set(request.capacities) <= set(ids):
        extra = sorted(set(request.capacities) - set(ids))
        raise InvalidInput(f"capacities name workers not in worker_ids: {extra}")
    return sorted(found, key=lambda w: w.id)


def _capacities(workers: Sequence[User], request: AssignRequest) -> NDArray[np.int64]:
    per = request.capacities or {}
    return np.array([per.get(w.id, request.capacity) for w in workers], dtype=np.int64)


def _values(
    session: Session,
    project: Project,
    pool: Sequence[Any],
    wqs: Sequence[WorkerQuality | None],
    graph: Graph,
    now: datetime,
) -> NDArray[np.float64]:
    k = scoring.n_labels(scoring.labels_of(project))
    confusions = np.stack([scoring.confusion_of(wq, k) for wq in wqs])
    priors = ai.model_priors(session, project, [r.id for r in pool])
    return scoring.pair_values(
        project, pool, confusions, graph.task_idx, graph.worker_idx, now=now, priors=priors
    )


def _lease(
    session: Session,
    project: Project,
    workers: dict[int, User],
    tasks: dict[int, Any],
    result: AssignResult,
    now: datetime,
) -> None:
    """Lease the plan through the conditional slot claim (batched, see claim_many)."""
    pairs = [(workers[a.worker_id], tasks[a.task_id]) for a in result.assignments]
    if project.budget_cents is None:
        leases = claiming.claim_many(session, project, pairs, now=now)
    else:
        leases = _one_by_one(session, project, pairs, now)
        result.budget_exhausted = len(leases) < len(pairs)
    for planned, lease in zip(result.assignments, leases, strict=False):
        if lease is None:
            result.lost_races += 1
            continue
        planned.assignment_id = lease.id
        result.created += 1
    result.assignments = [a for a in result.assignments if a.assignment_id is not None]


def _one_by_one(
    session: Session, project: Project, pairs: list[tuple[User, Any]], now: datetime
) -> list[Any]:
    """Claim with budget reservation, stopping when the budget runs out."""
    leases: list[Any] = []
    for worker, row in pairs:
        try:
            leases.append(claiming.claim_task(session, worker, project, row, now=now))
        except NoTaskAvailable:
            break
    return leases

"""Candidate edges for push assignment: ~k eligible open tasks per worker.

Hard constraints, exactly: the task's required skills are a subset of the worker's,
the worker never had the task, and an escalated task only goes to a worker above the
escalation floor. Workers sharing a skill set are spread over the tasks open to that set
(worker r of the group starts at position r * k), so each task gets a fair share of
candidate workers. O(n_workers * k) edges; no scan of workers x tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.allocation import policy, repository
from crowdloop.projects.models import Project

IntArray = NDArray[np.int64]
OVERSAMPLE = 2  # positions looked at per wanted candidate (some are filtered out)


@dataclass(frozen=True)
class Graph:
    task_idx: IntArray  # positions in the pool
    worker_idx: IntArray  # positions in the worker list


def _groups(keys: Sequence[frozenset[str]]) -> tuple[list[frozenset[str]], IntArray]:
    distinct = sorted(set(keys), key=sorted)
    index = {key: i for i, key in enumerate(distinct)}
    return distinct, np.array([index[k] for k in keys], dtype=np.int64)


def candidate_graph(
    session: Session,
    project: Project,
    pool: Sequence[Any],
    workers: Sequence[User],
    wqs: dict[int, Any],
    *,
    k: int,
) -> Graph:
    task_sets, task_group = _groups([frozenset(r.required_skills or ()) for r in pool])
    worker_sets, worker_group = _groups([frozenset(w.skills) for w in workers])
    t_parts, w_parts = [], []
    for g, skills in enumerate(worker_sets):
        open_to = [i for i, need in enumerate(task_sets) if policy.can_take(skills, need)]
        tasks = np.flatnonzero(np.isin(task_group, open_to))
        members = np.flatnonzero(worker_group == g)
        if tasks.size == 0 or members.size == 0:
            continue
        width = min(tasks.size, OVERSAMPLE * k)
        offsets = np.arange(members.size)[:, None] * k + np.arange(width)[None, :]
        t_parts.append(tasks[offsets % tasks.size].ravel())
        w_parts.append(np.repeat(members, width))
    if not t_parts:
        return Graph(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    t, w = np.concatenate(t_parts), np.concatenate(w_parts)
    strong = _strong_enough(session, project, pool, [u.id in wqs for u in workers], workers)
    ok = ~_had(session, project, pool, workers, t, w) & np.asarray(strong[0][t] | strong[1][w])
    return _first_k(t[ok], w[ok], k)


def _had(
    session: Session,
    project: Project,
    pool: Sequence[Any],
    workers: Sequence[User],
    t: IntArray,
    w: IntArray,
) -> NDArray[np.bool_]:
    """Edges whose (task, worker) pair already had an assignment."""
    task_pos = {int(r.id): i for i, r in enumerate(pool)}
    worker_pos = {u.id: i for i, u in enumerate(workers)}
    n = len(workers)
    seen = [
        task_pos[int(row.task_id)] * n + worker_pos[int(row.worker_id)]
        for row in repository.had_pairs(session, project.id, list(worker_pos))
        if int(row.task_id) in task_pos
    ]
    return np.isin(t * n + w, np.asarray(seen, dtype=np.int64))


def _strong_enough(
    session: Session,
    project: Project,
    pool: Sequence[Any],
    known: list[bool],
    workers: Sequence[User],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(open to anyone per task, above the escalation floor per worker): an escalated
    task only goes to a strong worker (``policy``). ``known``: the worker has a quality row."""
    rule = policy.escalation(project)
    if rule is None:
        return np.ones(len(pool), dtype=bool), np.ones(len(workers), dtype=bool)
    easy = np.array([not rule.is_hard(r.n_answers, r.confidence) for r in pool])
    strong = np.array(
        [
            policy.is_strong(session, project, u.id, rule, known=has)
            for has, u in zip(known, workers, strict=True)
        ],
        dtype=bool,
    )
    return easy, strong


def _first_k(t: IntArray, w: IntArray, k: int) -> Graph:
    """At most k edges per worker, in the order generated (edges come grouped by worker)."""
    order = np.argsort(w, kind="stable")
    t, w = t[order], w[order]
    starts = np.searchsorted(w, w, side="left")
    keep = (np.arange(w.size) - starts) < k
    return Graph(t[keep], w[keep])

"""A project's allocation status (who can take what, and why not) and task difficulty."""

from __future__ import annotations

import json
from datetime import datetime
from statistics import median
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.algorithms.allocation.difficulty import (
    DifficultySignals,
    posterior_entropy,
    task_difficulty,
    time_signal,
)
from crowdloop.allocation import policy, repository, scoring
from crowdloop.allocation.schemas import AllocationStatus, TaskDifficulty
from crowdloop.errors import NotFound
from crowdloop.projects.models import Project, Task
from crowdloop.quality import inference
from crowdloop.storage.types import utcnow

RECENT_ANSWERS = 500  # the project's typical answer time comes from its newest answers


def status(session: Session, project: Project, *, now: datetime | None = None) -> AllocationStatus:
    now = now or utcnow()
    config = inference.config_of(project)
    workers = [
        w
        for w in repository.allowed_workers(session, project)
        if policy.can_take(set(w.skills), project.required_skills)
    ]
    open_tasks = repository.count_open(session, project.id, now=now)
    controls = repository.count_controls(session, project.id)
    unmet, unmet_sets = _unmet(session, project, workers, now)
    escalated, strong = _escalation(session, project, workers, now)
    problems = _problems(project, open_tasks, workers, unmet_sets, (escalated, strong))
    test = config.qualification
    if test is not None and controls < test.tasks:
        problems.append(
            f"the qualification asks for {test.tasks} control tasks but the project has"
            f" {controls}: new workers cannot qualify"
        )
    return AllocationStatus(
        project_id=project.id,
        allocation=config.allocation,
        open_tasks=open_tasks,
        control_tasks=controls,
        eligible_workers=len(workers),
        tasks_no_worker_can_take=unmet,
        escalated_waiting=escalated,
        strong_workers=strong,
        problems=problems,
    )


def _unmet(
    session: Session, project: Project, workers: list[User], now: datetime
) -> tuple[int, list[tuple[list[str], int]]]:
    """Open tasks whose required skills no eligible worker holds, per requirement."""
    skill_sets = {frozenset(w.skills) for w in workers}
    unmet: list[tuple[list[str], int]] = []
    for text, count in repository.open_skill_sets(session, project.id, now=now):
        need = frozenset(json.loads(text) if text else [])
        if need and not any(policy.can_take(have, need) for have in skill_sets):
            unmet.append((sorted(need), int(count)))
    return sum(n for _, n in unmet), unmet


def _escalation(
    session: Session, project: Project, workers: list[User], now: datetime
) -> tuple[int, int | None]:
    rule = policy.escalation(project)
    if rule is None:
        return 0, None
    waiting = repository.count_escalated(session, project.id, now=now, dynamic=rule)
    known = repository.qualities(session, project.id, [w.id for w in workers])
    strong = sum(
        policy.is_strong(session, project, w.id, rule, known=w.id in known) for w in workers
    )
    return waiting, int(strong)


def _problems(
    project: Project,
    open_tasks: int,
    workers: list[User],
    unmet: list[tuple[list[str], int]],
    escalation: tuple[int, int | None],
) -> list[str]:
    problems = []
    if open_tasks == 0:
        problems.append("no open tasks: every task has all its answers or is past its deadline")
    if not workers:
        problems.append(f"no active worker is allowed on project {project.id}")
    for need, count in unmet:
        problems.append(
            f"constraints no worker meets: {count} open tasks need skills"
            f" {', '.join(need)}, which no active worker has"
        )
    waiting, strong = escalation
    if waiting and strong == 0:
        problems.append(
            f"{waiting} escalated tasks wait for a strong worker, and no eligible worker"
            " is above the escalation floor yet"
        )
    return problems


def difficulty(session: Session, project: Project, task_id: int) -> TaskDifficulty:
    """``task_difficulty`` from the posterior entropy, answer disagreement, answer time
    (vs. the project's recent median), the AI model's uncertainty and the requester's
    prior. A few small queries."""
    task = session.get(Task, task_id)
    if task is None or task.project_id != project.id:
        raise NotFound(f"task {task_id} not found in project {project.id}")
    labels = scoring.labels_of(project)
    entropy = float(posterior_entropy(scoring.posteriors([task], labels))[0])
    answers = repository.task_answers(session, task.id)
    spread = _disagreement([a.answer for a in answers], len(labels or ()))
    timing = _time(session, project, answers)
    prior = None if task.difficulty is None else float(task.difficulty)
    model = _model_uncertainty(session, project, task.id)
    signals = DifficultySignals(
        entropy=[entropy if answers or task.n_answers else np.nan],
        disagreement=[np.nan if spread is None else spread],
        time=[np.nan if timing is None else timing],
        model_uncertainty=[np.nan if model is None else model],
        prior=[np.nan if prior is None else prior],
    )
    return TaskDifficulty(
        task_id=task.id,
        difficulty=float(task_difficulty(1, signals)[0]),
        entropy=entropy if answers or task.n_answers else None,
        disagreement=spread,
        time=timing,
        model_uncertainty=model,
        prior=prior,
        n_answers=task.n_answers,
    )


def _model_uncertainty(session: Session, project: Project, task_id: int) -> float | None:
    """1 - the current AI model's top probability for the task (None: no model or no
    prediction; only for projects with AI on)."""
    if not (project.ai_config or {}).get("enabled"):
        return None
    confidence = ai.model_confidence(session, project.id, [task_id]).get(task_id)
    return None if confidence is None else 1.0 - float(confidence)


def _disagreement(values: list[Any], n_labels: int) -> float | None:
    """(1 - share of the most common answer) / (1 - 1/K): K labels, or for free answers
    the number of distinct answers seen (at least 2)."""
    if not values:
        return None
    keys = [json.dumps(v, sort_keys=True) for v in values]
    top = max(keys.count(k) for k in set(keys))
    k = n_labels if n_labels >= 2 else max(len(set(keys)), 2)
    return (1.0 - top / len(keys)) / (1.0 - 1.0 / k)


def _seconds(rows: list[Any]) -> list[float]:
    return [
        (r.finished_at - r.created_at).total_seconds() for r in rows if r.finished_at is not None
    ]


def _time(session: Session, project: Project, answers: list[Any]) -> float | None:
    mine = _seconds(answers)
    if not mine:
        return None
    typical = _seconds(repository.recent_answer_times(session, project.id, RECENT_ANSWERS))
    signal = time_signal([median(mine), *typical])
    return float(signal[0]) if np.isfinite(signal[0]) else None

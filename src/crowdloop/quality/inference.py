"""Truth inference inside the platform: per-answer online updates and full re-fits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from crowdloop.ai import truth as ai_truth
from crowdloop.algorithms.allocation import pairwise_confidence
from crowdloop.algorithms.answers import Answers, NumericAnswers
from crowdloop.algorithms.online import default_confusion, task_posterior
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, NUMERIC_METHODS
from crowdloop.errors import InvalidInput
from crowdloop.projects.models import Project
from crowdloop.projects.quality_config import QualityConfig
from crowdloop.quality import loading, repository
from crowdloop.quality.aggregate import aggregate
from crowdloop.quality.fading import DAY, faded_accuracy
from crowdloop.quality.models import WorkerQuality
from crowdloop.quality.schemas import RefitReport
from crowdloop.storage.types import utcnow


def config_of(project: Project) -> QualityConfig:
    return QualityConfig.model_validate(project.quality_config or {})


@dataclass(frozen=True)
class TaskState:
    """A task's current answer, its confidence, and the confidence dynamic overlap stops on
    (for single choice with more than two labels, the lower pairwise bound of
    ``algorithms.allocation.pairwise_confidence``: it holds however workers' errors spread
    over the wrong labels; otherwise the confidence itself)."""

    answer: Any
    confidence: float
    stop_confidence: float


def aggregate_task(session: Session, project: Project, task_id: int) -> tuple[Any, float] | None:
    """The task's current answer and confidence from the answers so far."""
    state = task_state(session, project, task_id)
    return None if state is None else (state.answer, state.confidence)


def task_state(session: Session, project: Project, task_id: int) -> TaskState | None:
    """The task's answer and confidences from the answers so far (None without answers).

    Single choice after a first fit: the exact Dawid-Skene posterior with the fitted worker
    confusions held fixed (workers not yet fitted get a default). Otherwise per-task rules.
    """
    rows = repository.task_answers(session, task_id)
    if not rows:
        return None
    state = project.quality_state or {}
    if project.task_type != "single_choice" or "priors" not in state:
        found = aggregate(project.answer_schema, [r.answer for r in rows])
        return None if found is None else TaskState(found[0], found[1], found[1])
    labels = list(project.answer_schema["labels"])
    codes = np.array([labels.index(r.answer) for r in rows], dtype=np.int64)
    fitted = repository.confusions(session, project.id, [r.worker_id for r in rows])
    fallback = default_confusion(len(labels))
    stack = np.stack([np.asarray(fitted.get(r.worker_id) or fallback) for r in rows])
    vote = ai_truth.task_vote(session, project, task_id)
    if vote is not None and vote[0] in labels:  # the model's vote, with its fitted confusion
        codes = np.append(codes, labels.index(vote[0]))
        stack = np.concatenate([stack, np.asarray([vote[1]], dtype=np.float64)])
    priors = np.asarray(state["priors"], dtype=np.float64)
    post = task_posterior(codes, stack, priors)
    best = int(np.argmax(post))
    stop = float(post[best])
    if len(labels) > 2:
        stop = min(stop, _pairwise(codes, stack, priors, best))
    return TaskState(labels[best], float(post[best]), stop)


def _pairwise(codes: np.ndarray, confusions: np.ndarray, priors: np.ndarray, best: int) -> float:
    """One task's pairwise bound, each answer weighted by its worker's mean accuracy."""
    n, k = codes.size, priors.size
    accuracy = np.einsum("c,acc->a", priors, confusions)
    one = Answers(np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64), codes, 1, n, k)
    return float(pairwise_confidence(one, accuracy, np.array([best], dtype=np.int64))[0])


@dataclass
class Fit:
    """What a re-fit computed (read phase), to be stored by :func:`store` (write phase)."""

    report: RefitReport
    updates: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    state: dict[str, Any]


def refit(session: Session, project: Project) -> RefitReport:
    """Re-run truth inference over the whole project and store results and worker quality."""
    fit = compute(session, project)
    store(session, project, fit)
    return fit.report


def compute(session: Session, project: Project) -> Fit:
    """Read phase: load the answers lean and fit. Runs in a read-only unit of work, so a
    long fit never holds SQLite's write lock while workers are answering."""
    method = config_of(project).method
    if project.task_type == "single_choice":
        return _fit_categorical(session, project, method)
    if project.task_type == "rating":
        return _fit_numeric(session, project, method)
    raise InvalidInput(
        f"re-inference supports single_choice and rating projects, not {project.task_type}"
    )


def _fit_categorical(session: Session, project: Project, method: str) -> Fit:
    if method not in CATEGORICAL_METHODS:
        raise InvalidInput(f"unknown method {method!r}; choose from {sorted(CATEGORICAL_METHODS)}")
    labels = list(project.answer_schema["labels"])
    code = {label: i for i, label in enumerate(labels)}

    def encode(value: Any) -> float:
        return float(code.get(value, -1)) if value is not None else -1.0

    half_life = config_of(project).ability_half_life_days
    tasks = loading.task_table(session, project.id, encode)
    rows = loading.answer_arrays(session, project.id, tasks, encode, times=half_life is not None)
    human = Answers(
        task_idx=rows.task,
        worker_idx=rows.worker,
        label_idx=rows.value.astype(np.int64),
        n_tasks=len(tasks.ids),
        n_workers=len(rows.worker_ids),
        n_labels=len(labels),
    )
    votes = ai_truth.fit_votes(session, project, tasks.ids, code)
    answers = human if votes is None else _with_votes(human, votes)
    gold = np.nan_to_num(tasks.gold, nan=-1.0).astype(np.int64)
    model = CATEGORICAL_METHODS[method]().fit(answers, gold=gold)
    inferred = model.labels_.astype(np.float64)
    # A task nobody answered keeps its result (e.g. a certified machine answer, crowdloop.ai).
    inferred[np.bincount(human.task_idx, minlength=len(tasks.ids)) == 0] = np.nan
    updates = _changed(tasks, inferred, model.confidence_, labels)
    workers = _worker_rows(model, human, rows, half_life)
    priors = getattr(model, "priors_", None)
    if priors is None:
        priors = np.bincount(model.labels_, minlength=len(labels)) + 1.0
        priors = priors / priors.sum()
    state = _state(session, project, method, [float(p) for p in priors])
    if votes is not None:
        state[ai_truth.MODEL_KEY] = _pseudo_worker(model, human.n_workers, votes)
    report = RefitReport(
        project_id=project.id,
        method=method,
        tasks=len(tasks.ids),
        answers=len(rows.value),
        workers=len(rows.worker_ids),
        changed=len(updates),
        n_iter=int(getattr(model, "n_iter_", 0)),
    )
    return Fit(report=report, updates=updates, workers=workers, state=state)


def _with_votes(human: Answers, votes: ai_truth.ModelVotes) -> Answers:
    """The human answers plus the model's votes as one more worker (the last index)."""
    model_idx = np.full(votes.task_idx.size, human.n_workers, dtype=np.int64)
    return Answers(
        task_idx=np.concatenate([human.task_idx, votes.task_idx]),
        worker_idx=np.concatenate([human.worker_idx, model_idx]),
        label_idx=np.concatenate([human.label_idx, votes.label_idx]),
        n_tasks=human.n_tasks,
        n_workers=human.n_workers + 1,
        n_labels=human.n_labels,
    )


def _pseudo_worker(model: Any, index: int, votes: ai_truth.ModelVotes) -> dict[str, Any]:
    """The model's fitted quality, as the per-answer posterior and the AI status use it."""
    confusion = getattr(model, "confusion_", None)
    return {
        "version_id": votes.version_id,
        "votes": int(votes.task_idx.size),
        "accuracy": float(model.worker_accuracy_[index]),
        "accuracy_low": float(model.worker_accuracy_interval_[index, 0]),
        "confusion": None if confusion is None else confusion[index].round(6).tolist(),
    }


def _worker_rows(
    model: Any, human: Answers, rows: loading.AnswerArrays, half_life: float | None
) -> list[dict[str, Any]]:
    """Each person's fitted quality (the model's pseudo-worker, if any, is not one)."""
    agreement = _agreement(human, model.labels_)
    confusion = getattr(model, "confusion_", None)
    accuracy, interval = model.worker_accuracy_, model.worker_accuracy_interval_
    if half_life is not None and rows.finished is not None:
        accuracy, interval = faded_accuracy(model, human, rows.finished, half_life * DAY)
    return [
        {
            "worker_id": worker_id,
            "accuracy": float(accuracy[c]),
            "accuracy_low": float(interval[c, 0]),
            "accuracy_high": float(interval[c, 1]),
            "agreement": float(agreement[c]),
            "confusion": None if confusion is None else confusion[c].round(6).tolist(),
        }
        for c, worker_id in enumerate(rows.worker_ids)
    ]


def _fit_numeric(session: Session, project: Project, method: str) -> Fit:
    method = method if method in NUMERIC_METHODS else "weighted"

    def encode(value: Any) -> float:
        return np.nan if value is None else float(value)

    tasks = loading.task_table(session, project.id, encode)
    rows = loading.answer_arrays(session, project.id, tasks, encode)
    answers = NumericAnswers(
        task_idx=rows.task,
        worker_idx=rows.worker,
        values=rows.value,
        n_tasks=len(tasks.ids),
        n_workers=len(rows.worker_ids),
    )
    model = NUMERIC_METHODS[method]().fit(answers)
    span = float(project.answer_schema["max"]) - float(project.answer_schema["min"])
    # Standard error -> a 0..1 confidence on the scale of the rating range.
    se = np.nan_to_num(model.confidence_, nan=span, posinf=span)
    updates = _changed(
        tasks, np.asarray(model.values_, dtype=np.float64), np.clip(1 - se / span, 0, 1), None
    )
    report = RefitReport(
        project_id=project.id,
        method=method,
        tasks=len(tasks.ids),
        answers=len(rows.value),
        workers=len(rows.worker_ids),
        changed=len(updates),
        n_iter=int(getattr(model, "n_iter_", 0)),
    )
    return Fit(
        report=report, updates=updates, workers=[], state=_state(session, project, method, None)
    )


def _changed(
    tasks: loading.TaskTable, new: Any, confidence: Any, labels: list[str] | None
) -> list[dict[str, Any]]:
    """Tasks that have answers, are not controls, and whose result or confidence moved.

    ``new`` holds label codes (``labels`` given) or numeric values; only the changed rows
    become Python dictionaries."""
    conf = np.asarray(confidence, dtype=np.float64)
    moved = ~np.isclose(new, tasks.result, equal_nan=True) | ~np.isclose(conf, tasks.confidence)
    answered = ~np.isnan(tasks.result) & (tasks.result >= 0 if labels else True)
    picked = np.flatnonzero(moved & answered & ~tasks.is_control & ~np.isnan(new))
    return [
        {
            "id": int(tasks.ids[i]),
            "result": labels[int(new[i])] if labels else float(new[i]),
            "confidence": float(conf[i]),
        }
        for i in picked
    ]


def _agreement(answers: Answers, labels: Any) -> Any:
    hits = (answers.label_idx == labels[answers.task_idx]).astype(np.float64)
    agree = np.bincount(answers.worker_idx, weights=hits, minlength=answers.n_workers)
    count = np.bincount(answers.worker_idx, minlength=answers.n_workers)
    return agree / np.maximum(count, 1)


def _state(
    session: Session, project: Project, method: str, priors: list[float] | None
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "method": method,
        "last_answer_id": repository.last_answer_id(session, project.id),
        "fitted_at": utcnow().isoformat(),
    }
    if priors is not None:
        state["priors"] = priors
    return state


def store(session: Session, project: Project, fit: Fit) -> None:
    """Write phase: results that changed (in batches), worker quality, fit bookkeeping."""
    for start in range(0, len(fit.updates), loading.CHUNK):
        repository.set_results(session, fit.updates[start : start + loading.CHUNK])
    for row in fit.workers:
        wq = ensure(session, project.id, row["worker_id"])
        wq.accuracy, wq.accuracy_low = row["accuracy"], row["accuracy_low"]
        wq.accuracy_high, wq.agreement = row["accuracy_high"], row["agreement"]
        wq.confusion = row["confusion"]
        wq.updated_at = utcnow()
    project.quality_state = fit.state
    session.flush()


def ensure(session: Session, project_id: int, worker_id: int) -> WorkerQuality:
    wq = repository.worker_quality(session, project_id, worker_id)
    if wq is None:
        wq = WorkerQuality(
            project_id=project_id,
            worker_id=worker_id,
            n_answers=0,
            n_control=0,
            n_control_correct=0,
            n_fast=0,
            skip_streak=0,
            updated_at=utcnow(),
        )
        session.add(wq)
        session.flush()
    return wq

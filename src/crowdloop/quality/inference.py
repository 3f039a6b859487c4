"""Truth inference inside the platform: per-answer online updates and full re-fits."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers
from crowdloop.algorithms.online import default_confusion, task_posterior
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, NUMERIC_METHODS
from crowdloop.errors import InvalidInput
from crowdloop.projects.models import Project
from crowdloop.quality import repository
from crowdloop.quality.models import WorkerQuality
from crowdloop.quality.schemas import QualityConfig, RefitReport
from crowdloop.results.aggregate import aggregate
from crowdloop.storage.types import utcnow


def config_of(project: Project) -> QualityConfig:
    return QualityConfig.model_validate(project.quality_config or {})


def aggregate_task(session: Session, project: Project, task_id: int) -> tuple[Any, float] | None:
    """The task's current answer and confidence from the answers so far.

    Single choice after a first fit: the exact Dawid-Skene posterior with the fitted worker
    confusions held fixed (workers not yet fitted get a default). Otherwise per-task rules.
    """
    rows = repository.task_answers(session, task_id)
    if not rows:
        return None
    state = project.quality_state or {}
    if project.task_type != "single_choice" or "priors" not in state:
        return aggregate(project.answer_schema, [r.answer for r in rows])
    labels = list(project.answer_schema["labels"])
    codes = np.array([labels.index(r.answer) for r in rows], dtype=np.int64)
    fitted = repository.confusions(session, project.id, [r.worker_id for r in rows])
    fallback = default_confusion(len(labels))
    stack = np.stack([np.asarray(fitted.get(r.worker_id) or fallback) for r in rows])
    post = task_posterior(codes, stack, np.asarray(state["priors"], dtype=np.float64))
    best = int(np.argmax(post))
    return labels[best], float(post[best])


def refit(session: Session, project: Project) -> RefitReport:
    """Re-run truth inference over the whole project and store results and worker quality."""
    method = config_of(project).method
    if project.task_type == "single_choice":
        return _refit_categorical(session, project, method)
    if project.task_type == "rating":
        return _refit_numeric(session, project, method)
    raise InvalidInput(
        f"re-inference supports single_choice and rating projects, not {project.task_type}"
    )


def _refit_categorical(session: Session, project: Project, method: str) -> RefitReport:
    if method not in CATEGORICAL_METHODS:
        raise InvalidInput(f"unknown method {method!r}; choose from {sorted(CATEGORICAL_METHODS)}")
    labels = list(project.answer_schema["labels"])
    rows = repository.project_answers(session, project.id)
    tasks = repository.project_tasks(session, project.id)
    task_cb, worker_cb = Codebook([t.id for t in tasks]), Codebook({r.worker_id for r in rows})
    label_cb = Codebook(labels, keep_order=True)
    answers = Answers(
        task_idx=task_cb.encode([r.task_id for r in rows]),
        worker_idx=worker_cb.encode([r.worker_id for r in rows]),
        label_idx=label_cb.encode([r.answer for r in rows]),
        n_tasks=len(task_cb),
        n_workers=len(worker_cb),
        n_labels=len(labels),
    )
    gold = np.full(len(task_cb), -1, dtype=np.int64)
    for t in tasks:
        if t.is_control and t.gold in labels:
            gold[task_cb.encode([t.id])[0]] = labels.index(t.gold)
    model = CATEGORICAL_METHODS[method]().fit(answers, gold=gold)
    changed = _store_results(
        session, tasks, task_cb, [labels[i] for i in model.labels_], model.confidence_
    )
    agreement = _agreement(answers, model.labels_)
    confusion = getattr(model, "confusion_", None)
    for code, worker_id in enumerate(worker_cb.ids):
        wq = ensure(session, project.id, int(worker_id))  # type: ignore[call-overload]
        wq.accuracy = float(model.worker_accuracy_[code])
        wq.accuracy_low, wq.accuracy_high = map(float, model.worker_accuracy_interval_[code])
        wq.agreement = float(agreement[code])
        wq.confusion = None if confusion is None else confusion[code].round(6).tolist()
        wq.updated_at = utcnow()
    priors = getattr(model, "priors_", None)
    if priors is None:
        priors = np.bincount(model.labels_, minlength=len(labels)) + 1.0
        priors = priors / priors.sum()
    _save_state(session, project, method, list(map(float, priors)))
    return RefitReport(
        project_id=project.id,
        method=method,
        tasks=len(task_cb),
        answers=len(rows),
        workers=len(worker_cb),
        changed=changed,
        n_iter=int(getattr(model, "n_iter_", 0)),
    )


def _refit_numeric(session: Session, project: Project, method: str) -> RefitReport:
    method = method if method in NUMERIC_METHODS else "weighted"
    rows = repository.project_answers(session, project.id)
    tasks = repository.project_tasks(session, project.id)
    task_cb, worker_cb = Codebook([t.id for t in tasks]), Codebook({r.worker_id for r in rows})
    answers = NumericAnswers(
        task_idx=task_cb.encode([r.task_id for r in rows]),
        worker_idx=worker_cb.encode([r.worker_id for r in rows]),
        values=np.asarray([float(r.answer) for r in rows], dtype=np.float64),
        n_tasks=len(task_cb),
        n_workers=len(worker_cb),
    )
    model = NUMERIC_METHODS[method]().fit(answers)
    values = [None if np.isnan(v) else float(v) for v in model.values_]
    span = float(project.answer_schema["max"]) - float(project.answer_schema["min"])
    # Standard error -> a 0..1 confidence on the scale of the rating range.
    se = np.nan_to_num(model.confidence_, nan=span, posinf=span)
    changed = _store_results(session, tasks, task_cb, values, np.clip(1 - se / span, 0, 1))
    _save_state(session, project, method, None)
    return RefitReport(
        project_id=project.id,
        method=method,
        tasks=len(task_cb),
        answers=len(rows),
        workers=len(worker_cb),
        changed=changed,
        n_iter=int(getattr(model, "n_iter_", 0)),
    )


def _store_results(
    session: Session, tasks: Any, task_cb: Codebook, results: list[Any], confidence: Any
) -> int:
    updates = []
    for t in tasks:
        code = int(task_cb.encode([t.id])[0])
        if t.is_control:
            continue
        new, conf = results[code], float(confidence[code])
        has_answers = t.result is not None
        if has_answers and (new != t.result or abs(conf - (t.confidence or 0.0)) > 1e-9):
            updates.append({"id": t.id, "result": new, "confidence": conf})
    repository.set_results(session, updates)
    return len(updates)


def _agreement(answers: Answers, labels: Any) -> Any:
    hits = (answers.label_idx == labels[answers.task_idx]).astype(np.float64)
    agree = np.bincount(answers.worker_idx, weights=hits, minlength=answers.n_workers)
    count = np.bincount(answers.worker_idx, minlength=answers.n_workers)
    return agree / np.maximum(count, 1)


def _save_state(
    session: Session, project: Project, method: str, priors: list[float] | None
) -> None:
    state: dict[str, Any] = {
        "method": method,
        "last_answer_id": repository.last_answer_id(session, project.id),
        "fitted_at": utcnow().isoformat(),
    }
    if priors is not None:
        state["priors"] = priors
    project.quality_state = state
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

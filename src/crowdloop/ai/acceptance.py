"""Held-out slice, batched prediction, certification, auto-acceptance and audit."""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crowdloop.ai import repository
from crowdloop.ai.backends.http import HttpPrelabeler
from crowdloop.ai.models import ModelStatus, ModelVersion, Prediction, TaskRole
from crowdloop.ai.protocols import Prelabeler, has_prediction
from crowdloop.ai.schemas import AiConfig, AiState
from crowdloop.ai.training import Progress, _quiet
from crowdloop.algorithms.guarantee import AuditResult, Certificate, audit, certify_threshold
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects.models import Project, Task
from crowdloop.storage.types import utcnow

PAGE = 1000
KEEP_PREDICTIONS = 2  # versions whose predictions are kept (the current and the previous)


def is_heldout(project_id: int, task_id: int, share: float) -> bool:
    """Random but reproducible held-out membership, seeded by the project id."""
    digest = hashlib.sha256(f"crowdloop-heldout:{project_id}:{task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def mark_heldout(session: Session, project: Project, config: AiConfig, state: AiState) -> int:
    """Mark the held-out slice among tasks not seen before; returns the new high-water id."""
    after = state.marked_through
    while ids := repository.task_ids_after(session, project.id, after, PAGE):
        rows = [
            {
                "task_id": t,
                "project_id": project.id,
                "role": TaskRole.heldout,
                "created_at": utcnow(),
            }
            for t in ids
            if is_heldout(project.id, t, config.holdout_share)
        ]
        repository.add_marks(session, repository.unmarked(session, rows))
        after = ids[-1]
    state.marked_through = after
    return after


def predict_page(
    session: Session, version: ModelVersion, model: Prelabeler, after: int, upto: int
) -> int | None:
    """Predict one page of open and judged tasks after ``after``; None when done."""
    rows = repository.to_predict(session, version.project_id, after, upto, PAGE)
    if not rows:
        return None
    proba = model.predict_proba([r.data if isinstance(r.data, dict) else {} for r in rows])
    ok = has_prediction(proba)
    labels = list(model.labels)
    now = utcnow()
    out: list[dict[str, Any]] = []
    for row, p, good in zip(rows, proba, ok, strict=True):
        top = int(np.argmax(p)) if good else -1
        out.append(
            {
                "project_id": version.project_id,
                "task_id": row.id,
                "model_version_id": version.id,
                "label": labels[top] if good else None,
                "confidence": float(p[top]) if good else None,
                "probabilities": [round(float(x), 6) for x in p] if good else None,
                "created_at": now,
            }
        )
    repository.add_predictions(session, out)
    version.n_predicted += len(out)
    if isinstance(model, HttpPrelabeler):
        version.detail = f"model server: {model.status.state}: {model.status.detail}"
        version.name = model.model_version
    session.flush()
    return int(rows[-1].id)


def predict_all(
    session: Session,
    version: ModelVersion,
    model: Prelabeler,
    upto: int,
    progress: Progress = _quiet,
) -> None:
    total = repository.count_to_predict(session, version.project_id, upto)
    after: int | None = 0
    while after is not None:
        after = predict_page(session, version, model, after, upto)
        progress("predicting", version.n_predicted, total)


def spent_delta(delta: float, version: int) -> float:
    """The error budget of the k-th version: ``delta * 6 / (pi^2 k^2)``. The budgets sum
    to ``delta``, so every certificate of every retraining on the same held-out slice is
    right at once with probability at least ``1 - delta`` (union bound)."""
    return delta * 6 / (math.pi**2 * version**2)


def certify(session: Session, version: ModelVersion, config: AiConfig) -> Certificate:
    conf, ok = repository.heldout_outcomes(session, version)
    level = spent_delta(config.delta, version.version)
    cert = certify_threshold(conf, ok, target=config.target_accuracy, delta=level)
    version.certificate = {**asdict(cert), "certified": cert.certified}
    version.threshold = cert.threshold
    return cert


def finish(
    session: Session, project: Project, version: ModelVersion, config: AiConfig, state: AiState
) -> Certificate:
    """Certify the version, make it current, auto-accept above its threshold if allowed."""
    cert = certify(session, version, config)
    if cert.certified:
        publish(
            session,
            EventType.model_certified,
            project_id=project.id,
            version_id=version.id,
            version=version.version,
            threshold=cert.threshold,
        )
    if isinstance(version.detail, str) and version.detail.startswith("model server:"):
        state.server_state = version.detail.split(":")[1].strip()
        state.server_detail = version.detail
    version.status = ModelStatus.ready
    session.flush()
    repository.prune_predictions(session, project.id, keep=KEEP_PREDICTIONS)
    if config.auto_accept and cert.threshold is not None and state.stopped_reason is None:
        auto_accept(session, version, cert.threshold, config)
    check_audit(session, project, config, state)
    return cert


def auto_accept(session: Session, version: ModelVersion, threshold: float, config: AiConfig) -> int:
    """Close open unanswered tasks above the threshold with the model's label, except a
    random audit share that stays open for people. Returns the number closed."""
    rng = np.random.default_rng([version.project_id, version.version])
    closed, after = 0, 0
    while rows := repository.acceptable(session, version, threshold, after, PAGE):
        after = int(rows[-1].task_id)
        to_audit = rng.random(len(rows)) < config.audit_share
        marks = [
            _mark(version, r, TaskRole.audit) for r, a in zip(rows, to_audit, strict=True) if a
        ]
        accept = [r for r, a in zip(rows, to_audit, strict=True) if not a]
        ids = _close(session, version, accept)
        marks += [_mark(version, r, TaskRole.auto) for r in accept if r.task_id in ids]
        repository.add_marks(session, marks)
        closed += len(ids)
    session.flush()
    return closed


def _mark(version: ModelVersion, row: Any, role: TaskRole) -> dict[str, Any]:
    return {
        "task_id": row.task_id,
        "project_id": version.project_id,
        "role": role,
        "model_version_id": version.id,
        "label": row.label,
        "confidence": row.confidence,
        "created_at": utcnow(),
    }


def _close(session: Session, version: ModelVersion, rows: list[Any]) -> set[int]:
    """One conditional UPDATE per label; a task a worker just claimed is left alone."""
    confidence = (
        select(Prediction.confidence)
        .where(Prediction.task_id == Task.id, Prediction.model_version_id == version.id)
        .scalar_subquery()
    )
    closed: set[int] = set()
    for label in sorted({r.label for r in rows}):
        ids = [r.task_id for r in rows if r.label == label]
        statement = (
            update(Task)
            .where(Task.id.in_(ids), Task.slots > 0, Task.n_active == 0, Task.n_answers == 0)
            .values(result=label, confidence=confidence, slots=0)
            .returning(Task.id)
            .execution_options(synchronize_session=False)
        )
        closed.update(session.scalars(statement))
    return closed


def audit_result(
    session: Session, project: Project, config: AiConfig, state: AiState
) -> AuditResult:
    n_correct, n = repository.audit_outcomes(session, project.id, state.audit_after_version_id)
    return audit(n_correct, n, target=config.target_accuracy, delta=config.delta)


def check_audit(
    session: Session, project: Project, config: AiConfig, state: AiState
) -> AuditResult:
    """Stop auto-acceptance by itself when the audit shows it misses the target, and send
    the auto-accepted tasks back to people."""
    result = audit_result(session, project, config, state)
    if result.stop and state.stopped_reason is None:
        n = repository.reopen_auto_accepted(session, project.id)
        state.stopped_reason = f"{result.status}; {n} auto-accepted tasks reopened for people"
        state.stopped_at = utcnow()
    return result

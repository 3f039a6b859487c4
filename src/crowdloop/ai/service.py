"""AI rules of a project: config, train-predict-certify-accept, suggestions, signals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdloop.ai import acceptance, repository, training
from crowdloop.ai.backends.embeddings import embeddings_available
from crowdloop.ai.models import ModelVersion, TaskRole
from crowdloop.ai.schemas import AiConfig, AiConfigUpdate, AiState, Suggestion
from crowdloop.ai.training import Progress, _quiet
from crowdloop.algorithms.uncertainty import uncertainty
from crowdloop.errors import Conflict, InvalidInput
from crowdloop.outbound import OutboundPolicy
from crowdloop.projects.models import Project, Task

__all__ = [
    "config_of",
    "model_confidence",
    "model_uncertainty",
    "run",
    "save",
    "state_of",
    "suggestion",
    "update_config",
]


def config_of(project: Project) -> AiConfig:
    raw = {k: v for k, v in (project.ai_config or {}).items() if k != "state"}
    return AiConfig.model_validate(raw)


def state_of(project: Project) -> AiState:
    return AiState.model_validate((project.ai_config or {}).get("state", {}))


def save(project: Project, config: AiConfig, state: AiState) -> None:
    project.ai_config = {**config.model_dump(mode="json"), "state": state.model_dump(mode="json")}


def update_config(
    session: Session,
    project: Project,
    update: AiConfigUpdate,
    *,
    outbound: OutboundPolicy = OutboundPolicy(),
) -> AiConfig:
    """Merge a partial update and validate it whole; nothing changes on bad input. A model
    server's URL must be public unless the operator allows private hosts (no SSRF)."""
    current, state = config_of(project), state_of(project)
    merged = {**current.model_dump(), **update.model_dump(exclude_unset=True)}
    try:
        config = AiConfig.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where + ': ' if where else ''}{first['msg']}") from None
    if config.url is not None and "url" in update.model_fields_set:
        outbound.check(config.url)
    if config.enabled or config.model != "tfidf":
        training.project_labels(project)
    if config.model == "embeddings" and (reason := embeddings_available()) is not None:
        raise InvalidInput(f"model 'embeddings' needs the extra crowdloop[ai]: {reason}")
    if update.auto_accept and state.stopped_reason is not None:
        _restart_audit(session, project, state)
    save(project, config, state)
    session.flush()
    return config


def _restart_audit(session: Session, project: Project, state: AiState) -> None:
    """The requester turned auto-acceptance back on: a fresh audit starts."""
    latest = repository.latest_version(session, project.id, ready=False)
    state.audit_after_version_id = latest.id if latest is not None else 0
    state.stopped_reason = None
    state.stopped_at = None


def run(session: Session, project: Project, *, progress: Progress = _quiet) -> ModelVersion:
    """Train (or connect the server), predict open and held-out tasks, certify, and
    auto-accept when allowed. One unit of work (the API, the CLI); the job splits it."""
    config, state = config_of(project), state_of(project)
    if not config.enabled:
        raise Conflict("AI is off for this project: enable it first (ai config --enable)")
    if not repository.try_training_lock(session, project.id):
        raise Conflict("this project's model is being trained right now; try again shortly")
    upto = acceptance.mark_heldout(session, project, config, state)
    fitted = training.fit(session, project, config, progress=progress)
    version = training.start_version(session, project, fitted)
    acceptance.predict_all(session, version, fitted.model, upto, progress)
    acceptance.finish(session, project, version, config, state)
    state.labels_at_training = fitted.n_trainable
    save(project, config, state)
    session.flush()
    return version


HELDOUT_ERROR_SHARE = 5  # held-out items are labelled to 1 - (1 - target) / 5


def answer_target(project: Project, task_id: int, target: float) -> float:
    """The confidence dynamic overlap asks of a task: stricter on the AI held-out slice,
    whose human labels judge the model (their errors would cap what can be certified)."""
    raw = project.ai_config or {}
    if not raw.get("enabled"):
        return target
    if not acceptance.is_heldout(project.id, task_id, float(raw.get("holdout_share", 0.1))):
        return target
    return 1 - (1 - target) / HELDOUT_ERROR_SHARE


def suggestion(session: Session, task: Task) -> Suggestion | None:
    """The model's label for a worker, or None: hidden-suggestion projects, held-out,
    audit and control tasks never get one (their answers must stay independent)."""
    project = session.get(Project, task.project_id)
    raw = (project.ai_config or {}) if project is not None else {}
    if not (raw.get("enabled") and raw.get("show_suggestions")) or task.is_control:
        return None
    share = float(raw.get("holdout_share", 0.1))
    if acceptance.is_heldout(task.project_id, task.id, share):
        return None
    if repository.role_of(session, task.id) is not None:
        return None
    row = repository.latest_prediction(session, task.id)
    if row is None or row.label is None or row.confidence is None:
        return None
    return Suggestion(
        label=row.label, confidence=row.confidence, model_version=f"v{row.version} {row.name}"
    )


def model_confidence(
    session: Session, project_id: int, task_ids: Sequence[int]
) -> dict[int, float | None]:
    """Top-class probability of the current model per task (None: no prediction).

    The allocation signal for active learning: low confidence means a person's answer is
    worth more. Tasks without a stored prediction are absent from the result."""
    version = repository.latest_version(session, project_id)
    if version is None or not task_ids:
        return {}
    return repository.confidences(session, version.id, task_ids)


PRIOR_CHUNK = 5_000  # task ids per predictions query


def model_priors(
    session: Session, project: Project, task_ids: Sequence[int]
) -> dict[int, list[float]]:
    """The current model's probabilities per task, as a prior for the allocation score
    (active learning: a person's answer is worth most where the model is unsure).

    Empty when AI is off or nothing is predicted; held-out tasks never get one, so the
    slice that judges the model is not labelled in the model's order."""
    raw = project.ai_config or {}
    if not raw.get("enabled") or not task_ids:
        return {}
    version = repository.latest_version(session, project.id)
    if version is None:
        return {}
    share = float(raw.get("holdout_share", 0.1))
    ids = [t for t in task_ids if not acceptance.is_heldout(project.id, t, share)]
    found: dict[int, list[float]] = {}
    for start in range(0, len(ids), PRIOR_CHUNK):
        rows = repository.probabilities(session, version.id, ids[start : start + PRIOR_CHUNK])
        found.update({t: p for t, p in rows.items() if p})
    return found


def model_uncertainty(
    session: Session, project_id: int, task_ids: Sequence[int]
) -> dict[int, float]:
    """Margin uncertainty in [0, 1] per task (1 - top + second probability); tasks
    without a prediction get ``inf``, so they rank first for people."""
    version = repository.latest_version(session, project_id)
    rows = repository.probabilities(session, version.id, task_ids) if version else {}
    scores: dict[int, float] = {}
    for task_id in task_ids:
        proba = rows.get(task_id)
        if proba is None:
            scores[task_id] = float("inf")
        else:
            scores[task_id] = float(uncertainty(np.asarray([proba], dtype=np.float64))[0])
    return scores


def role_counts(session: Session, project_id: int) -> dict[str, Any]:
    return {role.value: repository.count_role(session, project_id, role) for role in TaskRole}

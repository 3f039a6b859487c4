"""The model as a pseudo-worker in truth inference (``ai_config.in_truth``).

When a project turns it on, every re-fit adds one vote per task from the newest ready model
version, on tasks people answered that are not control, held-out, audit or auto-accepted
tasks, as the answers of one more worker. Its confusion matrix and accuracy are estimated
like anyone's from agreement with the crowd, and kept in the project's quality state so
that the per-answer posterior between re-fits counts the vote too. Its votes are never
answers: no assignment, no payment, no counter moves. The held-out slice and the audit never
see the model vote, so the certificate and the audit stay independent of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from crowdloop.ai import repository
from crowdloop.ai.service import config_of
from crowdloop.projects.models import Project

MODEL_KEY = "model"  # key of the model's fitted quality in ``projects.quality_state``


@dataclass(frozen=True)
class ModelVotes:
    """The model's votes as answer arrays (task codes, label codes) and their version."""

    task_idx: NDArray[np.int64]
    label_idx: NDArray[np.int64]
    version_id: int


def _version_id(session: Session, project: Project) -> int | None:
    config = config_of(project)
    if not (config.enabled and config.in_truth):
        return None
    version = repository.latest_version(session, project.id)
    return None if version is None else int(version.id)


def fit_votes(
    session: Session,
    project: Project,
    task_ids: NDArray[np.int64],
    label_code: dict[str, int],
) -> ModelVotes | None:
    """The votes to add to a re-fit, or None when the model does not vote; ``task_ids`` is
    the re-fit's sorted task table (a vote's task code is its position there)."""
    version_id = _version_id(session, project)
    if version_id is None:
        return None
    ids: list[int] = []
    labels: list[int] = []
    for row in repository.truth_votes(session, project.id, version_id):
        if row.label in label_code:
            ids.append(int(row.task_id))
            labels.append(label_code[row.label])
    if not ids:
        return None
    wanted = np.asarray(ids, dtype=np.int64)
    codes = np.minimum(np.searchsorted(task_ids, wanted), max(task_ids.size - 1, 0))
    keep = task_ids[codes] == wanted if task_ids.size else np.zeros(wanted.size, dtype=bool)
    if not keep.any():
        return None
    return ModelVotes(codes[keep], np.asarray(labels, dtype=np.int64)[keep], version_id)


def task_vote(session: Session, project: Project, task_id: int) -> tuple[str, Any] | None:
    """(label, fitted confusion) of the model's vote on one task, for the per-answer
    posterior; None when the model does not vote there or has not been fitted yet."""
    fitted = (project.quality_state or {}).get(MODEL_KEY)
    if not fitted or fitted.get("confusion") is None:
        return None
    version_id = _version_id(session, project)
    if version_id is None:
        return None
    label = repository.truth_vote(session, project.id, version_id, task_id)
    return None if label is None else (label, fitted["confusion"])

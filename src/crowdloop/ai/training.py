"""Build and train a project's model on its confident inferred results; store the version."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from crowdloop.ai import repository
from crowdloop.ai.backends.embeddings import EmbeddingPrelabeler, embeddings_available
from crowdloop.ai.backends.http import HttpPrelabeler
from crowdloop.ai.models import ModelStatus, ModelVersion
from crowdloop.ai.protocols import Prelabeler
from crowdloop.ai.schemas import AiConfig
from crowdloop.ai.tfidf import TfidfPrelabeler
from crowdloop.errors import Conflict, InvalidInput
from crowdloop.projects.answer_schema import SingleChoice, parse_schema
from crowdloop.projects.models import Project
from crowdloop.storage.types import utcnow

Progress = Callable[[str, int, int], None]  # (stage, done, total)
HTTP_TIMEOUT = 5.0


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class Fitted:
    """A model fitted in memory, not yet stored."""

    model: Prelabeler
    kind: str
    n_train: int
    n_trainable: int
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def project_labels(project: Project) -> list[str]:
    schema = parse_schema(project.answer_schema)
    if not isinstance(schema, SingleChoice):
        raise InvalidInput(
            f"AI pre-labelling needs a single_choice project, not {project.task_type!r}"
        )
    return list(schema.labels)


class DbEmbeddingCache:
    """The ``EmbeddingCache`` interface over the ``ai_embeddings`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_many(self, model_id: str, keys: Sequence[str]) -> list[NDArray[np.float32] | None]:
        found = repository.embeddings_get(self.session, model_id, keys)
        return [None if k not in found else np.frombuffer(found[k], dtype=np.float32) for k in keys]

    def put_many(self, model_id: str, keys: Sequence[str], vectors: NDArray[np.float32]) -> None:
        rows, seen = [], set(repository.embeddings_get(self.session, model_id, keys))
        for key, vec in zip(keys, vectors, strict=True):
            if key not in seen:
                seen.add(key)
                rows.append({"model_id": model_id, "text_sha256": key, "vector": _f32(vec)})
        repository.embeddings_put(self.session, rows)


def _f32(vec: NDArray[np.float32]) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def build(session: Session, project: Project, config: AiConfig) -> Prelabeler:
    labels = project_labels(project)
    if config.model == "http":
        return HttpPrelabeler(str(config.url), labels, timeout=HTTP_TIMEOUT)
    if config.model == "embeddings":
        reason = embeddings_available()
        if reason is not None:
            raise InvalidInput(f"model 'embeddings' is unavailable: {reason}")
        cache: Any = DbEmbeddingCache(session)
        return EmbeddingPrelabeler(labels, cache=cache, text_key=config.text_key)
    return TfidfPrelabeler(labels, text_key=config.text_key)


def fit(
    session: Session, project: Project, config: AiConfig, *, progress: Progress = _quiet
) -> Fitted:
    """Train on trainable tasks (confident, human-answered, not held-out), weighted by
    their inferred confidence. Raises ``Conflict`` when there is nothing to learn from."""
    model = build(session, project, config)
    n_trainable = repository.count_trainable(session, project.id)
    if isinstance(model, HttpPrelabeler):
        return Fitted(model, "http", 0, n_trainable, "served by the model server")
    known = set(model.labels)
    items: list[dict[str, Any]] = []
    labels: list[str] = []
    weights: list[float] = []
    for row in repository.training_rows(session, project.id):
        if isinstance(row.result, str) and row.result in known:
            items.append(row.data)
            labels.append(row.result)
            weights.append(float(row.confidence))
        if len(items) % 1000 == 0:
            progress("reading labels", len(items), n_trainable)
    if not items:
        raise Conflict("no confident human-labelled tasks to train on yet")
    if isinstance(model, EmbeddingPrelabeler):  # the long part: shown, then cached for fit
        model.embed(items, progress=lambda done, total: progress("embedding", done, total))
    progress("training", 0, len(items))
    assert isinstance(model, TfidfPrelabeler | EmbeddingPrelabeler)
    model.fit(items, labels, sample_weight=weights)
    progress("training", len(items), len(items))
    return Fitted(model, config.model, len(items), n_trainable)


def artefact(model: Prelabeler) -> bytes | None:
    """Pickled fitted model (tf-idf) or head (embeddings); None for a server's model."""
    if isinstance(model, TfidfPrelabeler):
        return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    if isinstance(model, EmbeddingPrelabeler):
        return pickle.dumps(getattr(model, "_head", None), protocol=pickle.HIGHEST_PROTOCOL)
    return None


def start_version(session: Session, project: Project, fitted: Fitted) -> ModelVersion:
    """A new version row in state ``training`` (predictions are being written)."""
    version = ModelVersion(
        project_id=project.id,
        version=repository.next_version_number(session, project.id),
        kind=fitted.kind,
        name=fitted.model.model_version,
        status=ModelStatus.training,
        detail=fitted.detail,
        labels=list(fitted.model.labels),
        trained_at=utcnow(),
        n_train=fitted.n_train,
        n_predicted=0,
        artefact=artefact(fitted.model),
    )
    session.add(version)
    session.flush()
    return version


def fail(session: Session, version_id: int, detail: str) -> None:
    version = session.get(ModelVersion, version_id)
    if version is not None:
        version.status = ModelStatus.failed
        version.detail = detail[:2000]
        session.flush()

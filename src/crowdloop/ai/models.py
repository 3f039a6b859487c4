"""Tables of the AI domain: model versions, predictions, per-task marks, embedding cache."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class ModelStatus(enum.StrEnum):
    training = "training"
    ready = "ready"
    failed = "failed"


class TaskRole(enum.StrEnum):
    heldout = "heldout"  # labelled by people only, never trained on, judges the model
    audit = "audit"  # would have been auto-accepted; people answer it to audit the model
    auto = "auto"  # closed with the model's label (never a paid answer)


class ModelVersion(Base):
    """One trained model of a project; predictions and auto-acceptance refer to it."""

    __tablename__ = "ai_model_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "version", name="uq_ai_model_versions_version"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # tfidf / embeddings / http
    # The prelabeler's own model_version (e.g. "tfidf-lr-1-0a1b2c3d", a server's version).
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ModelStatus] = mapped_column(
        Enum(ModelStatus, native_enum=False, length=16), default=ModelStatus.training
    )
    detail: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    n_train: Mapped[int] = mapped_column(Integer, default=0)
    n_predicted: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[float | None] = mapped_column(Float)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # joblib of the fitted head; None for http models (the server owns the model).
    artefact: Mapped[bytes | None] = mapped_column(LargeBinary)


class Prediction(Base):
    """A model version's output for one task; never counted as an answer."""

    __tablename__ = "ai_predictions"
    __table_args__ = (
        UniqueConstraint("task_id", "model_version_id", name="uq_ai_predictions_task_model"),
        # A project's latest predictions: filter on (project, version), read by confidence.
        Index("ix_ai_predictions_project_model", "project_id", "model_version_id", "confidence"),
        Index("ix_ai_predictions_model_version_id", "model_version_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("ai_model_versions.id", ondelete="CASCADE")
    )
    label: Mapped[str | None] = mapped_column(String(255))  # None: the model gave no prediction
    confidence: Mapped[float | None] = mapped_column(Float)
    probabilities: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskMark(Base):
    """A task's AI role: held-out, audit item or auto-accepted (at most one per task)."""

    __tablename__ = "ai_task_marks"
    __table_args__ = (Index("ix_ai_task_marks_project_role", "project_id", "role", "task_id"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[TaskRole] = mapped_column(Enum(TaskRole, native_enum=False, length=16))
    # The model version whose label was accepted or audited (None for held-out items).
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_versions.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(255))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CachedEmbedding(Base):
    """An embedding by (model id, SHA-256 of the text), float32 bytes."""

    __tablename__ = "ai_embeddings"

    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

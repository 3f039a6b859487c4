from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdloop.accounts.models import User
from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class ProjectStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    paused = "paused"
    finished = "finished"


class Visibility(enum.StrEnum):
    all_workers = "all_workers"
    members = "members"


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    task_type: Mapped[str] = mapped_column(String(32))
    answer_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    overlap: Mapped[int] = mapped_column(Integer, default=3)
    reward_cents: Mapped[int] = mapped_column(Integer, default=0)
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Rewards of submitted answers plus those reserved by live leases.
    committed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    required_skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=600)
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=16), default=ProjectStatus.active
    )
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, native_enum=False, length=16), default=Visibility.all_workers
    )
    review_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # QualityConfig as JSON (method, control rate, rules) and the last fit's bookkeeping.
    quality_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quality_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # AiConfig as JSON (crowdloop.ai.schemas): model kind, target accuracy, auto-accept.
    ai_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise")


class ProjectMember(Base):
    """A worker invited to a members-only project, or a reviewer of a project."""

    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskBatch(Base):
    """One import: where tasks came from, how many rows were read and kept."""

    __tablename__ = "task_batches"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(16))
    n_rows: Mapped[int] = mapped_column(Integer, default=0)
    n_imported: Mapped[int] = mapped_column(Integer, default=0)
    n_errors: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # Next-task picks walk this index: open tasks of a project, best priority first.
        Index(
            "ix_tasks_pick",
            "project_id",
            text("priority DESC"),
            "id",
            sqlite_where=text("slots > 0"),
            postgresql_where=text("slots > 0"),
        ),
        Index("ix_tasks_project_control", "project_id", "is_control", "id"),
        # Cursor pages (tasks, results, export) walk a project's tasks in id order.
        Index("ix_tasks_project_id", "project_id", "id"),
        # A task id (external_id) names one task of its project; tasks without one are many.
        Index("uq_tasks_project_external_id", "project_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_batches.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    difficulty: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reward_cents: Mapped[int | None] = mapped_column(Integer)
    required_skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    gold: Mapped[Any | None] = mapped_column(JSON)
    is_control: Mapped[bool] = mapped_column(Boolean, default=False)
    gold_explanation: Mapped[str | None] = mapped_column(Text)
    predictions: Mapped[list[Any] | None] = mapped_column(JSON)
    overlap: Mapped[int] = mapped_column(Integer)
    # slots = overlap - n_answers - n_active; a task is offered while slots > 0.
    slots: Mapped[int] = mapped_column(Integer)
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    n_active: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[Any | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(lazy="raise")


# What a candidate task is judged by, pull and push alike (``crowdloop.allocation.policy``
# and its matching score); the claim query reads exactly these.
PICK_COLUMNS = (
    Task.id,
    Task.priority,
    Task.required_skills,
    Task.reward_cents,
    Task.n_answers,
    Task.confidence,
    Task.result,
    Task.deadline,
)

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from crowdloop.projects.answer_schema import AnswerSchema
from crowdloop.projects.models import ProjectStatus, Visibility
from crowdloop.projects.quality_config import QualityConfig
from crowdloop.storage.base import INT32_MAX, INT64_MAX
from crowdloop.text import StorableInput

MAX_OVERLAP = 100
# What the columns hold: a reward is a 32-bit integer, a budget a 64-bit one.
MAX_REWARD_CENTS = INT32_MAX
MAX_BUDGET_CENTS = INT64_MAX


class ProjectCreate(StorableInput):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    instructions: str = Field("", max_length=200_000, description="Markdown.")
    answer_schema: AnswerSchema
    overlap: int = Field(3, ge=1, le=MAX_OVERLAP, description="Answers wanted per task.")
    reward_cents: int = Field(
        0, ge=0, le=MAX_REWARD_CENTS, description="Reward per accepted answer, in cents."
    )
    budget_cents: int | None = Field(None, ge=0, le=MAX_BUDGET_CENTS)
    deadline: AwareDatetime | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    required_skills: list[str] = Field(default_factory=list)
    lease_seconds: int | None = Field(None, ge=10, le=7 * 86400)
    visibility: Visibility = Visibility.all_workers
    status: ProjectStatus = ProjectStatus.active
    review_required: bool = Field(False, description="Answers wait for a reviewer's verdict.")
    quality: QualityConfig = Field(default_factory=QualityConfig)


class ProjectUpdate(StorableInput):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    instructions: str | None = Field(None, max_length=200_000)
    overlap: int | None = Field(None, ge=1, le=MAX_OVERLAP)
    reward_cents: int | None = Field(None, ge=0, le=MAX_REWARD_CENTS)
    budget_cents: int | None = Field(None, ge=0, le=MAX_BUDGET_CENTS)
    deadline: AwareDatetime | None = None
    priority: int | None = Field(None, ge=-1000, le=1000)
    required_skills: list[str] | None = None
    lease_seconds: int | None = Field(None, ge=10, le=7 * 86400)
    visibility: Visibility | None = None
    status: ProjectStatus | None = None
    review_required: bool | None = None
    quality: QualityConfig | None = None


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    name: str
    instructions: str
    task_type: str
    answer_schema: dict[str, Any]
    overlap: int
    reward_cents: int
    budget_cents: int | None
    committed_cents: int
    deadline: datetime | None
    priority: int
    required_skills: list[str]
    lease_seconds: int
    visibility: Visibility
    status: ProjectStatus
    review_required: bool
    quality_config: dict[str, Any]
    created_at: datetime


class ProjectWorkerRead(BaseModel):
    """What a worker may know of a project: the work and its pay, never its budget,
    quality rules (thresholds a spammer would stay under) or control tasks."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    instructions: str
    task_type: str
    answer_schema: dict[str, Any]
    reward_cents: int
    deadline: datetime | None
    required_skills: list[str]
    lease_seconds: int
    status: ProjectStatus


class ProjectStats(BaseModel):
    project_id: int
    tasks: int
    tasks_complete: int
    control_tasks: int
    answers: int
    active_assignments: int
    committed_cents: int
    budget_cents: int | None


class TaskFields(BaseModel):
    """A task's fields and their limits, without the text-hygiene walk of every value.

    Only for callers that prove the values storable more cheaply themselves (the importer
    screens each record's raw text and falls back to :class:`TaskCreate` when in doubt).
    """

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any]
    external_id: str | None = Field(None, max_length=255)
    difficulty: float | None = Field(None, ge=0, le=1)
    priority: int = Field(0, ge=-1000, le=1000)
    deadline: AwareDatetime | None = None
    reward_cents: int | None = Field(None, ge=0, le=MAX_REWARD_CENTS)
    required_skills: list[str] = Field(default_factory=list)
    gold: Any | None = Field(None, description="Known answer; makes this a control task.")
    gold_explanation: str | None = Field(None, max_length=10_000)
    predictions: list[Any] | None = None
    overlap: int | None = Field(None, ge=1, le=MAX_OVERLAP)


class TaskCreate(TaskFields, StorableInput):
    """One task as given by a requester (API body, or one row of an import file)."""


class TaskRead(BaseModel):
    """The requester's view of a task: everything, gold included."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    external_id: str | None
    data: dict[str, Any]
    difficulty: float | None
    priority: int
    deadline: datetime | None
    reward_cents: int | None
    required_skills: list[str]
    gold: Any | None
    is_control: bool
    overlap: int
    n_answers: int
    n_active: int
    result: Any | None
    confidence: float | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: int | None


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    source: str
    format: str
    n_rows: int
    n_imported: int
    n_errors: int
    created_at: datetime

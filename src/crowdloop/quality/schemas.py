from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crowdloop.quality.models import EventKind


class WorkerQualityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: int
    worker_id: int
    n_answers: int
    n_control: int
    n_control_correct: int
    n_accepted: int
    n_rejected: int
    control_accuracy: float | None = None
    control_accuracy_interval: tuple[float, float] | None = None
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    agreement: float | None
    skip_streak: int
    blocked_until: datetime | None
    block_reason: str | None


class QualityEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    worker_id: int
    kind: EventKind
    rule: str
    reason: str
    details: dict[str, Any]
    reverted: bool
    created_at: datetime
    reverted_by: int | None = Field(None, description="Who undid the event (user id).")
    reverted_at: datetime | None = None


class RefitReport(BaseModel):
    project_id: int
    method: str
    tasks: int
    answers: int
    workers: int
    changed: int
    n_iter: int


class OwnStanding(BaseModel):
    """A worker's standing in one project as the worker sees it. No control-task counters:
    they change right after an answer to a control task and would tell which task was one
    and whether it matched the gold. The accuracy is the last truth-inference fit's, over
    all of the worker's answers, updated in the background."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    n_answers: int
    n_accepted: int
    n_rejected: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    blocked_until: datetime | None
    block_reason: str | None


class MyStanding(BaseModel):
    """A worker's own view: quality per project, warnings and blocks with their reasons."""

    projects: list[OwnStanding]
    events: list[QualityEventRead]


class AnswerForReview(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    task_id: int
    worker_id: int
    status: str
    answer: Any
    review: str | None
    review_reason: str | None
    finished_at: datetime | None

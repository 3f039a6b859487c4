from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crowdloop.ai.schemas import Suggestion
from crowdloop.work.models import AssignmentStatus


class AssignmentRead(BaseModel):
    """What a worker sees: the task's data, never its gold answer or others' answers."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    task_id: int
    status: AssignmentStatus
    reward_cents: int
    lease_expires_at: datetime
    created_at: datetime
    finished_at: datetime | None
    answer: Any | None
    review: str | None = None
    review_reason: str | None = None
    data: dict[str, Any]
    suggestion: Suggestion | None = Field(
        None, description="The model's label, only where the project shows suggestions."
    )


class AnswerSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Any = Field(description="Label, list of labels, number or text, per the schema.")
    duration_ms: int | None = Field(None, ge=0)


class ControlFeedback(BaseModel):
    """Shown to a worker after a wrong answer to a control task."""

    correct: bool
    expected: Any
    explanation: str | None


class SubmitResult(BaseModel):
    assignment: AssignmentRead
    feedback: ControlFeedback | None = Field(
        None, description="After a wrong answer to a control task: the expected answer."
    )
    next: AssignmentRead | None = Field(
        None, description="The next assignment, when asked for with ?next=true."
    )


class AnswerRead(BaseModel):
    """The requester's view of one answer."""

    model_config = ConfigDict(from_attributes=True)

    assignment_id: int
    task_id: int
    worker_id: int
    answer: Any
    submitted_at: datetime | None

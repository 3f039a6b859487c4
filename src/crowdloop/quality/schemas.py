from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crowdloop.quality.models import EventKind

RuleKind = Literal["fast_answers", "control_accuracy", "consensus_agreement", "skips_in_row"]
Action = Literal["warn", "block", "discard"]


class QualityRule(BaseModel):
    """One Toloka-style rule.

    - ``fast_answers``: answers quicker than ``threshold`` seconds; fires when at least
      ``min_answers`` of them have been given.
    - ``control_accuracy``: control accuracy under ``threshold`` after ``min_answers``
      control answers.
    - ``consensus_agreement``: agreement with the inferred answer under ``threshold`` after
      ``min_answers`` answers (checked at each re-inference).
    - ``skips_in_row``: ``threshold`` skips in a row.
    """

    model_config = ConfigDict(extra="forbid")

    kind: RuleKind
    threshold: float = Field(ge=0)
    min_answers: int = Field(5, ge=1)
    action: Action = "warn"
    block_hours: float = Field(24, gt=0, le=24 * 365)


class DynamicOverlap(BaseModel):
    """Toloka-style dynamic overlap: stop early on confident tasks, ask more on contested ones.

    A task starts with ``min_answers`` slots; after each answer it stops collecting once its
    confidence reaches ``target_confidence`` (and it has ``min_answers``), otherwise it gets one
    more slot, up to ``max_answers``.
    """

    model_config = ConfigDict(extra="forbid")

    min_answers: int = Field(2, ge=1, le=100)
    max_answers: int = Field(5, ge=1, le=100)
    target_confidence: float = Field(0.9, gt=0, le=1)
    escalate_after: int | None = Field(
        None, ge=1, description="A task still unresolved after this many answers is hard."
    )
    escalate_ability: float = Field(
        0.8, ge=0, le=1, description="Hard tasks go only to workers whose ability is above this."
    )

    @model_validator(mode="after")
    def _order(self) -> DynamicOverlap:
        if self.max_answers < self.min_answers:
            raise ValueError("max_answers must be >= min_answers")
        return self

    def is_hard(self, n_answers: int, confidence: float | None) -> bool:
        """Whether an *open* task escalates: it has ``escalate_after`` answers and is still
        unresolved. Past ``min_answers`` an open task is unresolved by definition (it would
        have closed), whatever its stored posterior says: the stopping confidence can be
        lower (the pairwise bound, docs/allocation.md)."""
        if self.escalate_after is None or n_answers < self.escalate_after:
            return False
        return n_answers >= self.min_answers or (confidence or 0.0) < self.target_confidence


class Qualification(BaseModel):
    """A qualification test: a new worker first answers only ``tasks`` control tasks; under
    ``min_accuracy`` on them they are blocked from the project for ``block_hours``."""

    model_config = ConfigDict(extra="forbid")

    tasks: int = Field(ge=1, le=1000)
    min_accuracy: float = Field(ge=0, le=1)
    block_hours: float = Field(24 * 365, gt=0, le=24 * 365)


class QualityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dynamic_overlap: DynamicOverlap | None = Field(
        None, description="When set, replaces the fixed overlap of new tasks."
    )
    method: str = Field("auto", description="Truth-inference method for re-inference.")
    control_rate: float = Field(
        0.1, ge=0, le=1, description="Share of a worker's stream made of control tasks."
    )
    rules: list[QualityRule] = Field(default_factory=list)
    qualification: Qualification | None = Field(
        None, description="Control tasks a new worker must pass first (see docs/allocation.md)."
    )
    allocation: Literal["value", "priority"] = Field(
        "value", description="Next-task order: matching score M(t, u), or plain priority."
    )
    allocation_cost_weight: float = Field(
        0.0, ge=0, description="Budget price: value lost per cent of reward (docs/allocation.md)."
    )
    ability_half_life_days: float | None = Field(
        90.0,
        gt=0,
        description="Old evidence of a worker's accuracy fades: an answer this many days old "
        "counts half (null: never fades). The inferred truth itself uses every answer.",
    )


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


class ControlFeedback(BaseModel):
    """Shown to a worker after a wrong answer to a control task."""

    correct: bool
    expected: Any
    explanation: str | None


class RefitReport(BaseModel):
    project_id: int
    method: str
    tasks: int
    answers: int
    workers: int
    changed: int
    n_iter: int


class MyStanding(BaseModel):
    """A worker's own view: quality per project, warnings and blocks with their reasons."""

    projects: list[WorkerQualityRead]
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

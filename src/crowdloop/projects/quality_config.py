"""A project's quality settings (``projects.quality_config``): validated where projects are
created and updated, stored as JSON on the project, applied by ``crowdloop.quality`` and
``crowdloop.allocation``. They live here, below both, because a project carries them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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

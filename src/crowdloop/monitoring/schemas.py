from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from crowdloop.projects.schemas import ProjectStats


class ProjectProgress(BaseModel):
    """Where a project stands now: what the dashboard shows, as data."""

    project_id: int
    stats: ProjectStats
    answers_wanted: int = Field(description="Answers so far plus answers still wanted.")
    remaining_answers: int
    progress: float = Field(description="Answers so far / answers wanted, in [0, 1].")
    spent_cents: int = Field(description="Rewards of submitted answers.")
    budget_share: float | None = Field(
        description="max(spent, committed) / budget; None without a budget."
    )
    answers_per_hour: float = Field(
        description="Over the last hour when there were answers, else over the whole history."
    )
    eta_seconds: float | None = Field(
        description="Remaining answers at that rate; 0 when done, None when unknown."
    )
    n_results: int = Field(description="Regular tasks with a result.")
    estimated_accuracy: float | None = Field(
        description="Mean posterior confidence of those results (the expected share right)."
    )
    control_correct: int
    control_answered: int
    control_accuracy: float | None
    confidence_bins: list[int] = Field(
        description="Tasks with a result per confidence decile, least confident first."
    )
    updated_at: datetime

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crowdloop.storage.base import INT64_MAX
from crowdloop.work.models import LIVE_LOOKBACK

# Next-task serves pushed leases from the worker's newest LIVE_LOOKBACK assignments.
MAX_CAPACITY = LIVE_LOOKBACK // 2
Capacity = Annotated[int, Field(ge=1, le=MAX_CAPACITY)]
WorkerId = Annotated[int, Field(ge=1, le=INT64_MAX)]


class AssignRequest(BaseModel):
    """Push assignment: lease open tasks to workers, maximising the total M(t, u)."""

    model_config = ConfigDict(extra="forbid")

    worker_ids: list[WorkerId] | None = Field(
        None, min_length=1, max_length=100_000, description="Default: every allowed worker."
    )
    capacity: Capacity = Field(1, description="New leases per worker.")
    capacities: dict[WorkerId, Capacity] | None = Field(
        None, description="Per-worker capacity, overriding `capacity`."
    )
    candidates: int = Field(20, ge=1, le=200, description="Candidate tasks per worker.")
    method: Literal["auto", "flow", "lap", "greedy"] = "auto"
    dry_run: bool = Field(False, description="Return the plan without leasing anything.")


class PlannedAssignment(BaseModel):
    worker_id: int
    task_id: int
    value: float
    assignment_id: int | None = None


class AssignResult(BaseModel):
    project_id: int
    dry_run: bool
    workers: int
    tasks_considered: int
    candidate_edges: int
    planned: int
    created: int
    lost_races: int = Field(description="Planned leases whose slot another worker took first.")
    budget_exhausted: bool
    assignments: list[PlannedAssignment]


class AllocationStatus(BaseModel):
    project_id: int
    allocation: Literal["value", "priority"]
    open_tasks: int
    control_tasks: int
    eligible_workers: int
    tasks_no_worker_can_take: int = Field(description="Open tasks whose skills no worker has.")
    escalated_waiting: int = Field(description="Escalated open tasks waiting for a strong worker.")
    strong_workers: int | None = Field(description="Eligible workers above the escalation floor.")
    problems: list[str]


class TaskDifficulty(BaseModel):
    """Difficulty in [0, 1] and the signals it was computed from (None = unknown)."""

    task_id: int
    difficulty: float
    entropy: float | None
    disagreement: float | None
    time: float | None
    model_uncertainty: float | None = None
    prior: float | None
    n_answers: int

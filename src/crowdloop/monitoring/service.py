"""A project's live figures, computed from a few aggregate queries (no per-task objects)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdloop.monitoring import repository
from crowdloop.monitoring.schemas import ProjectProgress
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.storage.types import utcnow

CONFIDENCE_BINS = 10


def rate_per_hour(times: Sequence[datetime], now: datetime) -> float:
    """Answers per hour: over the last hour when there were any, else over the whole span."""
    recent = [t for t in times if now - t <= timedelta(hours=1)]
    if recent:
        return float(len(recent))
    if len(times) < 2:
        return 0.0
    hours = (times[-1] - times[0]).total_seconds() / 3600
    return len(times) / hours if hours > 0 else 0.0


def eta_seconds(remaining: int, rate: float) -> float | None:
    if remaining == 0:
        return 0.0
    return None if rate <= 0 else remaining / rate * 3600


@dataclass(frozen=True)
class Snapshot:
    """The figures and the answer times behind them (the dashboard draws those)."""

    progress: ProjectProgress
    finish_times: list[datetime]


def snapshot(session: Session, project: Project, *, now: datetime | None = None) -> Snapshot:
    now = now or utcnow()
    stats = projects.project_stats(session, project)
    remaining = repository.remaining_answers(session, project.id)
    times = repository.finish_times(session, project.id)
    spent = repository.spent_cents(session, project.id)
    bins, total_conf = repository.confidence_counts(session, project.id, CONFIDENCE_BINS)
    correct, answered = repository.control_totals(session, project.id)
    wanted = stats.answers + remaining
    rate = rate_per_hour(times, now)
    budget = project.budget_cents
    n_results = sum(bins)
    progress = ProjectProgress(
        project_id=project.id,
        stats=stats,
        answers_wanted=wanted,
        remaining_answers=remaining,
        progress=stats.answers / wanted if wanted else 0.0,
        spent_cents=spent,
        budget_share=max(spent, project.committed_cents) / budget if budget else None,
        answers_per_hour=rate,
        eta_seconds=eta_seconds(remaining, rate),
        n_results=n_results,
        estimated_accuracy=total_conf / n_results if n_results else None,
        control_correct=correct,
        control_answered=answered,
        control_accuracy=correct / answered if answered else None,
        confidence_bins=bins,
        updated_at=now,
    )
    return Snapshot(progress, times)


def progress(session: Session, project: Project, *, now: datetime | None = None) -> ProjectProgress:
    return snapshot(session, project, now=now).progress

"""The per-project dashboard (progress, throughput, estimated accuracy, cost, ETA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from crowdloop.projects import access
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectStats
from crowdloop.storage.types import utcnow
from crowdloop.web import charts
from crowdloop.web import repository as reads
from crowdloop.web.deps import ReadSession, WebRoute, WebUser, render, templates

router = APIRouter(route_class=WebRoute, include_in_schema=False)


CONFIDENCE_BINS = 10


@dataclass(frozen=True)
class Accuracy:
    """Estimated accuracy of the results: the mean posterior confidence of the tasks with
    a result (the expected share of right results if the model is calibrated), and the
    share of right answers on control tasks, the empirical check of the crowd."""

    n_results: int
    estimated: float | None
    control_correct: int
    control_answered: int
    chart: charts.Chart

    @property
    def control(self) -> float | None:
        return self.control_correct / self.control_answered if self.control_answered else None


def accuracy(session: Session, project: Project) -> Accuracy:
    counts, total = reads.confidence_counts(session, project.id, CONFIDENCE_BINS)
    correct, answered = reads.control_totals(session, project.id)
    n = sum(counts)
    return Accuracy(
        n_results=n,
        estimated=total / n if n else None,
        control_correct=correct,
        control_answered=answered,
        chart=charts.confidence_histogram(counts),
    )


@dataclass(frozen=True)
class Summary:
    """Everything the live stats panel shows, computed in one read."""

    stats: ProjectStats
    remaining: int
    progress: float
    spent_cents: int
    budget_share: float | None
    rate_per_hour: float
    eta: str
    chart: charts.Chart
    accuracy: Accuracy
    updated: datetime

    def signature(self) -> tuple[Any, ...]:
        """What changes when work happens; the live stream sends an update when it does."""
        s = self.stats
        return (
            s.tasks,
            s.answers,
            s.active_assignments,
            s.committed_cents,
            self.spent_cents,
            self.accuracy.n_results,
            self.accuracy.estimated,
        )


def summarize(session: Session, project: Project, *, now: datetime | None = None) -> Summary:
    now = now or utcnow()
    stats = projects.project_stats(session, project)
    remaining = reads.remaining_answers(session, project.id)
    times = reads.finish_times(session, project.id)
    spent = reads.spent_cents(session, project.id)
    wanted = stats.answers + remaining
    rate = charts.rate_per_hour(times, now)
    budget = project.budget_cents
    return Summary(
        stats=stats,
        remaining=remaining,
        progress=stats.answers / wanted if wanted else 0.0,
        spent_cents=spent,
        budget_share=max(spent, project.committed_cents) / budget if budget else None,
        rate_per_hour=rate,
        eta=charts.eta_text(remaining, rate),
        chart=charts.throughput(times, now),
        accuracy=accuracy(session, project),
        updated=now,
    )


def stats_html(project: Project, summary: Summary) -> str:
    """The live panel as HTML: the page includes it, the event stream re-sends it."""
    template = templates.get_template("requester/_stats.html")
    return template.render(project=project, s=summary)


@router.get("/console/projects/{project_id}")
def dashboard(request: Request, project_id: int, user: WebUser, session: ReadSession) -> Response:
    project = access.for_reader(session, user, project_id)
    summary = summarize(session, project)
    context = {
        "project": project,
        "stats_html": stats_html(project, summary),
        "can_manage": access.can_manage(user, project),
        "batches": projects.list_batches(session, project),
    }
    return render(request, "requester/dashboard.html", context)

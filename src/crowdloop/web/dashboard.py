"""The per-project dashboard (progress, throughput, estimated accuracy, cost, ETA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from crowdloop.monitoring import service as monitoring
from crowdloop.projects import access
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectStats
from crowdloop.storage.types import utcnow
from crowdloop.web import charts
from crowdloop.web.deps import ReadSession, WebRoute, WebUser, render, templates

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@dataclass(frozen=True)
class Accuracy:
    """Estimated accuracy of the results (mean posterior confidence) beside the share of
    right control answers, and the results-by-confidence chart."""

    n_results: int
    estimated: float | None
    control: float | None
    control_correct: int
    control_answered: int
    chart: charts.Chart


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
    snap = monitoring.snapshot(session, project, now=now)
    p = snap.progress
    return Summary(
        stats=p.stats,
        remaining=p.remaining_answers,
        progress=p.progress,
        spent_cents=p.spent_cents,
        budget_share=p.budget_share,
        rate_per_hour=p.answers_per_hour,
        eta=charts.eta_text(p.remaining_answers, p.answers_per_hour),
        chart=charts.throughput(snap.finish_times, now),
        accuracy=Accuracy(
            n_results=p.n_results,
            estimated=p.estimated_accuracy,
            control=p.control_accuracy,
            control_correct=p.control_correct,
            control_answered=p.control_answered,
            chart=charts.confidence_histogram(p.confidence_bins),
        ),
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

"""Admin: background jobs and parked event handlings; retry either."""

from __future__ import annotations

from fastapi import APIRouter, Request

from crowdloop.api.deps import CurrentAdmin, PathId, ReadSession, WriteSession
from crowdloop.events import service as events
from crowdloop.events.models import HandlingStatus
from crowdloop.events.schemas import HandlingRead
from crowdloop.jobs import service as jobs
from crowdloop.jobs.schemas import JobsOverview
from crowdloop.wiring import Platform

router = APIRouter(tags=["jobs"])


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("/admin/jobs", response_model=JobsOverview)
def list_jobs(request: Request, _: CurrentAdmin, session: ReadSession) -> JobsOverview:
    """Queued, scheduled, running and failed jobs."""
    return jobs.overview(session, _platform(request).jobs)


@router.post("/admin/jobs/{job_id}/retry", response_model=dict[str, str])
def retry_job(
    job_id: str, request: Request, _: CurrentAdmin, session: WriteSession
) -> dict[str, str]:
    """Enqueue a failed job again; the new job's id."""
    return {"id": jobs.retry(session, _platform(request).jobs, job_id)}


@router.get("/admin/events/handlings", response_model=list[HandlingRead])
def list_handlings(
    _: CurrentAdmin, session: ReadSession, status: HandlingStatus | None = None, limit: int = 100
) -> list[HandlingRead]:
    """Event handlings by status (``failed`` = parked after their last attempt)."""
    return events.list_handlings(session, status=status, limit=min(max(limit, 1), 1000))


@router.post("/admin/events/handlings/{handling_id}/retry", response_model=HandlingRead)
def retry_handling(handling_id: PathId, _: CurrentAdmin, session: WriteSession) -> HandlingRead:
    """Re-arm a parked event handling: due now, attempts start again."""
    return events.retry(session, handling_id)

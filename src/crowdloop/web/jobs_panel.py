"""Admin page: background jobs and parked event handlings, with retry buttons."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from crowdloop.accounts.models import Role
from crowdloop.events import service as events
from crowdloop.events.models import HandlingStatus
from crowdloop.jobs import service as jobs
from crowdloop.web.deps import (
    PostingUser,
    ReadSession,
    WebRoute,
    WebUser,
    WriteSession,
    render,
    require_role,
)
from crowdloop.wiring import Platform

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("/admin/jobs")
def jobs_page(request: Request, user: WebUser, session: ReadSession) -> Response:
    require_role(user, Role.admin)
    context = {
        "overview": jobs.overview(session, _platform(request).jobs),
        "parked": events.list_handlings(session, status=HandlingStatus.failed),
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/jobs.html", context)


@router.post("/admin/jobs/{job_id}/retry")
def retry_job(job_id: str, request: Request, user: PostingUser, session: WriteSession) -> Response:
    require_role(user, Role.admin)
    jobs.retry(session, _platform(request).jobs, job_id)
    return RedirectResponse(f"/admin/jobs?done=job+{job_id}+enqueued+again", status_code=303)


@router.post("/admin/events/{handling_id}/retry")
def retry_event(handling_id: int, user: PostingUser, session: WriteSession) -> Response:
    require_role(user, Role.admin)
    events.retry(session, handling_id)
    return RedirectResponse(
        f"/admin/jobs?done=event+handling+{handling_id}+re-armed", status_code=303
    )

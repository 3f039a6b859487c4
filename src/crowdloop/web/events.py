"""Server-sent events: the dashboard's live stats panel, pushed when the numbers change.

The stream polls the database (cheap counts, every POLL_SECONDS) rather than listening to
in-process signals, so it sees answers written by any server process, the CLI or a job.
Each event carries the re-rendered panel; a worker-facing stream does not exist, and this one
needs the project's owner, an admin or a reviewer (gold and answers never reach workers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from crowdloop.projects import access
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web.dashboard import stats_html, summarize
from crowdloop.web.deps import DbDep, WebRoute, WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)
POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 600.0  # then the browser reconnects by itself (EventSource retry)


def sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


def _snapshot(db: Database, project_id: int) -> tuple[tuple[object, ...], str]:
    with unit_of_work(db, write=False) as session:
        project = access.load(session, project_id)
        summary = summarize(session, project)
        return summary.signature(), stats_html(project, summary)


async def _events(
    request: Request, db: Database, project_id: int, limit: int
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    last: tuple[object, ...] | None = None
    sent = quiet = waited = 0.0
    while waited < MAX_STREAM_SECONDS and not await request.is_disconnected():
        signature, html = await anyio.to_thread.run_sync(_snapshot, db, project_id)
        if signature != last:
            last, quiet = signature, 0.0
            yield sse("stats", html)
            sent += 1
            if limit and sent >= limit:
                return
        elif quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await anyio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        waited += POLL_SECONDS


@router.get("/console/projects/{project_id}/events")
def project_events(
    request: Request, project_id: int, user: WebUser, db: DbDep, limit: int = 0
) -> StreamingResponse:
    """``text/event-stream`` of ``stats`` events (``limit``: stop after that many; tests)."""
    with unit_of_work(db, write=False) as session:
        access.for_reader(session, user, project_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _events(request, db, project_id, limit),
        media_type="text/event-stream",
        headers=headers,
    )

"""Server-sent events: the dashboard's live panel, pushed when the project's events say so.

The stream reads the project's events from the outbox with a cursor. Each event goes out as
a ``change`` message whose SSE ``id`` is the event's id, then the re-rendered stats panel
as a ``stats`` message (at most every ``STATS_MIN_SECONDS``). A browser that reconnects
sends ``Last-Event-ID`` and gets what it missed. Between events the stream sleeps on the
process's live notifier (``crowdloop.events.live``), which a commit in any process wakes.
It needs the project's owner, an admin or one of its reviewers (workers never get one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, FastAPI, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from crowdloop.accounts.models import User
from crowdloop.errors import NotFound
from crowdloop.events import service as events
from crowdloop.events.live import LiveNotifier, Ticket
from crowdloop.projects import access
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web.dashboard import stats_html, summarize
from crowdloop.web.deps import DbDep, WebRoute, WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)
HEARTBEAT_SECONDS = 15.0
STATS_MIN_SECONDS = 0.5  # a busy project re-renders its panel at most twice a second
MAX_STREAM_SECONDS = 600.0  # then the browser reconnects by itself, with Last-Event-ID
RETRY_MS = 2000
SHUTDOWN_GRACE_SECONDS = 2.0  # the server stops: streams end cleanly, browsers reconnect
BATCH = 500
SEP = "\n"
T = TypeVar("T")


def _panel(db: Database, project_id: int, _cursor: int) -> str:
    with unit_of_work(db, write=False) as session:
        project = access.load(session, project_id)
        return stats_html(project, summarize(session, project))


def _newest(db: Database) -> int:
    """A new page's cursor, read before its first panel."""
    with unit_of_work(db, write=False) as session:
        return events.last_event_id(session)


def _changes(db: Database, project_id: int, after: int) -> list[tuple[int, str]]:
    """The project's events after the cursor: (id, JSON), oldest first."""
    found: list[tuple[int, str]] = []
    with unit_of_work(db, write=False) as session:
        while True:
            batch = events.events_after(session, after, project_id=project_id, limit=BATCH)
            found += [(event.id, event.model_dump_json()) for event in batch]
            if len(batch) < BATCH:
                return found
            after = found[-1][0]


class _Shared:
    """Reads shared by this process's pages of a project. The notifier wakes them together,
    so the pages at one cursor read its events once, and render the panel (the same for
    every reader) once: a read is reused when it began after the page was woken."""

    def __init__(self) -> None:
        self._latest: dict[tuple[str, int], tuple[float, int, asyncio.Future[Any]]] = {}

    async def get(self, read: Callable[[Database, int, int], T], page: _Page, cursor: int = 0) -> T:
        key = (read.__name__, page.project_id)
        latest = self._latest.get(key)
        if latest is None or latest[0] < page.woken or latest[1] != cursor:
            job = anyio.to_thread.run_sync(read, page.db, page.project_id, cursor)
            latest = self._latest[key] = (time.monotonic(), cursor, asyncio.ensure_future(job))
        result: T = await asyncio.shield(latest[2])  # a page that leaves does not cancel it
        return result


def _shared(app: FastAPI) -> _Shared:
    """The app's shared reads (made on first use, on the event loop: no race)."""
    shared = getattr(app.state, "live_reads", None)
    if not isinstance(shared, _Shared):
        shared = app.state.live_reads = _Shared()
    return shared


@dataclass
class _Page:
    """One open dashboard: its project, its cursor and the server's shutdown."""

    db: Database
    live: LiveNotifier
    shared: _Shared
    project_id: int
    shutdown: anyio.Event
    cursor: int = 0
    woken: float = field(default_factory=time.monotonic)

    async def changes(self) -> AsyncIterator[ServerSentEvent]:
        for event_id, body in await self.shared.get(_changes, self, self.cursor):
            self.cursor = event_id
            yield ServerSentEvent(body, event="change", id=str(event_id), sep=SEP)

    async def panel(self, *, with_id: bool = False) -> ServerSentEvent:
        html = await self.shared.get(_panel, self)
        return ServerSentEvent(
            html, event="stats", id=str(self.cursor) if with_id else None, sep=SEP
        )

    async def wait(self, ticket: Ticket | None, timeout: float) -> bool:
        """Whether the project changed; False after ``timeout`` or when the server stops."""
        woke = False
        async with anyio.create_task_group() as group:

            async def changed() -> None:
                nonlocal woke
                woke = await self.live.wait(ticket, timeout)
                group.cancel_scope.cancel()

            async def stopping() -> None:
                await self.shutdown.wait()
                group.cancel_scope.cancel()

            group.start_soon(changed)
            group.start_soon(stopping)
        return woke


async def _stream(page: _Page, after: int | None, limit: int) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(retry=RETRY_MS, sep=SEP)
    ticket = page.live.ticket(page.project_id)  # before reading: nothing later is missed
    if after is None:
        page.cursor = await anyio.to_thread.run_sync(_newest, page.db)
        page.woken = time.monotonic()  # the panel shows at least what the cursor says
        yield await page.panel(with_id=True)
    else:
        page.cursor = after
        async for message in page.changes():
            yield message
        page.woken = time.monotonic()
        yield await page.panel()
    sent, dirty, render_at = 1, False, time.monotonic() + STATS_MIN_SECONDS
    deadline = time.monotonic() + MAX_STREAM_SECONDS
    while (now := time.monotonic()) < deadline and not (limit and sent >= limit):
        if await page.wait(ticket, max(render_at - now, 0.0) if dirty else deadline - now):
            # Woken by the notifier, the project changed (even if the event that did it
            # sits below our cursor); woken by a poll, only if there is something new.
            dirty = dirty or ticket is not None
            page.woken = ticket.seen_at if ticket is not None else time.monotonic()
            ticket = page.live.ticket(page.project_id)
            before = page.cursor
            async for message in page.changes():
                yield message
            dirty = dirty or page.cursor != before
        if page.shutdown.is_set():
            return  # ends the response properly, within the grace period
        if dirty and time.monotonic() >= render_at:
            yield await page.panel()
            sent, dirty, render_at = sent + 1, False, time.monotonic() + STATS_MIN_SECONDS


async def _guarded(stream: AsyncIterator[ServerSentEvent]) -> AsyncIterator[ServerSentEvent]:
    """The project was deleted under the stream: end it (the browser's retry gets a 404)."""
    try:
        async for message in stream:
            yield message
    except NotFound:
        return


def _cursor(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _check_reader(db: Database, user: User, project_id: int) -> None:
    with unit_of_work(db, write=False) as session:
        access.for_reader(session, user, project_id)


@router.get("/console/projects/{project_id}/events")
async def project_events(
    request: Request,
    project_id: int,
    user: WebUser,
    db: DbDep,
    last_event_id: Annotated[str | None, Header()] = None,
    limit: int = 0,
) -> EventSourceResponse:
    """``text/event-stream`` of ``change`` and ``stats`` messages, resumed after
    ``Last-Event-ID`` when the browser sends one (``limit``: stop after that many panels;
    tests)."""
    await anyio.to_thread.run_sync(_check_reader, db, user, project_id)
    shutdown = anyio.Event()
    live = request.app.state.platform.live
    page = _Page(db, live, _shared(request.app), project_id, shutdown)
    return EventSourceResponse(
        _guarded(_stream(page, _cursor(last_event_id), limit)),
        ping=HEARTBEAT_SECONDS,
        sep=SEP,
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
    )

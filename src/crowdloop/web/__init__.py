"""The web UI: server-rendered pages over the same services as the API.

``install(app)`` adds the page routers, serves ``static/`` at ``/static`` and puts the
security headers (:mod:`crowdloop.web.headers`) on every response of the app.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from crowdloop.errors import NotFound
from crowdloop.storage.base import INT64_MAX
from crowdloop.web import (
    admin,
    ai_panel,
    allocation_panel,
    audit_panel,
    auth,
    dashboard,
    events,
    files,
    imports,
    jobs_panel,
    requester,
    results,
    settings,
    webhooks_panel,
    worker,
    workers,
)
from crowdloop.web.headers import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"


async def ids_in_range(request: Request) -> None:
    """An id in a page's path is a 64-bit key: one outside 1..2^63-1 names no page (404),
    instead of overflowing in the database driver."""
    for name, value in request.path_params.items():
        if not name.endswith("_id"):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue  # not a number: the route's own validation answers
        if not 1 <= number <= INT64_MAX:
            raise NotFound(f"no such page: {name} {value} is out of range")


def install(app: FastAPI) -> None:
    for module in (
        auth,
        worker,
        requester,
        dashboard,
        results,
        imports,
        events,
        admin,
        workers,
        files,
        settings,
        ai_panel,
        allocation_panel,
        jobs_panel,
        webhooks_panel,
        audit_panel,
    ):
        app.include_router(module.router, dependencies=[Depends(ids_in_range)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)

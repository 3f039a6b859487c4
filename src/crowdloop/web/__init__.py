"""The web UI: server-rendered pages over the same services as the API.

``install(app)`` adds the page routers and serves ``static/`` at ``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crowdloop.web import (
    admin,
    ai_panel,
    allocation_panel,
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

STATIC = Path(__file__).resolve().parent / "static"


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
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

"""Application factory: ``create_app(settings)`` wires the database, routers and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from crowdloop import __version__, web
from crowdloop.ai import jobs as ai_jobs
from crowdloop.api import (
    accounts,
    ai,
    allocation,
    errors,
    files,
    projects,
    quality,
    results,
    transfer,
    work,
)
from crowdloop.config import Settings
from crowdloop.quality import jobs as quality_jobs
from crowdloop.storage.engine import Database, make_database
from crowdloop.storage.periodic import PeriodicJob

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, db: Database | None = None) -> FastAPI:
    """Build the ASGI app. Pass ``db`` to share an engine (tests); otherwise one is made."""
    database = db or make_database(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        jobs = [
            PeriodicJob(database, interval, job, name=name)
            for interval, job, name in (
                (settings.refit_interval_seconds, quality_jobs.refit_due, "re-inference"),
                (settings.ai_interval_seconds, ai_jobs.run_due, "ai"),
            )
            if interval > 0
        ]
        for job in jobs:
            job.start()
        yield
        for job in jobs:
            job.stop()
        if db is None:
            database.dispose()

    app = FastAPI(
        title="crowdloop",
        version=__version__,
        description="People and AI models labelling data together. REST API v1.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    errors.install(app)
    for module in (accounts, projects, work, results, transfer, quality, ai, files, allocation):
        app.include_router(module.router, prefix=API_PREFIX)
    web.install(app)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory crowdloop.app:app_from_env`` (settings from env)."""
    return create_app(Settings())

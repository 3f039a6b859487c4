"""Application factory: ``create_app(settings)`` wires the database, routers and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from crowdloop import __version__, web
from crowdloop.api import (
    accounts,
    ai,
    allocation,
    audit,
    errors,
    files,
    jobs,
    projects,
    quality,
    results,
    transfer,
    webhooks,
    work,
)
from crowdloop.config import Settings
from crowdloop.jobs.consumer import start_embedded, stop_embedded
from crowdloop.wiring import Platform, build

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, platform: Platform | None = None) -> FastAPI:
    """Build the ASGI app. Pass ``platform`` to share one (tests); otherwise one is built.

    With ``jobs_embedded`` the job workers run as threads of this process (zero
    configuration on SQLite); otherwise separate ``crowdloop worker`` processes run them.
    The live notifier (dashboards' server-sent events) runs on the server's event loop.
    """
    wired = platform or build(settings)
    database = wired.db

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        consumer = None
        if settings.jobs_embedded:
            wired.jobs.record_signals()
            consumer = start_embedded(wired.jobs.huey, settings.jobs_workers)
            wired.relay_here = True
        await wired.live.start()
        yield
        await wired.live.stop()
        if consumer is not None:
            wired.relay_here = False
            wired.flush()
            stop_embedded(consumer)
        if platform is None:
            wired.live.close()
            wired.jobs.close()
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
    app.state.platform = wired
    errors.install(app)
    for module in (
        accounts,
        projects,
        work,
        results,
        transfer,
        quality,
        ai,
        files,
        allocation,
        jobs,
        webhooks,
        audit,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    web.install(app)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory crowdloop.app:app_from_env`` (settings from env)."""
    return create_app(Settings())

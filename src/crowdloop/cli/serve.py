"""``crowdloop serve``: run the API with uvicorn.

Schema policy: on SQLite the schema is created or upgraded automatically (zero
configuration: a new ``./crowdloop.db`` just works). On PostgreSQL the server refuses to
start on an outdated schema and asks for ``crowdloop db upgrade``, so that migrating a
shared production database is always a deliberate step.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from crowdloop.cli._common import info, state
from crowdloop.cli.db import ensure_schema
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    from crowdloop.config import Settings

FACTORY = "crowdloop.app:app_from_env"

HostOption = Annotated[
    str | None,
    typer.Option(
        help="Address to bind (default: CROWDLOOP_HOST or 127.0.0.1).", show_default=False
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(help="Port to listen on (default: CROWDLOOP_PORT or 8000).", show_default=False),
]


def run_server(
    settings: Settings,
    *,
    host: str | None,
    port: int | None,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Serve the app; several workers or --reload need the import-string factory."""
    if workers < 1:
        raise InvalidInput(f"--workers must be at least 1, got {workers}")
    import uvicorn  # lazy: the web stack is imported only by the commands that serve

    from crowdloop.app import create_app

    bind_host, bind_port = host or settings.host, port or settings.port
    info(f"crowdloop API on http://{bind_host}:{bind_port}/api/v1 (Ctrl+C to stop)")
    if workers == 1 and not reload:
        uvicorn.run(create_app(settings), host=bind_host, port=bind_port)
        return
    # Worker processes build their own Settings from the environment: pass the URL on.
    os.environ["CROWDLOOP_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        FACTORY, factory=True, host=bind_host, port=bind_port, workers=workers, reload=reload
    )


def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the API server. On SQLite the schema is created or upgraded automatically;
    on PostgreSQL an outdated schema stops the server: run `crowdloop db upgrade`."""
    cli = state(ctx)
    upgraded_from = ensure_schema(cli.db.engine, upgrade=cli.settings.is_sqlite)
    if upgraded_from is not None:
        info(f"schema upgraded from {upgraded_from} to the newest revision")
    cli.close()
    run_server(cli.settings, host=host, port=port, workers=workers, reload=reload)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

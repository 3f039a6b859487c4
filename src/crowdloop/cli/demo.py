"""``crowdloop demo``: upgrade the database, seed the demo, print how to use it, serve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crowdloop.cli._common import info, state, unit
from crowdloop.cli.db import ensure_schema
from crowdloop.cli.serve import HostOption, PortOption, run_server

if TYPE_CHECKING:
    from crowdloop.demo import DemoInfo


def describe(demo: DemoInfo, base: str) -> list[str]:
    """The lines printed for a newcomer: URLs, then accounts, then a first request."""
    api = f"{base}/api/v1"
    verb = "created" if demo.created else "already there"
    lines = [
        f"Demo project {demo.project_id} ({verb}): {demo.project_name}, {demo.n_tasks} tasks",
        "",
        f"  Web UI       {base}/login",
        f"  API          {api}",
        f"  OpenAPI      {api}/openapi.json",
        f"  Health       {api}/health",
        "",
        "Demo accounts (public passwords and tokens: do not expose this server):",
        f"  {'username':<16} {'role':<10} {'password':<26} token",
    ]
    lines += [
        f"  {a.username:<16} {a.role.value:<10} {a.password:<26} {a.token}" for a in demo.accounts
    ]
    worker = next(a for a in demo.accounts if a.role.value == "worker")
    lines += [
        "",
        "Try it (as a worker, ask for the next task):",
        f"  curl -X POST -H 'Authorization: Bearer {worker.token}' "
        f"{api}/projects/{demo.project_id}/next",
    ]
    return lines


def demo(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    serve: Annotated[bool, typer.Option(help="Start the server after seeding.")] = True,
) -> None:
    """Load the demo (accounts, a project of 60 product reviews) and serve it.

    Zero configuration: uses ./crowdloop.db unless told otherwise. Safe to run again:
    nothing is duplicated.
    """
    from crowdloop.demo import seed_demo

    cli = state(ctx)
    upgraded_from = ensure_schema(cli.db.engine, upgrade=True)
    if upgraded_from is not None:
        info(f"schema upgraded from {upgraded_from} to the newest revision")
    with unit(ctx) as session:
        seeded = seed_demo(session, cli.settings)
    base = f"http://{host or cli.settings.host}:{port or cli.settings.port}"
    typer.echo("\n".join(describe(seeded, base)))
    cli.close()
    if serve:
        run_server(cli.settings, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

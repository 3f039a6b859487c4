"""``crowdloop assign``: push assignment (lease open tasks to the best-matched workers)."""

from __future__ import annotations

from typing import Annotated

import typer

from crowdloop.cli._common import operator, unit

#: crowdloop.allocation.schemas.MAX_CAPACITY, repeated here so that ``--help`` does not
#: import the allocation domain (tests/cli/test_startup.py checks that the two agree).
MAX_CAPACITY = 32


def assign(
    ctx: typer.Context,
    project_id: Annotated[int, typer.Argument(metavar="PROJECT", help="Project id.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; lease nothing.")
    ] = False,
    capacity: Annotated[
        int,
        typer.Option("--capacity", min=1, max=MAX_CAPACITY, help="New leases per worker."),
    ] = 1,
) -> None:
    """Lease open tasks to every allowed worker, maximising the total matching score.

    Prints the result as JSON (counts and the assignments).
    """
    from crowdloop.allocation import service
    from crowdloop.allocation.schemas import AssignRequest

    request = AssignRequest(capacity=capacity, dry_run=dry_run)
    with unit(ctx, write=not dry_run) as session:
        result = service.push(session, operator(), project_id, request)
    typer.echo(result.model_dump_json(indent=2))


def register(app: typer.Typer) -> None:
    app.command("assign")(assign)

"""``crowdloop quality``: re-fit truth inference, agreement and worker quality."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crowdloop.cli._common import operator, unit

app = typer.Typer(help="Truth inference, agreement and worker quality.", no_args_is_help=True)
ProjectId = Annotated[int, typer.Argument(metavar="PROJECT_ID", help="Project id.")]


@app.command()
def refit(ctx: typer.Context, project_id: ProjectId) -> None:
    """Re-run truth inference over the project now and apply its quality rules."""
    from crowdloop.projects import access
    from crowdloop.quality import inference, service

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        report = inference.refit(session, project)
        service.evaluate_all(session, project)
    typer.echo(report.model_dump_json(indent=2))


@app.command()
def agreement(ctx: typer.Context, project_id: ProjectId) -> None:
    """Pairwise agreement, Fleiss' kappa and Krippendorff's alpha, as JSON."""
    from crowdloop.projects import access
    from crowdloop.quality import metrics

    with unit(ctx, write=False) as session:
        project = access.for_reader(session, operator(), project_id)
        stats = metrics.agreement(session, project)
    typer.echo(stats.model_dump_json(indent=2))


@app.command()
def workers(ctx: typer.Context, project_id: ProjectId) -> None:
    """Every worker's quality in the project (with credible intervals), as JSON lines."""
    from crowdloop.projects import access
    from crowdloop.quality import service

    with unit(ctx, write=False) as session:
        project = access.for_reader(session, operator(), project_id)
        rows = service.project_workers(session, project)
    for row in rows:
        typer.echo(json.dumps(row.model_dump(mode="json")))

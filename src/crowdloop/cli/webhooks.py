"""``crowdloop webhooks``: a project's endpoints, their delivery log, redelivery, tests."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crowdloop.cli._common import info, operator, state, unit

app = typer.Typer(
    help="Webhooks: signed deliveries of a project's events to your endpoints.",
    no_args_is_help=True,
)
ProjectId = Annotated[int, typer.Argument(metavar="PROJECT_ID", help="Project id.")]
WebhookId = Annotated[int, typer.Argument(metavar="WEBHOOK_ID", help="Endpoint id.")]


@app.command()
def add(
    ctx: typer.Context,
    project_id: ProjectId,
    url: Annotated[str, typer.Argument(help="http(s) URL of the receiver.")],
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="An event type to send (repeat); none = every type."),
    ] = None,
    description: Annotated[str, typer.Option(help="A note for you.")] = "",
) -> None:
    """Register an endpoint; prints it as JSON with its signing secret (shown once)."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service
    from crowdloop.webhooks.schemas import EndpointCreate

    body = EndpointCreate(url=url, event_types=event or [], description=description)
    allow = state(ctx).settings.outbound
    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        out = service.create_endpoint(session, project, body, created_by=None, outbound=allow)
    info("keep the secret: it is shown only now and on rotate-secret")
    typer.echo(out.model_dump_json(indent=2))


@app.command("list")
def list_endpoints(ctx: typer.Context, project_id: ProjectId) -> None:
    """The project's endpoints, as JSON (without secrets)."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx, write=False) as session:
        found = service.list_endpoints(session, access.for_manager(session, operator(), project_id))
    typer.echo(json.dumps([e.model_dump(mode="json") for e in found], indent=2))


@app.command()
def remove(ctx: typer.Context, project_id: ProjectId, webhook_id: WebhookId) -> None:
    """Remove an endpoint with its deliveries and their log."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        service.delete_endpoint(session, project, webhook_id)
    info(f"webhook {webhook_id} removed")


@app.command("rotate-secret")
def rotate_secret(ctx: typer.Context, project_id: ProjectId, webhook_id: WebhookId) -> None:
    """A new signing secret (the old one stops at once); prints the endpoint with it."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        out = service.rotate_secret(session, project, webhook_id)
    typer.echo(out.model_dump_json(indent=2))


@app.command()
def deliveries(
    ctx: typer.Context,
    project_id: ProjectId,
    webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Newest deliveries shown.")] = 20,
) -> None:
    """The delivery log, newest first, with every attempt's status code or error, as JSON."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx, write=False) as session:
        project = access.for_manager(session, operator(), project_id)
        found = service.deliveries(session, project, webhook_id, limit=limit)
    typer.echo(json.dumps([d.model_dump(mode="json") for d in found], indent=2))


@app.command()
def redeliver(
    ctx: typer.Context,
    project_id: ProjectId,
    delivery_id: Annotated[int, typer.Argument(metavar="DELIVERY_ID", help="Delivery id.")],
) -> None:
    """Send a delivery again with the same webhook-id (the job worker sends it)."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        out = service.redeliver(session, project, delivery_id)
    state(ctx).platform.wake_webhooks()
    typer.echo(out.model_dump_json(indent=2))


@app.command("test")
def send_test(ctx: typer.Context, project_id: ProjectId, webhook_id: WebhookId) -> None:
    """Publish a webhook.test event for one endpoint; prints its event id and webhook-id."""
    from crowdloop.projects import access
    from crowdloop.webhooks import service

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        out = service.send_test(session, project, webhook_id, actor_id=None)
    typer.echo(out.model_dump_json(indent=2))

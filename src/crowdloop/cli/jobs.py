"""``crowdloop worker`` and ``crowdloop jobs``: run, list and retry background jobs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crowdloop.cli._common import info, state, unit
from crowdloop.cli.db import ensure_schema

app = typer.Typer(help="Background jobs: list, retry, run now.", no_args_is_help=True)


def worker(
    ctx: typer.Context,
    threads: Annotated[
        int, typer.Option("--threads", min=1, max=64, help="Worker threads in this process.")
    ] = 2,
) -> None:
    """Run background jobs (event relay, webhooks, re-inference, AI, lease expiry) until
    stopped. Run several on PostgreSQL or Redis to scale out; set
    CROWDLOOP_JOBS_EMBEDDED=0 on the servers so that only workers run jobs."""
    from crowdloop.jobs.consumer import run_standalone

    cli = state(ctx)
    ensure_schema(cli.db.engine, upgrade=cli.settings.is_sqlite)
    cli.platform.jobs.record_signals()
    info(f"crowdloop worker: {threads} thread(s), jobs: {', '.join(cli.platform.jobs.names)}")
    run_standalone(cli.platform.jobs.huey, threads)


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Rows per section.")] = 100,
) -> None:
    """Queued, scheduled, running and failed jobs, and parked event handlings, as JSON."""
    from crowdloop.events import service as events
    from crowdloop.events.models import HandlingStatus
    from crowdloop.jobs import service as jobs

    with unit(ctx, write=False) as session:
        overview = jobs.overview(session, state(ctx).platform.jobs, limit=limit)
        parked = events.list_handlings(session, status=HandlingStatus.failed, limit=limit)
    out = overview.model_dump(mode="json")
    out["failed_events"] = [h.model_dump(mode="json") for h in parked]
    typer.echo(json.dumps(out, indent=2))


@app.command()
def retry(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="A failed job's id.")]
) -> None:
    """Enqueue a failed job again with the same arguments."""
    from crowdloop.jobs import service as jobs

    with unit(ctx) as session:
        new_id = jobs.retry(session, state(ctx).platform.jobs, job_id)
    typer.echo(new_id)


@app.command("retry-event")
def retry_event(
    ctx: typer.Context, handling_id: Annotated[int, typer.Argument(help="A parked handling's id.")]
) -> None:
    """Re-arm an event handling that failed its last attempt; the relay runs it next."""
    from crowdloop.events import service as events

    with unit(ctx) as session:
        handling = events.retry(session, handling_id)
    typer.echo(handling.model_dump_json())


@app.command()
def run(ctx: typer.Context, name: Annotated[str, typer.Argument(help="A job's name.")]) -> None:
    """Enqueue a job now (e.g. quality.refit, ai.cycle, events.relay); prints its id."""
    typer.echo(state(ctx).platform.jobs.enqueue(name))


def register(root: typer.Typer) -> None:
    root.command("worker")(worker)
    root.add_typer(app, name="jobs")

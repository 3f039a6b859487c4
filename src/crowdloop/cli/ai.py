"""``crowdloop ai``: a project's model config, status and training."""

from __future__ import annotations

from typing import Annotated

import typer

from crowdloop.cli._common import info, operator, state, unit

app = typer.Typer(help="AI pre-labelling: config, status, training.", no_args_is_help=True)
ProjectId = Annotated[int, typer.Argument(metavar="PROJECT_ID", help="Project id.")]


class _Progress:
    """Progress lines on stderr: each stage's start, every 10%, and its end."""

    def __init__(self) -> None:
        self.stage, self.shown = "", -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, 100 * done // total)
        if stage != self.stage:
            self.stage, self.shown = stage, -1
        if percent // 10 > self.shown // 10 or (percent == 100 and self.shown < 100):
            self.shown = percent
            info(f"{stage}: {done}/{total} ({percent}%)")


@app.command()
def show(ctx: typer.Context, project_id: ProjectId) -> None:
    """The project's AI configuration, as JSON."""
    from crowdloop.ai import service
    from crowdloop.projects import access

    with unit(ctx, write=False) as session:
        config = service.config_of(access.for_manager(session, operator(), project_id))
    typer.echo(config.model_dump_json(indent=2))


@app.command("status")
def show_status(ctx: typer.Context, project_id: ProjectId) -> None:
    """Model version, certificate, auto-acceptance, audit and server health, as JSON."""
    from crowdloop.ai import status
    from crowdloop.projects import access

    with unit(ctx, write=False) as session:
        out = status.status(session, access.for_manager(session, operator(), project_id))
    typer.echo(out.model_dump_json(indent=2))


@app.command()
def train(ctx: typer.Context, project_id: ProjectId) -> None:
    """Train now, predict open tasks, certify, auto-accept if enabled; progress on stderr."""
    from crowdloop.ai import service, status
    from crowdloop.projects import access

    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        service.run(session, project, progress=_Progress())
        out = status.status(session, project)
    info(f"model {out.model_version}: {out.certificate_status}")
    typer.echo(out.model_dump_json(indent=2))


@app.command()
def config(  # noqa: PLR0913 - one option per setting
    ctx: typer.Context,
    project_id: ProjectId,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Turn the model on or off.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="tfidf, embeddings (extra crowdloop[ai]) or http.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Model server URL (model http).")] = None,
    target_accuracy: Annotated[
        float | None, typer.Option(help="Certified accuracy of machine answers, in (0, 1).")
    ] = None,
    holdout_share: Annotated[
        float | None, typer.Option(help="Share of tasks held out for people only.")
    ] = None,
    audit_share: Annotated[
        float | None, typer.Option(help="Share of auto-accepted tasks audited by people.")
    ] = None,
    retrain_after: Annotated[
        int | None, typer.Option(help="Retrain after this many new confident labels.")
    ] = None,
    show_suggestions: Annotated[
        bool | None,
        typer.Option("--show-suggestions/--hide-suggestions", help="Show workers the label."),
    ] = None,
    auto_accept: Annotated[
        bool | None,
        typer.Option("--auto-accept/--no-auto-accept", help="Close certified tasks."),
    ] = None,
    in_truth: Annotated[
        bool | None,
        typer.Option("--in-truth/--not-in-truth", help="The model votes in truth inference."),
    ] = None,
) -> None:
    """Change the given settings (others keep their values); prints the config as JSON."""
    from crowdloop.ai import service
    from crowdloop.ai.schemas import AiConfigUpdate
    from crowdloop.projects import access

    given = {
        "enabled": enable,
        "model": model,
        "url": url,
        "target_accuracy": target_accuracy,
        "holdout_share": holdout_share,
        "audit_share": audit_share,
        "retrain_after": retrain_after,
        "show_suggestions": show_suggestions,
        "auto_accept": auto_accept,
        "in_truth": in_truth,
    }
    update = AiConfigUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    with unit(ctx) as session:
        project = access.for_manager(session, operator(), project_id)
        allow = state(ctx).settings.outbound
        out = service.update_config(session, project, update, outbound=allow)
    typer.echo(out.model_dump_json(indent=2))

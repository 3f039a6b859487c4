"""The ``crowdloop`` Typer app: global options and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from crowdloop import __version__
from crowdloop.cli import (
    aggregate,
    ai,
    assign,
    audit,
    db,
    demo,
    jobs,
    projects,
    quality,
    replay,
    serve,
    simulate,
    simulate_ai,
    transfer,
    users,
    webhooks,
)
from crowdloop.cli._common import CliState, CrowdloopGroup

app = typer.Typer(
    name="crowdloop",
    cls=CrowdloopGroup,
    help="crowdloop: people and AI models labelling data together.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crowdloop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy database URL; overrides CROWDLOOP_DATABASE_URL "
            "(default sqlite:///./crowdloop.db).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """crowdloop: people and AI models labelling data together.

    Every setting is read from CROWDLOOP_* environment variables (see docs/configuration.md).
    """
    del version
    ctx.obj = CliState(database_url=database_url)


serve.register(app)
demo.register(app)
transfer.register(app)
aggregate.register(app)
assign.register(app)
replay.register(app)
simulate.register(app)
simulate_ai.register(app)
jobs.register(app)
audit.register(app)
app.add_typer(db.app, name="db")
app.add_typer(users.users_app, name="users")
app.add_typer(users.tokens_app, name="tokens")
app.add_typer(projects.app, name="project")
app.add_typer(quality.app, name="quality")
app.add_typer(ai.app, name="ai")
app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    app()

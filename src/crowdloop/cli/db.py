"""``crowdloop db``: create and migrate the schema with Alembic (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crowdloop.cli._common import info, state
from crowdloop.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Create and migrate the database schema.", no_args_is_help=True)


def head_revision(url: str) -> str:
    """The newest migration this version of crowdloop ships."""
    from alembic.script import ScriptDirectory

    from crowdloop.storage import migrate

    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert head is not None, "crowdloop ships at least one migration"
    return head


def ensure_schema(engine: Engine, *, upgrade: bool) -> str | None:
    """Bring the schema to head (``upgrade``) or refuse to run on an outdated one.

    Returns the revision upgraded from when an upgrade ran, else None.
    """
    from crowdloop.storage import migrate

    current = migrate.current_revision(engine)
    head = head_revision(str(engine.url))
    if current == head:
        return None
    if not upgrade:
        raise Conflict(
            f"the database schema is at {current or 'nothing (empty database)'} but this "
            f"crowdloop needs {head}: run `crowdloop db upgrade` first"
        )
    migrate.upgrade(engine)
    return current or "empty"


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the schema to REVISION (default: the newest). Safe to run repeatedly."""
    from alembic.util import CommandError

    from crowdloop.storage import migrate

    engine = state(ctx).db.engine
    before = migrate.current_revision(engine)
    try:
        migrate.upgrade(engine, revision)
    except CommandError as exc:
        raise InvalidInput(f"cannot upgrade to {revision!r}: {exc}") from None
    after = migrate.current_revision(engine)
    info(f"schema: {before or 'empty'} -> {after or 'empty'}")


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' to drop all.")],
) -> None:
    """Downgrade the schema to REVISION (destroys the data of the dropped tables)."""
    from alembic.util import CommandError

    from crowdloop.storage import migrate

    engine = state(ctx).db.engine
    before = migrate.current_revision(engine)
    try:
        migrate.downgrade(engine, revision)
    except CommandError as exc:
        raise InvalidInput(f"cannot downgrade to {revision!r}: {exc}") from None
    after = migrate.current_revision(engine)
    info(f"schema: {before or 'empty'} -> {after or 'empty'}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database ('none' when empty), marking the head."""
    from crowdloop.storage import migrate

    engine = state(ctx).db.engine
    revision = migrate.current_revision(engine)
    head = head_revision(str(engine.url))
    if revision is None:
        typer.echo("none")
    else:
        typer.echo(f"{revision} (head)" if revision == head else f"{revision} (head is {head})")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write the backup.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Back the database up while the server runs: SQLite's online backup API (a
    consistent copy), or pg_dump's custom format on PostgreSQL."""
    from crowdloop.storage import backup as backups

    backups.backup(state(ctx).settings.database_url, path, force=force)
    info(f"backed up to {path}")


@app.command()
def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup made by `crowdloop db backup`.")],
) -> None:
    """Replace the database's content with a backup's (stop the server first), then
    bring its schema up to this version's."""
    from crowdloop.storage import backup as backups

    cli = state(ctx)
    backups.restore(cli.settings.database_url, path)
    upgraded_from = ensure_schema(cli.db.engine, upgrade=True)
    note = f"; schema upgraded from {upgraded_from}" if upgraded_from else ""
    info(f"restored from {path}{note}")

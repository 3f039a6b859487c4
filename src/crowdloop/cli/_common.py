"""What every command shares: Settings built once, one unit of work, one way to fail.

Each command gets its :class:`CliState` from the Typer context. The state builds
``Settings`` once (environment, then the global ``--database-url`` option) and opens
the database once; a command's work runs in exactly one :func:`unit_of_work`.
Any :class:`CrowdloopError` ends the command with a single ``error: <detail>`` line
on stderr and exit code 1 (usage errors keep Typer's exit code 2).

Start-up (issue 12): this module, like every command module, imports only typer and light
modules at its top; settings (pydantic), SQLAlchemy, the models and ``wiring`` (every domain)
are imported by the functions that need them, so ``crowdloop --help`` pays for none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from crowdloop.errors import CrowdloopError, InvalidInput

if TYPE_CHECKING:
    from pydantic import ValidationError
    from sqlalchemy.orm import Session

    from crowdloop.accounts.models import User
    from crowdloop.config import Settings
    from crowdloop.storage.engine import Database
    from crowdloop.wiring import Platform


@dataclass
class CliState:
    """Per-invocation state: the ``--database-url`` override, then Settings and the DB."""

    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _platform: Platform | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from pydantic import ValidationError

            from crowdloop.config import Settings

            try:
                overrides: dict[str, Any] = {}
                if self.database_url:
                    overrides["database_url"] = self.database_url
                self._settings = Settings(**overrides)
            except ValidationError as exc:
                raise InvalidInput(f"bad settings: {validation_message(exc)}") from None
        return self._settings

    @property
    def platform(self) -> Platform:
        """The database with its event bus and the job registry, built on first use."""
        if self._platform is None:
            from crowdloop.wiring import build  # lazy: it imports every domain

            self._platform = build(self.settings)
        return self._platform

    @property
    def db(self) -> Database:
        return self.platform.db

    def close(self) -> None:
        if self._platform is not None:
            self._platform.flush()  # a command's events wake the relay before it exits
            self._platform.db.dispose()
            self._platform.jobs.close()
            self._platform = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


@contextmanager
def unit(ctx: typer.Context, *, write: bool = True) -> Iterator[Session]:
    """The command's one unit of work: commits on success, rolls back on any error."""
    from crowdloop.storage.uow import unit_of_work

    with unit_of_work(state(ctx).db, write=write) as session:
        yield session


def operator() -> User:
    """The principal a CLI command acts as: whoever holds the database acts as an admin.

    A transient object, never added to a session; services only read its role and id.
    """
    from crowdloop.accounts.models import Role, User

    return User(id=0, username="cli", role=Role.admin, is_active=True)


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: ``field: message; field: message``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p not in ("function-after",))
        parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
    return "; ".join(parts)


def fail(detail: str) -> NoReturn:
    typer.echo(f"error: {detail}", err=True)
    raise typer.Exit(1)


def warn(detail: str) -> None:
    typer.echo(f"warning: {detail}", err=True)


def info(detail: str) -> None:
    """Progress and notes go to stderr so stdout stays machine-readable."""
    typer.echo(detail, err=True)


def user_error(exc: BaseException) -> str | None:
    """The one-line message of an error the user caused, or None for any other exception.

    pydantic's and SQLAlchemy's errors are recognised through ``sys.modules``: an instance
    of one exists only once its module has been imported, so the check imports nothing.
    """
    if isinstance(exc, CrowdloopError):
        return exc.detail
    pydantic_core = sys.modules.get("pydantic_core")
    if pydantic_core is not None and isinstance(exc, pydantic_core.ValidationError):
        return validation_message(exc)
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.OperationalError):
        return f"database error: {str(exc.orig).strip().splitlines()[0]}"
    if isinstance(exc, OSError | UnicodeDecodeError):
        return str(exc)
    return None


class CrowdloopGroup(TyperGroup):
    """The root group: maps user-caused errors to one stderr line and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = user_error(exc)
            if message is None:
                raise
            fail(message)
        finally:
            obj = ctx.obj
            if isinstance(obj, CliState):
                obj.close()

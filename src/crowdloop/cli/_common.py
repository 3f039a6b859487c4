"""What every command shares: Settings built once, one unit of work, one way to fail.

Each command gets its :class:`CliState` from the Typer context. The state builds
``Settings`` once (environment, then the global ``--database-url`` option) and opens
the database once; a command's work runs in exactly one :func:`unit_of_work`.
Any :class:`CrowdloopError` ends the command with a single ``error: <detail>`` line
on stderr and exit code 1 (usage errors keep Typer's exit code 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from crowdloop.accounts.models import Role, User
from crowdloop.config import Settings
from crowdloop.errors import CrowdloopError, InvalidInput
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

if TYPE_CHECKING:  # wiring imports every domain: only commands that open the database need it
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
            from crowdloop.wiring import build  # lazy: see the import above

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
    with unit_of_work(state(ctx).db, write=write) as session:
        yield session


def operator() -> User:
    """The principal a CLI command acts as: whoever holds the database acts as an admin.

    A transient object, never added to a session; services only read its role and id.
    """
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


class CrowdloopGroup(TyperGroup):
    """The root group: maps user-caused errors to one stderr line and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CrowdloopError as exc:
            fail(exc.detail)
        except ValidationError as exc:
            fail(validation_message(exc))
        except OperationalError as exc:
            fail(f"database error: {str(exc.orig).strip().splitlines()[0]}")
        except (OSError, UnicodeDecodeError) as exc:
            fail(str(exc))
        finally:
            obj = ctx.obj
            if isinstance(obj, CliState):
                obj.close()

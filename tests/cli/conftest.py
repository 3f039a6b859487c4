"""CLI fixtures: invoke ``crowdloop`` in-process against the test database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from crowdloop.cli.main import app
from crowdloop.config import Settings
from crowdloop.storage.engine import Database

Run = Callable[..., Result]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, url: str, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["--database-url", url, *args], input=stdin)


@pytest.fixture
def run(runner: CliRunner, settings: Settings, db: Database) -> Run:
    """``run("users", "list")``: the CLI on the test's migrated database."""
    del db  # requested so that the PostgreSQL tables are truncated after the test

    def _run(*args: str, stdin: str | None = None) -> Result:
        return invoke(runner, settings.database_url, *args, stdin=stdin)

    return _run


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no schema at all, on the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = request.getfixturevalue("pg_database_url")
    name = f"crowdloop_cli_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def last_error(result: Result) -> str:
    """The one ``error:`` line a failed command prints on stderr."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]

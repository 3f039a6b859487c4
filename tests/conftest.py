"""Test fixtures: a real, migrated database per test, on SQLite and on PostgreSQL.

Every database test runs once per backend. PostgreSQL runs when CROWDLOOP_TEST_DATABASE_URL
is set (``.ci/run`` sets it, and ``test_ci_runs_postgres`` fails if CI forgets to).
Isolation: SQLite tests get a copy of a migrated template file; PostgreSQL tests share one
migrated database per xdist worker and truncate every table after each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database, make_engine
from crowdloop.storage.registry import Base
from crowdloop.wiring import Platform, build

PG_URL = os.environ.get("CROWDLOOP_TEST_DATABASE_URL", "")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _worker_id(config: pytest.Config) -> str:
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if not PG_URL:
        pytest.skip("CROWDLOOP_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    # Unique per process: several suites may run at once against one server.
    name = f"crowdloop_test_{_worker_id(request.config)}_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if backend == "sqlite":
        path = tmp_path / "crowdloop.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database_url")
    return Settings(
        env="test",
        database_url=url,
        import_batch_size=50,
        refit_interval_seconds=0,
        ai_interval_seconds=0,
        jobs_embedded=False,
    )


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    """The database wired with its event bus and job registry, as entry points build it."""
    wired = build(settings)
    yield wired
    if wired.db.engine.dialect.name == "postgresql":
        _truncate(wired.db)
        wired.jobs.flush()
    wired.jobs.close()
    wired.db.dispose()


@pytest.fixture
def db(platform: Platform) -> Database:
    return platform.db


@pytest.fixture
def app_client(settings: Settings, platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(settings, platform=platform)) as client:
        yield client


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA

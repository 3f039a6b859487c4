"""``crowdloop db backup`` / ``restore``: a consistent copy, and the data back from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crowdloop.accounts.models import User
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.cli.conftest import Run, last_error
from tests.factories.accounts import make_user


def _users(db: Database) -> set[str]:
    with unit_of_work(db, write=False) as session:
        return set(session.scalars(select(User.username)))


def _need_pg_tools(backend: str) -> None:
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore are not installed on this machine")


def test_backup_then_restore_brings_the_data_back(
    run: Run, db: Database, backend: str, tmp_path: Path
) -> None:
    _need_pg_tools(backend)
    with unit_of_work(db) as session:
        make_user(session, username="kept")
    target = tmp_path / "backup.bin"
    made = run("db", "backup", str(target))
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0
    with unit_of_work(db) as session:
        make_user(session, username="after-backup")
    assert {"kept", "after-backup"} <= _users(db)
    db.engine.dispose()  # the restore replaces the content under open connections
    restored = run("db", "restore", str(target))
    assert restored.exit_code == 0, restored.output
    names = _users(db)
    assert "kept" in names
    assert "after-backup" not in names


def test_an_existing_file_is_not_overwritten(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "taken.bin"
    target.write_text("mine")
    result = run("db", "backup", str(target))
    assert result.exit_code == 1
    assert last_error(result) == f"error: {target} exists; pass --force to overwrite it"
    assert target.read_text() == "mine"


def test_restoring_something_else_is_refused_and_changes_nothing(
    run: Run, db: Database, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("pg_restore judges its own input; SQLite files are checked by crowdloop")
    with unit_of_work(db) as session:
        make_user(session, username="still-here")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = run("db", "restore", str(junk))
    assert result.exit_code == 1
    assert "is not a SQLite database" in last_error(result)
    missing = run("db", "restore", str(tmp_path / "nope.db"))
    assert "does not exist" in last_error(missing)
    with unit_of_work(db, write=False) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
    assert _users(db) == {"still-here"}

"""Backups: SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore.

A SQLite backup is a consistent copy taken while the server runs (the backup API copies
pages under SQLite's own locking). A restore replaces the database's content with the
backup's; stop the server first. PostgreSQL is dumped in pg_dump's custom format; the
client tools must be on PATH (they come with the PostgreSQL client package).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from crowdloop.errors import Conflict, InvalidInput

MARKER_TABLE = "alembic_version"


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    with target:
        source.backup(target)


def _check_crowdloop(path: Path) -> None:
    """Refuse a file that is not a crowdloop database (nothing is written before this)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name=?", (MARKER_TABLE,)
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a SQLite database ({exc})") from None
    if row is None:
        raise InvalidInput(f"{path} is not a crowdloop database (no {MARKER_TABLE} table)")


def backup(database_url: str, target: Path, *, force: bool = False) -> None:
    """Write a consistent copy of the database to ``target``."""
    if target.exists() and not force:
        raise Conflict(f"{target} exists; pass --force to overwrite it")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = sqlite_path(url)
        if not source.is_file():
            raise InvalidInput(f"database file {source} does not exist")
        partial = target.with_name(target.name + ".partial")
        with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
            _copy(src, dst)
        partial.replace(target)  # never a half-written backup under the real name
        return
    _pg_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={target}"])


def restore(database_url: str, source: Path) -> None:
    """Replace the database's content with a backup's (stop the server first)."""
    if not source.is_file():
        raise InvalidInput(f"backup {source} does not exist or is not a file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _check_crowdloop(source)
        target = sqlite_path(url)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            _copy(src, dst)
        return
    _pg_tool(
        "pg_restore",
        url,
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={url.database}",
            str(source),
        ],
    )


def _pg_tool(tool: str, url: URL, args: list[str]) -> None:
    """Run a PostgreSQL client tool with the connection in its environment (a password in
    argv would show in the process list)."""
    found = shutil.which(tool)
    if found is None:
        raise InvalidInput(
            f"{tool} is not on PATH: install the PostgreSQL client tools (e.g. the "
            f"postgresql-client package), or run {tool} yourself (docs/operations.md)"
        )
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[key] = str(value)
    done = subprocess.run([found, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise InvalidInput(f"{tool} failed: {last}")

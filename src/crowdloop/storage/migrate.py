"""Run Alembic migrations programmatically (no alembic.ini needed at run time)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

MIGRATIONS = "crowdloop:migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option(
        "file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


# Indexes written by hand in migrations because autogenerate cannot compare them
# (expression indexes such as "priority DESC").
HAND_WRITTEN_INDEXES = frozenset({"ix_tasks_pick"})
JOB_QUEUE_TABLE_PREFIX = "huey_"


def include_object(
    _obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object
) -> bool:
    """Alembic autogenerate filter: skip the hand-written indexes, and the job queue's own
    tables (huey creates ``huey_*`` itself when the queue lives in PostgreSQL)."""
    if type_ == "table" and name is not None and name.startswith(JOB_QUEUE_TABLE_PREFIX):
        return False
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)

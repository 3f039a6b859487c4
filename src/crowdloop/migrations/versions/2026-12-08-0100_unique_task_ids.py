"""tasks: a task id (external_id) is unique within its project

Tasks stored before this revision may share an id (imports did not check it): every task
after the first with the same id keeps it with "~dup<task id>" appended, so nothing is lost
and the copies stay findable. Issue 11.

Revision ID: af6b3c40a600
Revises: 9e5a2b30f500
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "af6b3c40a600"
down_revision: str | None = "9e5a2b30f500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_LENGTH = 255


def _renamed(external_id: str, task_id: int) -> str:
    suffix = f"~dup{task_id}"
    return external_id[: ID_LENGTH - len(suffix)] + suffix


def upgrade() -> None:
    tasks = sa.table("tasks", sa.column("id"), sa.column("project_id"), sa.column("external_id"))
    first = tasks.alias("first")
    later = sa.select(tasks.c.id, tasks.c.external_id).where(
        sa.exists().where(
            first.c.project_id == tasks.c.project_id,
            first.c.external_id == tasks.c.external_id,
            first.c.id < tasks.c.id,
        )
    )
    bind = op.get_bind()
    for task_id, external_id in bind.execute(later).all():
        bind.execute(
            tasks.update()
            .where(tasks.c.id == task_id)
            .values(external_id=_renamed(external_id, task_id))
        )
    op.create_index(
        "uq_tasks_project_external_id", "tasks", ["project_id", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_tasks_project_external_id", table_name="tasks")

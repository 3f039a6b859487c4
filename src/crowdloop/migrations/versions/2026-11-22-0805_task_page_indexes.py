"""task page indexes: (project_id, id) for cursor pages; control index ends with id

Revision ID: 3c1d2e7f9a10
Revises: 96c2ed4c52e8
Create Date: 2026-11-22 08:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c1d2e7f9a10"
down_revision: str | None = "96c2ed4c52e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tasks_project_control", table_name="tasks")
    op.create_index("ix_tasks_project_control", "tasks", ["project_id", "is_control", "id"])
    op.create_index("ix_tasks_project_id", "tasks", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_project_id", table_name="tasks")
    op.drop_index("ix_tasks_project_control", table_name="tasks")
    op.create_index("ix_tasks_project_control", "tasks", ["project_id", "is_control"])

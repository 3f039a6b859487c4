"""worker position index: (worker_id, project_id, id) finds a worker's newest assignment

Revision ID: 4d8e1f2a3b20
Revises: 3c1d2e7f9a10
Create Date: 2026-11-22 08:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4d8e1f2a3b20"
down_revision: str | None = "3c1d2e7f9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_assignments_worker_project", table_name="assignments")
    op.create_index(
        "ix_assignments_worker_project", "assignments", ["worker_id", "project_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_worker_project", table_name="assignments")
    op.create_index("ix_assignments_worker_project", "assignments", ["worker_id", "project_id"])

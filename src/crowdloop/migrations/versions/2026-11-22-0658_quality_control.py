"""quality control

Revision ID: 608a9d9b0e8d
Revises: e066c4e8c58d
Create Date: 2026-11-22 06:58:23.010175
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crowdloop.storage.types

revision: str = "608a9d9b0e8d"
down_revision: str | None = "e066c4e8c58d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "warn",
                "block",
                "discard",
                "unblock",
                "restore",
                name="eventkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("reverted", sa.Boolean(), nullable=False),
        sa.Column("created_at", crowdloop.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_quality_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_quality_events_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_events")),
    )
    with op.batch_alter_table("quality_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_events_project_worker", ["project_id", "worker_id"], unique=False
        )

    op.create_table(
        "worker_quality",
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("n_answers", sa.Integer(), nullable=False),
        sa.Column("n_control", sa.Integer(), nullable=False),
        sa.Column("n_control_correct", sa.Integer(), nullable=False),
        sa.Column("n_fast", sa.Integer(), nullable=False),
        sa.Column("skip_streak", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("accuracy_low", sa.Float(), nullable=True),
        sa.Column("accuracy_high", sa.Float(), nullable=True),
        sa.Column("agreement", sa.Float(), nullable=True),
        sa.Column("confusion", sa.JSON(), nullable=True),
        sa.Column(
            "blocked_until", crowdloop.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("block_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", crowdloop.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_worker_quality_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_worker_quality_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "worker_id", name=op.f("pk_worker_quality")),
    )
    with op.batch_alter_table("worker_quality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_quality_worker_id"), ["worker_id"], unique=False
        )

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quality_config", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("quality_state", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_project_control", ["project_id", "is_control"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_project_control")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("quality_state")
        batch_op.drop_column("quality_config")

    with op.batch_alter_table("worker_quality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_quality_worker_id"))

    op.drop_table("worker_quality")
    with op.batch_alter_table("quality_events", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_events_project_worker")

    op.drop_table("quality_events")

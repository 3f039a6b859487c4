"""review

Revision ID: 96c2ed4c52e8
Revises: 608a9d9b0e8d
Create Date: 2026-11-22 07:06:50.885813
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crowdloop.storage.types

revision: str = "96c2ed4c52e8"
down_revision: str | None = "608a9d9b0e8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reviewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "reviewed_at", crowdloop.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("worker_quality", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("n_accepted", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("n_rejected", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_quality", schema=None) as batch_op:
        batch_op.drop_column("n_rejected")
        batch_op.drop_column("n_accepted")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("review_required")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewer_id")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("review")

"""quality events: who undid an event and when

Revision ID: 7c3e2f10c300
Revises: 6b2d1ef0b200
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crowdloop.storage.types

revision: str = "7c3e2f10c300"
down_revision: str | None = "6b2d1ef0b200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("quality_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverted_by", BIG_ID, nullable=True))
        batch_op.add_column(
            sa.Column(
                "reverted_at", crowdloop.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("quality_events", schema=None) as batch_op:
        batch_op.drop_column("reverted_at")
        batch_op.drop_column("reverted_by")

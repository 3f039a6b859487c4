"""ai models: model versions, predictions, task marks, embedding cache, projects.ai_config

Revision ID: 5a1c0de0a100
Revises: 4d8e1f2a3b20
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crowdloop.storage.types

revision: str = "5a1c0de0a100"
down_revision: str | None = "4d8e1f2a3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUS = sa.Enum("training", "ready", "failed", name="modelstatus", native_enum=False, length=16)
ROLE = sa.Enum("heldout", "audit", "auto", name="taskrole", native_enum=False, length=16)


def _datetime() -> crowdloop.storage.types.UTCDateTime:
    return crowdloop.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ai_model_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", _datetime(), nullable=False),
        sa.Column("trained_at", _datetime(), nullable=True),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_predicted", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.Column("audit", sa.JSON(), nullable=True),
        sa.Column("artefact", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_ai_model_versions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_model_versions")),
        sa.UniqueConstraint("project_id", "version", name="uq_ai_model_versions_version"),
    )
    op.create_table(
        "ai_predictions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("task_id", BIG_ID, nullable=False),
        sa.Column("model_version_id", BIG_ID, nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("probabilities", sa.JSON(), nullable=True),
        sa.Column("created_at", _datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["ai_model_versions.id"],
            name=op.f("fk_ai_predictions_model_version_id_ai_model_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_ai_predictions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_ai_predictions_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_predictions")),
        sa.UniqueConstraint("task_id", "model_version_id", name="uq_ai_predictions_task_model"),
    )
    op.create_index(
        "ix_ai_predictions_project_model",
        "ai_predictions",
        ["project_id", "model_version_id", "confidence"],
    )
    op.create_index("ix_ai_predictions_model_version_id", "ai_predictions", ["model_version_id"])
    op.create_table(
        "ai_task_marks",
        sa.Column("task_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("model_version_id", BIG_ID, nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("created_at", _datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["ai_model_versions.id"],
            name=op.f("fk_ai_task_marks_model_version_id_ai_model_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_ai_task_marks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_ai_task_marks_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_ai_task_marks")),
    )
    op.create_index(
        "ix_ai_task_marks_project_role", "ai_task_marks", ["project_id", "role", "task_id"]
    )
    op.create_index(
        op.f("ix_ai_task_marks_model_version_id"), "ai_task_marks", ["model_version_id"]
    )
    op.create_table(
        "ai_embeddings",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "text_sha256", name=op.f("pk_ai_embeddings")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ai_config", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("ai_config")
    op.drop_table("ai_embeddings")
    op.drop_index(op.f("ix_ai_task_marks_model_version_id"), table_name="ai_task_marks")
    op.drop_index("ix_ai_task_marks_project_role", table_name="ai_task_marks")
    op.drop_table("ai_task_marks")
    op.drop_index("ix_ai_predictions_model_version_id", table_name="ai_predictions")
    op.drop_index("ix_ai_predictions_project_model", table_name="ai_predictions")
    op.drop_table("ai_predictions")
    op.drop_table("ai_model_versions")

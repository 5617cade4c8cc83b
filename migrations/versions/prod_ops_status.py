"""ops_status: what the deployment reports about itself (reminder workers' last pass,
the last backup), read by `flask planner doctor`.

Revision ID: d20a0b5e0001
Revises: a7d3c9e1b5f2
Create Date: 2026-12-08 01:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = "d20a0b5e0001"
down_revision = "a7d3c9e1b5f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ops_status",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ops_status")),
    )


def downgrade():
    op.drop_table("ops_status")

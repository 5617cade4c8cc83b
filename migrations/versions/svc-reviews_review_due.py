"""when a week's review is due: a company setting

company.review_due_minutes: minutes after the end of the week (Sunday 24:00, company
time) when a week's review is due; 720 = Monday 12:00 (the default).

Revision ID: 7d3b9a5c2e41
Revises: 5e1f0a2b7c3d
Create Date: 2026-12-08 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7d3b9a5c2e41"
down_revision = "5e1f0a2b7c3d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("company") as batch:
        batch.add_column(sa.Column("review_due_minutes", sa.Integer(), nullable=False,
                                   server_default="720"))


def downgrade():
    with op.batch_alter_table("company") as batch:
        batch.drop_column("review_due_minutes")

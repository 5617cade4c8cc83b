"""a fiscal year is a draft or published

- fiscal_year.status: "draft" (planned, seen only by the managers and the director) or
  "published" (reps see it from its first day). Years made before this are published.

Revision ID: a7e3c9d1f2b6
Revises: 0a7c3e91d4f2
Create Date: 2026-12-08 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e3c9d1f2b6'
down_revision = "0a7c3e91d4f2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fiscal_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='published'))


def downgrade():
    with op.batch_alter_table('fiscal_year', schema=None) as batch_op:
        batch_op.drop_column('status')

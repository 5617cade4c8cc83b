"""unit membership history: who belonged to which unit, and when

Revision ID: a7d3c9e1b5f2
Revises: a7e3c9d1f2b6
Create Date: 2026-12-08 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c9e1b5f2'
down_revision = "a7e3c9d1f2b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unit_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=True),
        sa.Column('end', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_unit_membership_user_id_user_account')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_unit_membership_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_membership')),
    )
    op.create_index('ix_unit_membership_user', 'unit_membership', ['user_id', 'start'])
    op.create_index(op.f('ix_unit_membership_unit_id'), 'unit_membership', ['unit_id'])


def downgrade():
    op.drop_index(op.f('ix_unit_membership_unit_id'), table_name='unit_membership')
    op.drop_index('ix_unit_membership_user', table_name='unit_membership')
    op.drop_table('unit_membership')

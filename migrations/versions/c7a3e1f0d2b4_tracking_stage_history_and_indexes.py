"""tracking: the lead-stage history and the indexes the tracking queries need

stage_move keeps every move of a customer between lead stages (the funnel's source).
Covering indexes for the tracking queries (they read the index, never the table):
ix_visit_user_day_cover (visits grouped by rep between two days), ix_visit_day_user_cover
(the burn-up: visits grouped by day), ix_target_track (the reps' leaf targets of a year,
metric and tier with their year values), ix_customer_won_owner (first wins by day).

Revision ID: c7a3e1f0d2b4
Revises: c4a7e2b9d311
Create Date: 2026-12-02 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a3e1f0d2b4'
down_revision = "c4a7e2b9d311"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visit_id', sa.String(length=36), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_stage_move_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stage.id'], name=op.f('fk_stage_move_from_stage_id_stage')),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stage.id'], name=op.f('fk_stage_move_to_stage_id_stage')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_stage_move_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_move'))
    )
    with op.batch_alter_table('stage_move', schema=None) as batch_op:
        batch_op.create_index('ix_stage_move_customer', ['customer_id', 'day'], unique=False)
        batch_op.create_index('ix_stage_move_user_day', ['user_id', 'day'], unique=False)
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_day_user_cover', ['local_date', 'user_id', 'kind',
                              'amount_signed', 'amount_collected'], unique=False)
        batch_op.create_index('ix_visit_user_day_cover', ['user_id', 'local_date', 'kind',
                              'amount_signed', 'amount_collected'], unique=False)
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.create_index('ix_target_track', ['fiscal_year_id', 'tier', 'metric_id',
                              'user_id', 'value'], unique=False)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_won_owner', ['first_won_on', 'owner_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_won_owner')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_index('ix_target_track')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_user_day_cover')
        batch_op.drop_index('ix_visit_day_user_cover')
    with op.batch_alter_table('stage_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_move_user_day')
        batch_op.drop_index('ix_stage_move_customer')
    op.drop_table('stage_move')

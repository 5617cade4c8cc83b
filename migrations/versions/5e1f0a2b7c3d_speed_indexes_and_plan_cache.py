"""indexes for the hot queries; the rep's plan cached in the database

- ix_daily_plan_item_plan_id: a plan's items (Today reads today's and tomorrow's plan;
  a year of plans is ~1.5 M items, which Today scanned).
- ix_target_user (user_id, fiscal_year_id, tier): a rep's own targets for every metric
  (Today, the plan, the team page); ix_target_lookup starts with the metric.
- ix_customer_first_won_on: a month's new customers, company-wide (the director's Team).
- plan_stamp / plan_cache: change counters and each rep's last computed plan;
  summary_cache: sums shared by many pages (every team's month target).

Revision ID: 5e1f0a2b7c3d
Revises: c4a7e2d91f10
Create Date: 2026-12-02 08:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a2b7c3d'
down_revision = "c4a7e2d91f10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_daily_plan_item_plan_id', 'daily_plan_item', ['plan_id'])
    op.create_index('ix_target_user', 'target', ['user_id', 'fiscal_year_id', 'tier'])
    op.create_index('ix_customer_first_won_on', 'customer', ['first_won_on'])
    op.create_table(
        'plan_stamp',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_plan_stamp')),
    )
    op.create_table(
        'plan_cache',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE',
                                name=op.f('fk_plan_cache_user_id_user_account')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_plan_cache')),
    )
    op.create_table(
        'summary_cache',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_summary_cache')),
    )


def downgrade():
    op.drop_table('summary_cache')
    op.drop_table('plan_cache')
    op.drop_table('plan_stamp')
    op.drop_index('ix_customer_first_won_on', table_name='customer')
    op.drop_index('ix_target_user', table_name='target')
    op.drop_index('ix_daily_plan_item_plan_id', table_name='daily_plan_item')

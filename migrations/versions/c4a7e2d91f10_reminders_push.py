"""Reminders that reach the phone: retry time and read time of a reminder,
an index for the dispatcher's claim, and each user's reminder preferences.

Revision ID: c4a7e2d91f10
Revises: c7a3e1f0d2b4
Create Date: 2026-12-02 08:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a7e2d91f10'
down_revision = "c7a3e1f0d2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reminder_status_due_at', ['status', 'due_at'], unique=False)
    op.create_table('reminder_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kinds_off', sa.JSON(), nullable=False),
    sa.Column('morning_time', sa.String(length=5), nullable=False),
    sa.Column('evening_time', sa.String(length=5), nullable=False),
    sa.Column('quiet_start', sa.String(length=5), nullable=True),
    sa.Column('quiet_end', sa.String(length=5), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_reminder_preference_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reminder_preference'))
    )


def downgrade():
    op.drop_table('reminder_preference')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_status_due_at')
        batch_op.drop_column('read_at')
        batch_op.drop_column('next_attempt_at')

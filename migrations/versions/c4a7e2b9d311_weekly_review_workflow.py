"""weekly review workflow: support department, next week's focus and numbers, history
(transitions) and comment thread

Revision ID: c4a7e2b9d311
Revises: ebc1f4db4fbc
Create Date: 2026-12-02 08:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7e2b9d311'
down_revision = 'ebc1f4db4fbc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weekly_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_department', sa.String(length=120),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_focus', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('next_numbers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('weekly_review_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('op_id', sa.String(length=36), nullable=True),
    sa.Column('op_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_weekly_review_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['review_id'], ['weekly_review.id'], name=op.f('fk_weekly_review_event_review_id_weekly_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_review_event')),
    sa.UniqueConstraint('op_id', name=op.f('uq_weekly_review_event_op_id'))
    )
    with op.batch_alter_table('weekly_review_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_review_event_review_id'), ['review_id'], unique=False)

    op.create_table('weekly_review_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_weekly_review_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['review_id'], ['weekly_review.id'], name=op.f('fk_weekly_review_comment_review_id_weekly_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_review_comment'))
    )
    with op.batch_alter_table('weekly_review_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_review_comment_review_id'), ['review_id'], unique=False)


def downgrade():
    with op.batch_alter_table('weekly_review_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_review_comment_review_id'))
    op.drop_table('weekly_review_comment')
    with op.batch_alter_table('weekly_review_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_review_event_review_id'))
    op.drop_table('weekly_review_event')
    with op.batch_alter_table('weekly_review', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('next_numbers')
        batch_op.drop_column('next_focus')
        batch_op.drop_column('support_department')

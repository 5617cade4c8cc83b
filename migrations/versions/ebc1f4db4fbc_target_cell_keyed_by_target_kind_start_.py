"""target_cell keyed by (target, kind, start), without rowid

One B-tree instead of two: the surrogate id and the unique (target_id, kind, start) index
go, (target_id, kind, start) becomes the primary key, and on SQLite the table is a
WITHOUT ROWID table (the cells are stored in the primary key's B-tree). Nothing read the
id. Data is kept both ways (the downgrade numbers the cells afresh).

Revision ID: ebc1f4db4fbc
Revises: be5520b87b21
Create Date: 2026-11-27 04:08:01.216138

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ebc1f4db4fbc'
down_revision = 'be5520b87b21'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        # Rebuilt (copy, drop, rename) as a WITHOUT ROWID table.
        with op.batch_alter_table('target_cell', schema=None, recreate='always',
                                  table_kwargs={'sqlite_with_rowid': False}) as batch_op:
            batch_op.drop_constraint('uq_target_cell_target_id_kind_start', type_='unique')
            batch_op.drop_column('id')
            batch_op.create_primary_key('pk_target_cell', ['target_id', 'kind', 'start'])
        return
    op.drop_constraint('uq_target_cell_target_id_kind_start', 'target_cell', type_='unique')
    op.drop_constraint('pk_target_cell', 'target_cell', type_='primary')
    op.drop_column('target_cell', 'id')
    op.create_primary_key('pk_target_cell', 'target_cell', ['target_id', 'kind', 'start'])


def downgrade():
    if _sqlite():
        with op.batch_alter_table('target_cell', schema=None, recreate='always',
                                  table_kwargs={'sqlite_with_rowid': True}) as batch_op:
            batch_op.drop_constraint('pk_target_cell', type_='primary')
            batch_op.add_column(sa.Column('id', sa.Integer(), nullable=False))
            batch_op.create_primary_key('pk_target_cell', ['id'])
            batch_op.create_unique_constraint('uq_target_cell_target_id_kind_start',
                                              ['target_id', 'kind', 'start'])
        return
    op.drop_constraint('pk_target_cell', 'target_cell', type_='primary')
    # SERIAL numbers the existing rows, as the initial schema's id column did.
    op.execute("ALTER TABLE target_cell ADD COLUMN id SERIAL NOT NULL")
    op.create_primary_key('pk_target_cell', 'target_cell', ['id'])
    op.create_unique_constraint('uq_target_cell_target_id_kind_start', 'target_cell',
                                ['target_id', 'kind', 'start'])

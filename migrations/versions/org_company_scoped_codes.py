"""unit codes unique within a company; closing units; invitations; set-up checklist;
metrics hidden from Today

- org_unit: the code is unique per company (was: across the database); `active` (a
  closed unit keeps its history but takes no new people).
- company.setup_dismissed: the administrator put the set-up checklist away.
- metric.show_today: a metric with targets is hidden from Today, never removed.
- invitation: one-time activation links (only the token's sha256 is stored).

Revision ID: 0a7c3e91d4f2
Revises: 7d3b9a5c2e41
Create Date: 2026-12-08 01:40:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = "0a7c3e91d4f2"
down_revision = "7d3b9a5c2e41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_constraint("uq_org_unit_code", type_="unique")
        batch_op.create_unique_constraint("uq_org_unit_company_id_code", ["company_id", "code"])
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(sa.Column("setup_dismissed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_today", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_invitation_user_id_user_account")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_invitation_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_user_id"))
    op.drop_table("invitation")
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.drop_column("show_today")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("setup_dismissed")
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_constraint("uq_org_unit_company_id_code", type_="unique")
        batch_op.create_unique_constraint("uq_org_unit_code", ["code"])

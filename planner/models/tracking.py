"""The lead-stage history: one row per move of a customer from one stage to another."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at


class StageMove(db.Model):
    """A customer entered `to_stage_id` on `day` (company-local), coming from
    `from_stage_id` (None: the customer was created in that stage). Written where the
    stage moves (a visit, the stage board, an import); the funnel reads only this table."""

    __tablename__ = "stage_move"
    __table_args__ = (
        Index("ix_stage_move_customer", "customer_id", "day"),
        Index("ix_stage_move_user_day", "user_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # the owner then
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    day: Mapped[date] = mapped_column(Date)
    visit_id: Mapped[str | None] = mapped_column(String(36))  # the visit that moved it
    at: Mapped[datetime] = created_at()

    customer = relationship("Customer")  # set before the customer has an id (a sync batch)

"""Who belonged to which unit, and when (the history tracking reads)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at


class UnitMembership(db.Model):
    """A span of a user's membership of a unit: from `start` (None: since always) to
    `end` inclusive (None: still). A user with no rows belongs to `User.unit_id` for all
    time (the demo and everybody never moved); the first move writes the whole history
    (the old unit up to the day before, the new one from the day), so a user's rows,
    when there are any, cover every day exactly once."""

    __tablename__ = "unit_membership"
    __table_args__ = (Index("ix_unit_membership_user", "user_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at()

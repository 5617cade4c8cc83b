"""The rep's plan, computed once per change (planner.services.plan_cache).

`plan_stamp` holds change counters: scope "*" moves on any change that can move every
rep's plan (targets, their cells, the calendar, metrics, fiscal years, the company),
"u:<user id>" on a change to one rep's visits or customers. `plan_cache` keeps each rep's
last computed plan with the key it was computed for (code version, day and the
counters): a row whose key is not the current one is stale. Both live in the database,
so every app worker sees the same counters and the same cached plans.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PlanStamp(db.Model):
    __tablename__ = "plan_stamp"
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class PlanCache(db.Model):
    __tablename__ = "plan_cache"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    data: Mapped[str] = mapped_column(Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SummaryCache(db.Model):
    """Sums that many pages share and that change only with targets (e.g. the month's
    target of every team), keyed by what they depend on, the "*" counter included."""

    __tablename__ = "summary_cache"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

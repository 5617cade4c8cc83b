"""The caches' tables (planner.services.cache).

`plan_stamp` holds change counters, one row per scope: "*:<company id>" moves on any
change that can move every plan or page of that company (targets, the calendar,
metrics, units...), "u:<user id>" on a change to one rep's visits or customers, "p:<user
id>" on a change to what only that user's page shows (services/cache/tables.py says which
write moves which). `plan_cache` keeps each rep's last computed plan with the key it was
computed for (code version, day and the counters): a row whose key is not the current
one is stale. Both live in the database, so every app worker sees the same counters and
the same cached plans.
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
    target of every team), keyed by what they depend on, the company's counter included;
    and the rendered pages (`page|<name>|<user id>`)."""

    __tablename__ = "summary_cache"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

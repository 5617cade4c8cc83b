"""Fiscal years, the company calendar, targets and their time cells, history, audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, utcnow

if TYPE_CHECKING:
    from .org import Company


class FiscalYear(db.Model):
    """A fiscal year, named by the calendar year it starts in; first_month is configurable."""

    __tablename__ = "fiscal_year"
    __table_args__ = (UniqueConstraint("company_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    first_month: Mapped[int] = mapped_column(Integer, default=1)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    # The order of dimensions the admin decomposes along, e.g.
    # ["product_line", "region", "team", "rep"].
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "draft": planned, seen only by the managers and the director; "published": reps
    # see it from its first day (services/years).
    status: Mapped[str] = mapped_column(String(16), default="published",
                                        server_default="published")

    company: Mapped[Company] = relationship()


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


class CalendarOverride(db.Model):
    """The company's own extra holidays and workdays, over the `holidays` package."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("company_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[DayKind] = mapped_column(Enum(DayKind, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(String(200), default="")


class Tier(enum.StrEnum):
    BASE = "base"  # 保底
    SPRINT = "sprint"  # 冲刺
    CHALLENGE = "challenge"  # 挑战


class Target(db.Model):
    """One node of a fiscal year's decomposition tree for one metric and tier.

    Scope: an org unit or a rep (user), optionally narrowed to a product line, channel
    and customer type. `value` is the node's fiscal-year value (for additive metrics the
    sum of its time cells; for level metrics the level). `split_dim` / `split_method` /
    `split_params` say how its children are made; `locked` keeps its value when its
    siblings rebalance.
    """

    __tablename__ = "target"
    __table_args__ = (
        Index("ix_target_lookup", "fiscal_year_id", "metric_id", "tier", "user_id"),
        Index("ix_target_unit", "fiscal_year_id", "unit_id"),
        # tracking: the reps' leaf targets with their year values, from the index alone
        Index("ix_target_track", "fiscal_year_id", "tier", "metric_id", "user_id", "value"),
        # A rep's own targets (Today, the plan, the team page): the rep's queries ask for
        # every metric at once, so ix_target_lookup (metric second) does not serve them.
        Index("ix_target_user", "user_id", "fiscal_year_id", "tier"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    tier: Mapped[Tier] = mapped_column(Enum(Tier, native_enum=False, length=16), default=Tier.BASE)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("target.id", ondelete="CASCADE"), index=True
    )
    depth: Mapped[int] = mapped_column(Integer, default=0)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_line.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("customer_type.id"))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[str | None] = mapped_column(String(40))  # a typed weight, kept as text
    split_dim: Mapped[str | None] = mapped_column(String(32))
    split_method: Mapped[str | None] = mapped_column(String(32))
    split_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    time_method: Mapped[str | None] = mapped_column(String(32))
    time_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    parent: Mapped[Target | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Target]] = relationship(back_populates="parent", order_by="Target.id")
    cells: Mapped[list[TargetCell]] = relationship(
        back_populates="target", order_by="TargetCell.start", cascade="all, delete-orphan"
    )


class TargetCell(db.Model):
    """A target's value in one period of its fiscal year (a quarter or a month).

    Dekads, weeks and working days are derived on demand from the month by the engine.

    Keyed by (target, kind, start) with no surrogate id: one B-tree (a ``WITHOUT ROWID``
    table on SQLite), so a bulk decomposition writes each cell once, in key order, and a
    target's cells sit together on disk.
    """

    __tablename__ = "target_cell"
    __table_args__ = ({"sqlite_with_rowid": False},)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("target.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "quarter" | "month"
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    end: Mapped[date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    target: Mapped[Target] = relationship(back_populates="cells")


class MonthlyActual(db.Model):
    """Actuals per rep, product line and month that do not come from logged visits:
    last year's history (what splits by last year's share use) and imported figures."""

    __tablename__ = "monthly_actual"
    __table_args__ = (
        UniqueConstraint("metric_id", "user_id", "product_line_id", "month", "source"),
        Index("ix_monthly_actual_month", "month"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_line.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16), default="history")  # history | import


class AuditLog(db.Model):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

"""Dimensions (product lines, channels, customer types), metrics and lead stages."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class _Dimension:
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProductLine(_Dimension, db.Model):
    __tablename__ = "product_line"
    __table_args__ = (UniqueConstraint("company_id", "code"),)


class Channel(_Dimension, db.Model):
    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("company_id", "code"),)


class CustomerType(_Dimension, db.Model):
    __tablename__ = "customer_type"
    __table_args__ = (UniqueConstraint("company_id", "code"),)


class MetricUnit(enum.StrEnum):
    MONEY = "money"  # integer fen
    COUNT = "count"
    PERCENT = "percent"  # hundredths of a percent: 85% -> 8500


class Metric(db.Model):
    """A kind of target. `additive` metrics split by addition; level metrics (share,
    satisfaction) are inherited by children, never summed. `source` names the actual
    that measures it (see planner.services.actuals)."""

    __tablename__ = "metric"
    __table_args__ = (UniqueConstraint("company_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    unit: Mapped[MetricUnit] = mapped_column(Enum(MetricUnit, native_enum=False, length=16))
    additive: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(40), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hidden from the rep's Today (a metric with targets is hidden, never removed).
    show_today: Mapped[bool] = mapped_column(Boolean, default=True)


class Stage(db.Model):
    """A lead / customer stage. Editable by an admin; `is_won` marks 成交."""

    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("company_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

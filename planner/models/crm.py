"""Customers and leads (one table: a lead is a customer in an early stage) and visits."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, created_at, utcnow


def new_uuid() -> str:
    return str(uuid.uuid4())


class Customer(db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_stage", "owner_id", "stage_id"),
        Index("ix_customer_won_owner", "first_won_on", "owner_id"),  # tracking
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Made on the phone when the customer is created offline; the sync applies it once.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("customer_type.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    next_follow_up: Mapped[date | None] = mapped_column(Date, index=True)
    # 成交 for the first time. Indexed: new customers of a month, company-wide (Team).
    first_won_on: Mapped[date | None] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    stage = relationship("Stage")
    owner = relationship("User")


class VisitKind(enum.StrEnum):
    COLD = "cold"  # 陌生拜访
    EXISTING = "existing"  # 老客户
    RETURN = "return"  # 回访
    PHONE = "phone"  # 电话


class Visit(db.Model):
    """A customer visit, keyed by a UUID made on the phone (so a sync applies it once)."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_user_day", "user_id", "local_date"),
        # tracking: per-period actuals by rep read this index alone (covering)
        Index("ix_visit_day_user_cover", "local_date", "user_id", "kind", "amount_signed",
              "amount_collected"),
        Index("ix_visit_user_day_cover", "user_id", "local_date", "kind", "amount_signed",
              "amount_collected"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[VisitKind] = mapped_column(Enum(VisitKind, native_enum=False, length=16))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())  # an instant, UTC
    local_date: Mapped[date] = mapped_column(Date)  # the company-local day of visited_at
    place: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(300), default="")
    amount_signed: Mapped[int] = mapped_column(BigInteger, default=0)  # fen
    amount_collected: Mapped[int] = mapped_column(BigInteger, default=0)  # fen
    expenses: Mapped[int] = mapped_column(BigInteger, default=0)  # fen, 费用
    materials: Mapped[str] = mapped_column(String(300), default="")  # 物
    next_follow_up: Mapped[date | None] = mapped_column(Date)
    stage_from_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    stage_to_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    # sha256 of the canonical payload a sync sent: same id + other payload = conflict.
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()

    customer = relationship("Customer")
    products: Mapped[list[VisitProduct]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )


class VisitProduct(db.Model):
    """A product line discussed (or signed) in a visit."""

    __tablename__ = "visit_product"
    visit_id: Mapped[str] = mapped_column(
        ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True
    )
    product_line_id: Mapped[int] = mapped_column(ForeignKey("product_line.id"), primary_key=True)
    amount_signed: Mapped[int] = mapped_column(BigInteger, default=0)

    visit: Mapped[Visit] = relationship(back_populates="products")

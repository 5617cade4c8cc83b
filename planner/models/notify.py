"""Reminders pushed to the phone: the browsers' push subscriptions, the reminders to
send and each user's reminder preferences (which kinds, the morning time, quiet hours)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at


class ReminderPreference(db.Model):
    """One row per user who changed a default (no row: every kind on, 08:30, 17:30,
    quiet 22:00-07:00). Times are "HH:MM" in the company's timezone."""

    __tablename__ = "reminder_preference"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # Kinds turned off (a kind added later is on until the user turns it off).
    kinds_off: Mapped[list[Any]] = mapped_column(JSON, default=list)
    morning_time: Mapped[str] = mapped_column(String(5), default="08:30")
    evening_time: Mapped[str] = mapped_column(String(5), default="17:30")
    # No column default: None is "no quiet hours", and SQLAlchemy fills a column's default
    # in for a None on insert. The product's quiet hours (services.reminders.QUIET) are
    # written where a row is made for a user who chose none yet.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    # The language reminders are worded in when the user has no locale of their own:
    # the language of the page where push was turned on.
    locale: Mapped[str | None] = mapped_column(String(16))


class PushSubscription(db.Model):
    """A browser's Web Push subscription (endpoint and keys)."""

    __tablename__ = "push_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Reminder(db.Model):
    """A reminder to push. Several workers claim due rows (FOR UPDATE SKIP LOCKED on
    PostgreSQL); `dedupe_key` makes each reminder exist once."""

    __tablename__ = "reminder"
    # The dispatcher's claim reads due rows by status and time.
    __table_args__ = (Index("ix_reminder_status_due_at", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ReminderStatus] = mapped_column(
        Enum(ReminderStatus, native_enum=False, length=16), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    # A retry (429, 5xx, timeout, quiet hours) waits until then; the bell's
    # unread count is the rows with no read_at.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

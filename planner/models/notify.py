"""A user's reminder preferences: which kinds, the morning time, quiet hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


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

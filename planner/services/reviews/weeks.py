"""A review's week: which week to review now, when a week's review is due, and the
clock the workflow reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ...models import (
    Company,
    User,
)
from ..company import company_tz


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_week(today: date) -> date:
    """The week to review now: this week from Friday on, else last week."""
    monday = week_start(today)
    return monday if today.weekday() >= 4 else monday - timedelta(days=7)


def _company(user: User) -> Company:
    company = user.company
    return company


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def deadline(company: Company, monday: date) -> datetime:
    """A week's review is late after Sunday 24:00, company time."""
    return datetime.combine(monday + timedelta(days=7), time(0, 0), company_tz(company))


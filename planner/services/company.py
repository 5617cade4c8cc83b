"""Company-wide lookups shared by the services: timezone, today, the calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import CalendarOverride, Company, DayKind


def company_tz(company: Company) -> ZoneInfo:
    return zone(company.timezone)


def zone(timezone: str | None) -> ZoneInfo:
    """A company's timezone by its name (none: Asia/Shanghai)."""
    return ZoneInfo(timezone or "Asia/Shanghai")


def local_today(company: Company, now: datetime | None = None) -> date:
    if now is not None:
        return now.astimezone(company_tz(company)).date()
    return today_in(company.timezone)


def today_in(timezone: str | None) -> date:
    """Today in a timezone; the configuration's COMPANY_TODAY (a date, or ISO text), when
    set, stands for it: the company's clock set the way faketime would, for the tests and
    a demonstration of a year's turn."""
    fixed = current_app.config.get("COMPANY_TODAY") if has_app_context() else None
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(zone(timezone)).date()


# When a week's review is due, in minutes after the week's end (Sunday 24:00): at the
# latest just before the next week ends.
REVIEW_DUE_DEFAULT = 12 * 60  # Monday 12:00
REVIEW_DUE_MAX = 7 * 24 * 60 - 1


def review_due(company: Company, monday: date) -> datetime:
    """When the review of the week starting `monday` is due (aware, company time): the
    company's setting after the week's end, Monday 12:00 by default. The one rule the
    review pages, the late mark and the reminders follow."""
    minutes = company.review_due_minutes
    if minutes is None or not 0 <= minutes <= REVIEW_DUE_MAX:
        minutes = REVIEW_DUE_DEFAULT
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), company_tz(company))
    return end + timedelta(minutes=minutes)


def calendar_overrides(company_id: int) -> tuple[frozenset[date], frozenset[date]]:
    """(extra holidays, extra workdays) of the company."""
    rows = db.session.execute(
        select(CalendarOverride.day, CalendarOverride.kind).where(
            CalendarOverride.company_id == company_id
        )
    ).all()
    holidays = frozenset(d for d, k in rows if k == DayKind.HOLIDAY)
    workdays = frozenset(d for d, k in rows if k == DayKind.WORKDAY)
    return holidays, workdays

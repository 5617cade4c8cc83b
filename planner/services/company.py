"""Company-wide lookups shared by the services: timezone, today, the calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import CalendarOverride, Company, DayKind


def company_tz(company: Company) -> ZoneInfo:
    return zone(company.timezone)


def zone(timezone: str | None) -> ZoneInfo:
    """A company's timezone by its name (none: Asia/Shanghai)."""
    return ZoneInfo(timezone or "Asia/Shanghai")


def local_today(company: Company, now: datetime | None = None) -> date:
    tz = company_tz(company)
    return (now.astimezone(tz) if now else datetime.now(tz)).date()


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

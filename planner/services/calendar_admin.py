"""The company calendar page's use cases: a year's working days, month by month, and the
company's own extra holidays and workdays (CalendarOverride), audited."""

from __future__ import annotations

import calendar as stdcal
from dataclasses import dataclass
from datetime import date

import holidays as holidays_pkg
from flask_babel import gettext as _
from sqlalchemy import select

from .. import engine
from ..extensions import db
from ..models import AuditLog, CalendarOverride, Company, DayKind, User
from ..parsing import MAX_YEAR, MIN_YEAR, has_nul, parse_day
from ..refusal import Refused
from .calendar import company_calendar


class CalendarError(Refused, ValueError):
    """Bad input: the message says what; nothing was changed."""


@dataclass
class Day:
    day: date
    working: bool
    holiday: str  # the public holiday's name, if any
    makeup: bool  # an official weekend make-up workday (调休)
    override: str  # "holiday" | "workday" | ""


@dataclass
class Month:
    year: int
    month: int
    lead: int  # blank cells before the 1st (Monday first)
    days: list[Day]

    @property
    def working(self) -> int:
        return sum(d.working for d in self.days)


@dataclass
class YearView:
    year: int
    covered: bool
    official_through: int | None
    months: list[Month]
    overrides: list[CalendarOverride]

    @property
    def working(self) -> int:
        return sum(m.working for m in self.months)


def year_view(company: Company, year: int) -> YearView:
    cal = company_calendar(company)
    country = company.country or "CN"
    hol: dict[date, str]
    try:
        hol = holidays_pkg.country_holidays(country, years=[year])
    except NotImplementedError:
        hol = {}
    makeup = set(getattr(hol, "weekend_workdays", None) or ())
    overrides = list(db.session.scalars(select(CalendarOverride).where(
        CalendarOverride.company_id == company.id,
        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)))
    kinds = {o.day: str(o.kind.value if isinstance(o.kind, DayKind) else o.kind)
             for o in overrides}
    months = []
    for m in range(1, 13):
        n = stdcal.monthrange(year, m)[1]
        days = []
        for d in range(1, n + 1):
            day = date(year, m, d)
            days.append(Day(day, cal.is_working_day(day), str(hol.get(day) or ""),
                            day in makeup, kinds.get(day, "")))
        months.append(Month(year, m, date(year, m, 1).weekday(), days))
    return YearView(year, engine.covers(year, country), engine.official_through(country),
                    months, overrides)


NOTE_MAX = 200


def add_override(company: Company, day_text: str | None, kind: str | None, note: str,
                 user: User | None) -> CalendarOverride:
    """Add a company holiday or workday (flushed, audited; the caller commits). Every
    check runs before anything is written: on CalendarError nothing was changed."""
    day = parse_day(day_text)
    if day is None:
        raise CalendarError(_("Enter a date between %(lo)s and %(hi)s as YYYY-MM-DD.",
                              lo=MIN_YEAR, hi=MAX_YEAR))
    if kind not in ("holiday", "workday"):
        raise CalendarError(_("Choose a holiday or a workday."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise CalendarError(_("A note can have at most %(n)d characters (this one has "
                              "%(got)d).", n=NOTE_MAX, got=len(note)))
    if has_nul(note):
        raise CalendarError(_("The note contains a character that cannot be stored."))
    if db.session.scalar(select(CalendarOverride).where(
            CalendarOverride.company_id == company.id, CalendarOverride.day == day)):
        raise CalendarError(_("%(day)s already has a company setting; remove it first.",
                              day=day.isoformat()))
    o = CalendarOverride(company_id=company.id, day=day, kind=DayKind(kind),
                         note=note)
    db.session.add(o)
    db.session.flush()
    db.session.add(AuditLog(user_id=user.id if user else None, action="create",
                            entity="calendar_override", entity_id=o.id, field="kind",
                            old_value=None, new_value=f"{day.isoformat()} {kind}"))
    db.session.flush()
    return o


def remove_override(company: Company, override_id: int, user: User | None) -> bool:
    """Remove one of the company's days (flushed, audited; the caller commits)."""
    o = db.session.get(CalendarOverride, override_id)
    if o is None or o.company_id != company.id:
        return False
    kind = o.kind.value if isinstance(o.kind, DayKind) else str(o.kind)
    db.session.add(AuditLog(user_id=user.id if user else None, action="delete",
                            entity="calendar_override", entity_id=o.id, field="kind",
                            old_value=f"{o.day.isoformat()} {kind}", new_value=None))
    db.session.delete(o)
    db.session.flush()
    return True

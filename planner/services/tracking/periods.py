"""Tracking's periods: the period of a kind (year, quarter, month, dekad, week, day)
that holds a day, the months it touches, and the as-of day."""

from __future__ import annotations

from datetime import date, timedelta

from ... import engine
from ...engine import Period
from ...models import FiscalYear

PERIOD_KINDS = ("year", "quarter", "month", "dekad", "week", "day")


def period_for(kind: str, day: date, fy: FiscalYear | None) -> Period:
    """The period of `kind` that contains `day` (year and quarter: of the fiscal year)."""
    if kind not in PERIOD_KINDS:
        kind = "month"
    if kind in ("year", "quarter"):
        year = engine.fiscal_year(fy.year, fy.first_month) if fy is not None \
            else engine.fiscal_year(day.year)
        if kind == "year":
            return year
        return next(q for q in engine.quarters(year) if day in q)
    month = engine.month_period(day.year, day.month)
    if kind == "month":
        return month
    if kind == "dekad":
        return next(p for p in engine.dekad_periods(month) if day in p)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        iy, iw, _ = day.isocalendar()
        return Period("week", monday, monday + timedelta(days=6), f"{iy}-W{iw:02d}")
    return Period("day", day, day, day.isoformat())


def month_starts(period: Period) -> list[date]:
    """The first day of each month the period touches."""
    return [p.start.replace(day=1) for p in engine.months(period)]


def month_aligned(period: Period) -> bool:
    return period.start.day == 1 and (period.end + timedelta(days=1)).day == 1


def as_of(period: Period, today: date) -> date:
    return min(today, period.end)

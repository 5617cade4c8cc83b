"""Calendar periods: fiscal year, quarter, month, dekad (上旬/中旬/下旬), ISO week, day."""

from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "DEKAD_NAMES",
    "Period",
    "PeriodKind",
    "days",
    "dekad_periods",
    "dekads",
    "fiscal_year",
    "iso_weeks",
    "month_period",
    "months",
    "quarters",
]

PeriodKind = Literal["year", "quarter", "month", "dekad", "week", "day"]

#: zh-CN names of the three ten-day parts of a month (early, mid, late).
DEKAD_NAMES: tuple[str, str, str] = ("上旬", "中旬", "下旬")

_ONE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A closed date range ``start..end`` (both inclusive) with a kind and a stable label.

    Labels: year "2026" (or "FY2026" for a fiscal year not starting in January),
    quarter "2026-Q1" / "FY2026-Q1", month "2026-10", dekad "2026-10-D1" (D1 early,
    D2 mid, D3 late), week "2026-W40" (ISO year and week), day "2026-10-01".
    """

    kind: PeriodKind
    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period {self.label!r} ends before it starts")

    @property
    def length(self) -> int:
        """Number of calendar days."""
        return (self.end - self.start).days + 1

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d <= self.end


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + delta
    return idx // 12, idx % 12 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def month_period(year: int, month: int) -> Period:
    """The calendar month ``year``-``month``."""
    return Period("month", date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")


def fiscal_year(year: int, first_month: int = 1) -> Period:
    """Fiscal year starting on the 1st of ``first_month`` of ``year`` (named by that year)."""
    if not 1 <= first_month <= 12:
        raise ValueError(f"first_month must be 1..12, got {first_month}")
    start = date(year, first_month, 1)
    ey, em = _add_months(year, first_month, 11)
    label = str(year) if first_month == 1 else f"FY{year}"
    return Period("year", start, _month_end(ey, em), label)


def quarters(fy: Period) -> list[Period]:
    """The four three-month quarters of a (fiscal) year, numbered from its first month."""
    out: list[Period] = []
    y, m = fy.start.year, fy.start.month
    for q in range(4):
        sy, sm = _add_months(y, m, 3 * q)
        ey, em = _add_months(sy, sm, 2)
        out.append(Period("quarter", date(sy, sm, 1), _month_end(ey, em), f"{fy.label}-Q{q + 1}"))
    return out


def months(p: Period) -> list[Period]:
    """Calendar months overlapping ``p`` (clipped to ``p``), in order."""
    out: list[Period] = []
    y, m = p.start.year, p.start.month
    while date(y, m, 1) <= p.end:
        mp = month_period(y, m)
        out.append(Period("month", max(mp.start, p.start), min(mp.end, p.end), mp.label))
        y, m = _add_months(y, m, 1)
    return out


def dekads(year: int, month: int) -> list[tuple[date, date]]:
    """Early (1-10), mid (11-20) and late (21-end) parts of a month."""
    end = _month_end(year, month)
    return [
        (date(year, month, 1), date(year, month, 10)),
        (date(year, month, 11), date(year, month, 20)),
        (date(year, month, 21), end),
    ]


def dekad_periods(month: Period) -> list[Period]:
    """The dekads of the month containing ``month.start``, clipped to ``month``."""
    y, m = month.start.year, month.start.month
    out: list[Period] = []
    for n, (s, e) in enumerate(dekads(y, m), start=1):
        s, e = max(s, month.start), min(e, month.end)
        if s <= e:
            out.append(Period("dekad", s, e, f"{y}-{m:02d}-D{n}"))
    return out


def iso_weeks(p: Period) -> list[Period]:
    """ISO weeks (Monday-Sunday) overlapping ``p``, clipped to ``p``; label "2026-W40"."""
    out: list[Period] = []
    d = p.start
    while d <= p.end:
        iy, iw, wd = d.isocalendar()
        week_end = min(d + timedelta(days=7 - wd), p.end)
        out.append(Period("week", d, week_end, f"{iy}-W{iw:02d}"))
        d = week_end + _ONE
    return out


def days(p: Period) -> list[Period]:
    """Every day of ``p`` as a one-day period labelled with its ISO date."""
    out: list[Period] = []
    d = p.start
    while d <= p.end:
        out.append(Period("day", d, d, d.isoformat()))
        d += _ONE
    return out

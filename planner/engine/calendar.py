"""Working-day calendar backed by the ``holidays`` package (CN make-up workdays included).

A day is a working day if it is Monday-Friday and not a public holiday, or if it is an
official make-up workday (调休上班, ``weekend_workdays`` in the CN calendar). Then
``extra_workdays`` are added and ``extra_holidays`` removed; a date in both is NOT a
working day (extra holidays win).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "WorkCalendar", "covers", "known_years", "official_through", "week_end", "week_start",
    "working_days",
]

# Countries whose holiday schedule is published year by year (the rules in the package only
# approximate years after the last published schedule).
_PUBLISHED_SCHEDULE = frozenset({"CN"})


def _holiday_obj(country: str, years: Iterable[int]) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country, years=list(years))
    except NotImplementedError as exc:
        raise ValueError(f"unknown country code {country!r}") from exc


@lru_cache(maxsize=512)
def _year_sets(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up weekend workdays) that fall in ``year``."""
    obj = _holiday_obj(country, range(year - 1, year + 2))
    offs = frozenset(d for d in obj if d.year == year)
    extra = getattr(obj, "weekend_workdays", None) or ()
    makeup = frozenset(d for d in extra if isinstance(d, date) and d.year == year)
    return offs, makeup


@lru_cache(maxsize=64)
def known_years(country: str = "CN") -> range:
    """Years the holidays package can compute for ``country`` (its start..end year)."""
    obj = _holiday_obj(country, ())
    start = int(getattr(obj, "start_year", 1950))
    end = int(getattr(obj, "end_year", 2100))
    return range(start, end + 1)


@lru_cache(maxsize=64)
def official_through(country: str = "CN") -> int | None:
    """Last year with an officially published schedule, if the package tells (CN: yes)."""
    if country.upper() not in _PUBLISHED_SCHEDULE:
        return None
    obj = _holiday_obj(country, ())
    special = getattr(obj, "special_public_holidays", None)
    if isinstance(special, dict) and special:
        return max(int(k) for k in special)
    return None


def covers(year: int, country: str = "CN") -> bool:
    """Best effort: does the holidays package really know ``year`` for ``country``?

    For CN this means the State Council schedule (holidays and make-up days) for that year
    is in the package; later years are computed from rules and lack make-up workdays.
    """
    if year not in known_years(country):
        return False
    last = official_through(country)
    if last is not None:
        return year <= last
    return len(_year_sets(country, year)[0]) > 0


@dataclass(frozen=True, slots=True)
class _YearIndex:
    days: tuple[date, ...]  # sorted working days of the year
    ordinals: tuple[int, ...]  # their ordinals, for bisect
    members: frozenset[date]


@dataclass(frozen=True)
class WorkCalendar:
    """An immutable, hashable working-day calendar; per-year results are cached."""

    country: str = "CN"
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Accept any iterable at run time; store frozensets so the calendar stays hashable.
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))

    def is_working_day(self, d: date) -> bool:
        return d in _year_index(self, d.year).members

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days from ``start`` to ``end`` inclusive, in order."""
        out: list[date] = []
        for year in range(start.year, end.year + 1):
            idx = _year_index(self, year)
            lo = bisect.bisect_left(idx.ordinals, start.toordinal())
            hi = bisect.bisect_right(idx.ordinals, end.toordinal())
            out.extend(idx.days[lo:hi])
        return out

    def count(self, start: date, end: date) -> int:
        """Number of working days from ``start`` to ``end`` inclusive."""
        total = 0
        for year in range(start.year, end.year + 1):
            idx = _year_index(self, year)
            lo = bisect.bisect_left(idx.ordinals, start.toordinal())
            hi = bisect.bisect_right(idx.ordinals, end.toordinal())
            total += hi - lo
        return total

    def covers(self, year: int) -> bool:
        return covers(year, self.country)


@lru_cache(maxsize=1024)
def _year_index(cal: WorkCalendar, year: int) -> _YearIndex:
    offs, makeup = _year_sets(cal.country, year)
    days: list[date] = []
    d = date(year, 1, 1)
    one = timedelta(days=1)
    while d.year == year:
        working = (d.weekday() < 5 and d not in offs) or d in makeup
        if d in cal.extra_workdays:
            working = True
        if d in cal.extra_holidays:
            working = False
        if working:
            days.append(d)
        d += one
    return _YearIndex(
        days=tuple(days),
        ordinals=tuple(x.toordinal() for x in days),
        members=frozenset(days),
    )


def working_days(
    start: date,
    end: date,
    *,
    country: str = "CN",
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
) -> list[date]:
    """Working days from ``start`` to ``end`` inclusive (see module docstring for rules)."""
    cal = WorkCalendar(country, frozenset(extra_holidays), frozenset(extra_workdays))
    return cal.working_days(start, end)


def week_start(day: date) -> date:
    """The Monday of the (ISO, Monday to Sunday) week holding ``day``."""
    return day - timedelta(days=day.weekday())


def week_end(day: date) -> date:
    """The Sunday of the week holding ``day``."""
    return week_start(day) + timedelta(days=6)

"""Tracking arithmetic: a month's target over part of the month, time elapsed, the run
rate still needed and the forecast of a period's end (pure; integers in, integers out).

Rules (also in README.md, "Tracking"):

- A month's target falls on its working days as ``daily_targets`` splits it: equal shares,
  the earlier working days taking the larger shares. With ``n`` working days and a value
  ``v = q * n + r`` the first ``k`` working days carry ``q * k + min(k, r)`` (closed form).
- Time elapsed on ``day``: the period's working days up to and including ``day`` over all
  of its working days (0 before the period, everything after it).
- Needed per day: what is still missing over the working days left after ``day``, rounded
  up (on the last day, or after the period: the whole gap).
- Forecast (pace so far projected): ``achieved * working days / working days elapsed``,
  rounded half up; no forecast before the first working day has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import WorkCalendar
from .periods import Period, month_period
from .rolling import daily_targets

__all__ = ["Pace", "month_part", "month_cumulative", "pace"]


def month_part(value: int, month_start: date, start: date, end: date,
               calendar: WorkCalendar) -> int:
    """The part of a month's ``value`` that falls from ``start`` to ``end`` (inclusive,
    clipped to the month), exactly as ``daily_targets`` spreads it."""
    month = month_period(month_start.year, month_start.month)
    lo, hi = max(start, month.start), min(end, month.end)
    if lo > hi or value == 0:
        return 0
    if lo == month.start and hi == month.end:
        return value
    work = calendar.working_days(month.start, month.end)
    n = len(work)
    if n == 0:  # no working day at all: every calendar day shares (rare; exact path)
        return sum(v for d, v in daily_targets(value, month, calendar) if lo <= d <= hi)
    return _cum(value, n, calendar.count(month.start, hi)) - _cum(
        value, n, calendar.count(month.start, lo - timedelta(days=1)) if lo > month.start else 0)


def _cum(value: int, n: int, k: int) -> int:
    q, r = divmod(value, n)
    return q * k + min(k, r)


def month_cumulative(value: int, month_start: date,
                     calendar: WorkCalendar) -> list[tuple[date, int]]:
    """(working day, cumulative target of the month up to that day) for each working day."""
    month = month_period(month_start.year, month_start.month)
    work = calendar.working_days(month.start, month.end)
    n = len(work)
    if n == 0:
        return [(month.end, value)]
    return [(d, _cum(value, n, k)) for k, d in enumerate(work, start=1)]


@dataclass(frozen=True, slots=True)
class Pace:
    target: int
    achieved: int
    elapsed_days: int
    total_days: int
    days_left: int  # working days after the as-of day

    @property
    def time_elapsed(self) -> float:
        return self.elapsed_days / self.total_days if self.total_days else 1.0

    @property
    def completion(self) -> float | None:
        return self.achieved / self.target if self.target > 0 else None

    @property
    def gap(self) -> int:
        return max(0, self.target - self.achieved)

    @property
    def needed_per_day(self) -> int:
        if self.gap == 0:
            return 0
        if self.days_left <= 0:
            return self.gap
        return -(-self.gap // self.days_left)

    @property
    def pace_per_day(self) -> float | None:
        return self.achieved / self.elapsed_days if self.elapsed_days else None

    @property
    def forecast(self) -> int | None:
        if self.elapsed_days <= 0:
            return None
        num, den = self.achieved * self.total_days, self.elapsed_days
        return (2 * num + den) // (2 * den)

    @property
    def expected(self) -> int:
        """What the target calls for by now, at an even pace over the working days."""
        if not self.total_days:
            return self.target
        return self.target * self.elapsed_days // self.total_days

    def at_risk(self, factor: float = 1.25, min_elapsed: float = 0.2) -> bool:
        """The run rate now needed is well above the pace so far (``factor`` times), once
        enough of the period has gone to tell (``min_elapsed`` of its working days)."""
        if self.gap == 0 or self.elapsed_days == 0 or self.days_left <= 0:
            return False
        if self.time_elapsed < min_elapsed:
            return False
        per_day = self.pace_per_day or 0.0
        return self.needed_per_day > per_day * factor


def pace(target: int, achieved: int, period: Period, day: date,
         calendar: WorkCalendar) -> Pace:
    """The pace of ``target`` over ``period`` as of ``day`` (``day`` counts as elapsed)."""
    total = calendar.count(period.start, period.end)
    if day < period.start:
        elapsed = 0
    elif day >= period.end:
        elapsed = total
    else:
        elapsed = calendar.count(period.start, day)
    return Pace(target, achieved, elapsed, total, total - elapsed)

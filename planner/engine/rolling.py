"""Rolling run-rate: what is left, and what today should bring, given what was achieved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypedDict

from .allocate import AllocationError, allocate
from .calendar import WorkCalendar
from .periods import Period, days, dekad_periods, iso_weeks

__all__ = ["MonthSplit", "RunRate", "daily_targets", "rolling_target", "split_month_down"]


@dataclass(frozen=True, slots=True)
class RunRate:
    """Run-rate of one target at ``today``.

    ``today_target`` is computed from what remained at the START of today, so logging a
    result today does not move it; ``remaining_today`` is what is still open today.
    ``per_day`` lists the working days left (today first if it is one) with a plan that
    adds up to ``remaining``: today gets ``remaining_today`` and the later days share
    the rest equally (earlier days get the larger shares). If no working day is left,
    ``per_day`` is empty and ``remaining`` is a shortfall.
    """

    target: int
    achieved: int
    remaining: int
    working_days_left: int
    today_target: int
    achieved_today: int
    remaining_today: int
    per_day: list[tuple[date, int]] = field(default_factory=list)


def _spread(value: int, dates: list[date]) -> list[tuple[date, int]]:
    if not dates:
        return []
    return list(zip(dates, allocate(value, [1] * len(dates)), strict=True))


def rolling_target(
    target: int,
    achieved: int,
    today: date,
    period: Period,
    calendar: WorkCalendar,
    achieved_before_today: int | None = None,
) -> RunRate:
    """Run-rate of ``target`` over ``period`` on ``today``.

    ``achieved`` is the total so far including today; ``achieved_before_today`` what had
    been achieved when today started (``None``: assume nothing was achieved today yet).
    Remaining values never go below 0; before or after the period today's target is 0.
    """
    for name, v in (("target", target), ("achieved", achieved)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise AllocationError(f"{name} must be an integer, got {v!r}", "not_a_number")
    if target < 0:
        raise AllocationError(f"target must not be negative, got {target}", "negative")
    before = achieved if achieved_before_today is None else achieved_before_today
    achieved_today = achieved - before
    remaining = max(0, target - achieved)
    at_start = max(0, target - before)

    if today > period.end:
        return RunRate(target, achieved, remaining, 0, 0, achieved_today, 0, [])
    if today < period.start:
        left = calendar.working_days(period.start, period.end)
        return RunRate(
            target,
            achieved,
            remaining,
            len(left),
            0,
            achieved_today,
            0,
            _spread(remaining, left),
        )

    left = calendar.working_days(today, period.end)
    if not left or left[0] != today:
        # Today is not a working day: nothing is due today.
        return RunRate(
            target,
            achieved,
            remaining,
            len(left),
            0,
            achieved_today,
            0,
            _spread(remaining, left),
        )
    today_target = allocate(at_start, [1] * len(left))[0] if at_start else 0
    remaining_today = max(0, today_target - achieved_today)
    if len(left) == 1:
        remaining_today = remaining  # the last working day carries everything still open
        per_day = [(today, remaining)]
    else:
        per_day = [(today, remaining_today)] + _spread(remaining - remaining_today, left[1:])
    return RunRate(
        target,
        achieved,
        remaining,
        len(left),
        today_target,
        achieved_today,
        remaining_today,
        per_day,
    )


def daily_targets(target: int, period: Period, calendar: WorkCalendar) -> list[tuple[date, int]]:
    """Every day of ``period`` with its share of ``target``: 0 on non-working days, the
    working days share equally (earlier days get the larger shares). If the period has no
    working day at all, every day shares equally."""
    out: list[tuple[date, int]] = []
    d = period.start
    one = timedelta(days=1)
    all_days: list[date] = []
    while d <= period.end:
        all_days.append(d)
        d += one
    weights = [1 if calendar.is_working_day(x) else 0 for x in all_days]
    for x, v in zip(all_days, allocate(target, weights), strict=True):
        out.append((x, v))
    return out


class MonthSplit(TypedDict):
    """Result of :func:`split_month_down`; every level adds up exactly to the month."""

    days: list[tuple[Period, int]]
    dekads: list[tuple[Period, int]]
    weeks: list[tuple[Period, int]]


def split_month_down(value: int, month: Period, calendar: WorkCalendar) -> MonthSplit:
    """Split a month's value to days (working-day shares), then sum them up into dekads
    and ISO weeks (clipped to the month), so all three levels agree exactly."""
    day_values = daily_targets(value, month, calendar)
    by_date = dict(day_values)
    day_periods = days(month)

    def total(p: Period) -> int:
        s = 0
        d = p.start
        while d <= p.end:
            s += by_date[d]
            d += timedelta(days=1)
        return s

    return MonthSplit(
        days=[(p, by_date[p.start]) for p in day_periods],
        dekads=[(p, total(p)) for p in dekad_periods(month)],
        weeks=[(p, total(p)) for p in iso_weeks(month)],
    )

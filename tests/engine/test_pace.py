"""engine.pace: a month's part matches the day-by-day split; pace, run rate, forecast."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine import WorkCalendar, daily_targets, month_period
from planner.engine.pace import month_cumulative, month_part, pace

CAL = WorkCalendar()


@settings(deadline=None)
@given(st.integers(1, 12), st.integers(0, 10**12), st.integers(1, 31), st.integers(0, 30))
def test_a_months_part_is_the_sum_of_its_days(month: int, value: int, a: int, span: int) -> None:
    mp = month_period(2026, month)
    lo = min(a, mp.end.day)
    hi = min(lo + span, mp.end.day)
    want = sum(v for d, v in daily_targets(value, mp, CAL) if lo <= d.day <= hi)
    assert month_part(value, mp.start, date(2026, month, lo), date(2026, month, hi), CAL) == want


@settings(deadline=None)
@given(st.integers(1, 12), st.integers(0, 10**9))
def test_the_cumulative_target_ends_at_the_month(month: int, value: int) -> None:
    cum = month_cumulative(value, date(2026, month, 1), CAL)
    assert cum[-1][1] == value
    assert all(b[1] >= a[1] for a, b in zip(cum, cum[1:], strict=False))


def test_the_forecast_projects_the_pace_so_far_over_the_working_days() -> None:
    october = month_period(2026, 10)  # National Day: 1-7 Oct off, make-up days 9/10 Oct
    total = CAL.count(october.start, october.end)
    p = pace(1000, 300, october, date(2026, 10, 16), CAL)
    elapsed = CAL.count(october.start, date(2026, 10, 16))
    assert (p.elapsed_days, p.total_days, p.days_left) == (elapsed, total, total - elapsed)
    assert p.forecast == (300 * total * 2 + elapsed) // (2 * elapsed)
    assert p.gap == 700
    assert p.needed_per_day == -(-700 // (total - elapsed))
    assert p.at_risk()  # needs far more per day than it has done
    assert pace(1000, 300, october, date(2026, 9, 30), CAL).forecast is None
    done = pace(1000, 1200, october, date(2026, 10, 31), CAL)
    assert (done.gap, done.needed_per_day, done.time_elapsed, done.at_risk()) == (0, 0, 1.0, False)

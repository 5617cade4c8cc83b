"""Working-day calendar: CN holidays, make-up workdays, extras, caching."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.engine import WorkCalendar, covers, known_years, working_days

CN = WorkCalendar()
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def test_october_2026_national_day_is_off_and_the_make_up_saturday_is_worked() -> None:
    for day in range(1, 8):
        assert not CN.is_working_day(date(2026, 10, day))
    assert CN.is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert CN.is_working_day(date(2026, 9, 20))  # Sunday, 调休上班
    assert not CN.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert CN.count(date(2026, 10, 1), date(2026, 10, 31)) == 18


def test_spring_festival_2026_is_off() -> None:
    assert not any(CN.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert CN.is_working_day(date(2026, 2, 14))  # Saturday make-up day
    assert CN.is_working_day(date(2026, 2, 28))


def test_extra_holidays_win_over_extra_workdays() -> None:
    both = date(2026, 10, 12)
    cal = WorkCalendar("CN", frozenset({both, date(2026, 10, 13)}), frozenset({both}))
    assert not cal.is_working_day(both)
    assert not cal.is_working_day(date(2026, 10, 13))
    cal2 = WorkCalendar("CN", extra_workdays=frozenset({date(2026, 10, 11)}))
    assert cal2.is_working_day(date(2026, 10, 11))


def test_the_module_function_matches_the_calendar_object() -> None:
    start, end = date(2026, 9, 1), date(2026, 10, 31)
    extra = [date(2026, 9, 1)]
    assert working_days(start, end, extra_holidays=extra) == WorkCalendar(
        "CN", frozenset(extra)
    ).working_days(start, end)


def test_coverage_of_years_is_reported() -> None:
    assert covers(2026)
    assert not covers(1800)
    assert 2026 in known_years("CN")
    assert CN.covers(2025)


def test_other_countries_work() -> None:
    us = WorkCalendar("US")
    assert not us.is_working_day(date(2026, 7, 3))  # Independence Day observed
    assert us.is_working_day(date(2026, 7, 6))


@given(dates, st.integers(0, 800))
def test_working_days_are_a_sorted_subset_of_the_range(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    got = CN.working_days(start, end)
    assert got == sorted(set(got))
    assert all(start <= d <= end for d in got)
    assert CN.count(start, end) == len(got)
    assert all(CN.is_working_day(d) for d in got)
    every = [start + timedelta(days=i) for i in range(span + 1)]
    assert [d for d in every if CN.is_working_day(d)] == got


@given(dates, st.sets(dates, max_size=5), st.sets(dates, max_size=5))
def test_extras_apply_with_holidays_winning(
    d: date, extra_h: set[date], extra_w: set[date]
) -> None:
    cal = WorkCalendar("CN", frozenset(extra_h), frozenset(extra_w))
    if d in extra_h:
        assert not cal.is_working_day(d)
    elif d in extra_w:
        assert cal.is_working_day(d)
    else:
        assert cal.is_working_day(d) == CN.is_working_day(d)


def test_a_week_runs_from_monday_to_sunday() -> None:
    from planner.engine.calendar import week_end, week_start

    assert week_start(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert week_start(date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert week_end(date(2026, 12, 7)) == date(2026, 12, 13)
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # across the year

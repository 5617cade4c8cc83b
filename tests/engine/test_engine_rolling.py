"""Rolling recompute: remaining never below zero, daily plan adds up, today's target stable."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.engine import (
    WorkCalendar,
    daily_targets,
    month_period,
    rolling_target,
    split_month_down,
)

CN = WorkCalendar()
OCT = month_period(2026, 10)


@given(
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**6),
    st.dates(date(2026, 9, 20), date(2026, 11, 10)),
)
def test_rolling_remaining_never_below_zero_and_daily_targets_add_up_to_remaining(
    target: int, before: int, today_amount: int, today: date
) -> None:
    rr = rolling_target(target, before + today_amount, today, OCT, CN, achieved_before_today=before)
    assert rr.remaining == max(0, target - before - today_amount)
    assert rr.remaining >= 0 and rr.remaining_today >= 0 and rr.today_target >= 0
    assert rr.remaining_today <= rr.today_target or rr.working_days_left == 1
    assert rr.achieved_today == today_amount
    assert rr.working_days_left == len(rr.per_day)
    if rr.working_days_left:
        assert sum(v for _, v in rr.per_day) == rr.remaining
    if not (OCT.start <= today <= OCT.end) or not CN.is_working_day(today):
        assert rr.today_target == 0
    # Logging more today does not move today's target.
    rr0 = rolling_target(target, before, today, OCT, CN, achieved_before_today=before)
    assert rr0.today_target == rr.today_target


def test_logging_a_visit_today_does_not_move_todays_target() -> None:
    today = date(2026, 10, 12)
    start = rolling_target(150, 0, today, OCT, CN, achieved_before_today=0)
    assert start.working_days_left == 15
    assert start.today_target == 10 and start.remaining_today == 10
    after = rolling_target(150, 4, today, OCT, CN, achieved_before_today=0)
    assert after.today_target == 10 and after.remaining_today == 6 and after.remaining == 146


def test_the_first_day_gets_the_larger_share() -> None:
    rr = rolling_target(16, 0, date(2026, 10, 12), OCT, CN, achieved_before_today=0)
    assert rr.today_target == 2
    assert [v for _, v in rr.per_day] == [2] + [1] * 14


def test_no_target_on_a_holiday_weekend_or_outside_the_period() -> None:
    assert rolling_target(100, 0, date(2026, 10, 3), OCT, CN).today_target == 0
    assert rolling_target(100, 0, date(2026, 10, 11), OCT, CN).today_target == 0
    before = rolling_target(100, 0, date(2026, 9, 30), OCT, CN)
    assert before.today_target == 0 and before.working_days_left == 18
    after = rolling_target(100, 40, date(2026, 11, 2), OCT, CN)
    assert after.today_target == 0 and after.remaining == 60 and after.per_day == []


def test_over_achievement_leaves_nothing_remaining() -> None:
    rr = rolling_target(100, 130, date(2026, 10, 20), OCT, CN, achieved_before_today=90)
    assert rr.remaining == 0 and rr.remaining_today == 0
    assert all(v == 0 for _, v in rr.per_day)


def test_october_daily_targets_skip_the_national_day_holidays() -> None:
    plan = daily_targets(1_800_000, OCT, CN)
    assert len(plan) == 31 and sum(v for _, v in plan) == 1_800_000
    assert all(v == 0 for d, v in plan if d.day <= 7)
    assert dict(plan)[date(2026, 10, 10)] == 100_000


@given(st.integers(0, 10**10), st.integers(1, 12), st.integers(2024, 2027))
def test_month_split_down_levels_all_add_up_to_the_month(value: int, m: int, y: int) -> None:
    month = month_period(y, m)
    split = split_month_down(value, month, CN)
    assert len(split["days"]) == month.length
    for level in ("days", "dekads", "weeks"):
        assert sum(v for _, v in split[level]) == value
    by_day = {p.start: v for p, v in split["days"]}
    for p, v in split["dekads"] + split["weeks"]:
        assert v == sum(by_day[p.start + timedelta(days=i)] for i in range(p.length))
    for p, v in split["days"]:
        if not CN.is_working_day(p.start):
            assert v == 0

"""Splitting over time: every method adds up; profiles must add to 100%."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.engine import (
    AllocationError,
    WorkCalendar,
    days,
    fiscal_year,
    growth_targets,
    month_period,
    months,
    quarters,
    split_over_time,
)

CN = WorkCalendar()
FY = fiscal_year(2026)
MONTHS = months(FY)
QUARTERS = quarters(FY)


@given(
    st.integers(0, 10**12),
    st.sampled_from(["working_days", "equal", "last_year", "growth"]),
    st.lists(st.integers(0, 10**8), min_size=12, max_size=12),
    st.lists(st.integers(-50, 100), min_size=12, max_size=12),
)
def test_time_splits_add_up_to_the_total(
    total: int, method: str, last_year: list[int], growth: list[int]
) -> None:
    parts = split_over_time(total, MONTHS, method, calendar=CN, last_year=last_year, growth=growth)
    assert sum(parts) == total and len(parts) == 12
    assert all(p >= 0 for p in parts)


@st.composite
def profiles(draw: st.DrawFn) -> list[int]:
    first = draw(st.lists(st.integers(0, 33), min_size=3, max_size=3))
    return [*first, 100 - sum(first)]


@given(st.integers(0, 10**12), profiles())
def test_profile_splits_add_up(total: int, profile: list[int]) -> None:
    parts = split_over_time(total, QUARTERS, "profile", calendar=CN, profile=profile)
    assert sum(parts) == total
    assert all(abs(p * 100 - total * pct) < 100 for p, pct in zip(parts, profile, strict=True))


def test_the_seed_new_customer_quarters_follow_the_profile() -> None:
    assert split_over_time(100, QUARTERS, "profile", calendar=CN, profile=[20, 30, 40, 10]) == [
        20,
        30,
        40,
        10,
    ]


def test_a_profile_that_does_not_add_up_to_100_is_refused_with_a_clear_message() -> None:
    with pytest.raises(AllocationError, match=r"the profile adds up to 99%, not 100%"):
        split_over_time(100, QUARTERS, "profile", calendar=CN, profile=[20, 30, 40, 9])
    with pytest.raises(AllocationError, match=r"adds up to 100.5%"):
        split_over_time(
            100,
            QUARTERS,
            "profile",
            calendar=CN,
            profile=[Decimal("20.5"), 30, 40, 10],
        )
    with pytest.raises(AllocationError, match="12 values but there are 4 periods"):
        split_over_time(100, QUARTERS, "profile", calendar=CN, profile=[8] * 12)


def test_a_monthly_profile_of_twelve_percentages_applies_to_the_months() -> None:
    profile = [Decimal("8.5")] * 6 + [Decimal("8")] * 5 + [Decimal("9")]
    parts = split_over_time(1_000_000_00, MONTHS, "profile", calendar=CN, profile=profile)
    assert parts[0] == 8_500_000 and parts[6] == 8_000_000 and parts[11] == 9_000_000
    assert sum(parts) == 1_000_000_00


def test_the_seed_growth_quarters_add_up_to_the_year() -> None:
    last_year = [180_000_000, 210_000_000, 230_000_000, 250_000_000]  # fen
    growth = [10, 12, 13, 15]
    targets = growth_targets(last_year, growth)
    assert targets == [198_000_000, 235_200_000, 259_900_000, 287_500_000]
    year = sum(targets)
    parts = split_over_time(
        year, QUARTERS, "growth", calendar=CN, last_year=last_year, growth=growth
    )
    assert parts == targets and sum(parts) == year
    ten_million = 10_000_000_00
    parts = split_over_time(
        ten_million, QUARTERS, "growth", calendar=CN, last_year=last_year, growth=growth
    )
    assert sum(parts) == ten_million


def test_growth_targets_round_half_up() -> None:
    assert growth_targets([10, 30, 100], [5, 5, Decimal("-0.5")]) == [11, 32, 100]
    assert growth_targets([1000], [12.5]) == [1125]
    with pytest.raises(AllocationError):
        growth_targets([1, 2], [1])


def test_october_2026_national_day_holidays_get_nothing_and_the_make_up_saturday_gets_a_share() -> (
    None
):
    oct_days = days(month_period(2026, 10))
    parts = split_over_time(1_800_000, oct_days, "working_days", calendar=CN)
    assert sum(parts) == 1_800_000
    assert parts[:7] == [0] * 7
    assert parts[9] == 100_000  # Saturday 10 October is a make-up workday
    assert parts[10] == 0  # Sunday 11 October


def test_working_day_split_of_the_year_weights_months_by_working_days() -> None:
    parts = split_over_time(2_000, MONTHS, "working_days", calendar=CN)
    counts = [CN.count(m.start, m.end) for m in MONTHS]
    assert sum(parts) == 2_000
    assert parts[1] < parts[2]  # February (Spring Festival) has fewer working days than March
    assert counts[9] == 18


def test_locks_apply_to_time_splits() -> None:
    parts = split_over_time(1200, MONTHS, "equal", calendar=CN, locked={0: 0})
    assert parts[0] == 0 and sum(parts) == 1200


def test_unknown_method_and_missing_inputs_are_refused() -> None:
    with pytest.raises(AllocationError, match="unknown split method"):
        split_over_time(1, QUARTERS, "magic", calendar=CN)
    with pytest.raises(AllocationError, match="needs"):
        split_over_time(1, QUARTERS, "last_year", calendar=CN)
    with pytest.raises(AllocationError, match="negative"):
        split_over_time(1, QUARTERS[:1], "growth", calendar=CN, last_year=[10], growth=[-150])


def test_the_split_starts_from_the_first_day_of_the_period() -> None:
    assert QUARTERS[0].start == date(2026, 1, 1)

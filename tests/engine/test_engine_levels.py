"""Level metrics (share, satisfaction) are inherited, not divided."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.engine import AllocationError, MetricKind, aggregate, split_level


def test_every_child_inherits_a_level_target() -> None:
    assert split_level(500, 4) == [500, 500, 500, 500]  # 5.00% market share, in basis points
    assert split_level(9000, 0) == []
    with pytest.raises(AllocationError):
        split_level(1, -1)


def test_the_seed_quarterly_share_averages_back_to_the_year() -> None:
    assert aggregate([450, 480, 520, 500], additive=False) == 488  # 487.5 rounds half up
    assert aggregate([450, 480, 520, 500], MetricKind.LEVEL) == 488
    assert aggregate([20, 30, 40, 10], MetricKind.ADDITIVE) == 100


def test_a_weighted_level_mean() -> None:
    assert aggregate([80, 100], False, weights=[3, 1]) == 85
    assert aggregate([], False) == 0
    assert aggregate([1], False, weights=[0]) == 0
    with pytest.raises(AllocationError):
        aggregate([1, 2], False, weights=[1])


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=20))
def test_a_level_mean_lies_between_the_smallest_and_largest_child(values: list[int]) -> None:
    assert min(values) <= aggregate(values, False) <= max(values)
    assert aggregate(values, True) == sum(values)

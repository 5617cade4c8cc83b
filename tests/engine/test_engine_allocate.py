"""Allocation: parts add up, locks hold, shares are fair, errors are clear."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.engine import AllocationError, allocate

totals = st.integers(min_value=0, max_value=10**12)
int_weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30)
float_weights = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=20,
)
decimal_weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False, places=4),
    min_size=1,
    max_size=20,
)
any_weights = st.one_of(int_weights, float_weights, decimal_weights)


def exact(w: object) -> Fraction:
    if isinstance(w, float):
        return Fraction(repr(w))
    assert isinstance(w, int | Decimal)
    return Fraction(w)


@st.composite
def locked_cases(draw: st.DrawFn) -> tuple[int, list[int], dict[int, int]]:
    weights = draw(int_weights)
    total = draw(st.integers(min_value=0, max_value=10**9))
    idx = draw(st.lists(st.integers(0, len(weights) - 1), unique=True, max_size=len(weights)))
    locks: dict[int, int] = {}
    budget = total
    for i in idx:
        v = draw(st.integers(0, budget))
        locks[i] = v
        budget -= v
    if len(locks) == len(weights) and budget:
        locks[idx[-1]] += budget
    return total, weights, locks


@given(totals, any_weights)
def test_parts_add_up_to_the_total_and_are_never_negative(
    total: int, weights: list[object]
) -> None:
    parts = allocate(total, weights)  # type: ignore[arg-type]
    assert sum(parts) == total
    assert len(parts) == len(weights)
    assert all(type(p) is int and p >= 0 for p in parts)


@given(totals, any_weights)
def test_each_part_is_within_one_of_its_exact_share(total: int, weights: list[object]) -> None:
    parts = allocate(total, weights)  # type: ignore[arg-type]
    ex = [exact(w) for w in weights]
    wsum = sum(ex, Fraction(0))
    for part, w in zip(parts, ex, strict=True):
        share = total * w / wsum if wsum else Fraction(total, len(weights))
        assert math.floor(share) <= part <= math.ceil(share)


@given(totals, any_weights)
def test_allocation_is_deterministic(total: int, weights: list[object]) -> None:
    assert allocate(total, weights) == allocate(total, list(weights))  # type: ignore[arg-type]


@given(locked_cases())
def test_locks_hold_and_unlocked_parts_share_the_rest_fairly(
    case: tuple[int, list[int], dict[int, int]],
) -> None:
    total, weights, locks = case
    parts = allocate(total, weights, locks)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    for i, v in locks.items():
        assert parts[i] == v
    free = [i for i in range(len(weights)) if i not in locks]
    rest = total - sum(locks.values())
    wsum = sum(weights[i] for i in free)
    for i in free:
        share = Fraction(rest * weights[i], wsum) if wsum else Fraction(rest, len(free))
        assert math.floor(share) <= parts[i] <= math.ceil(share)


def test_ties_go_to_the_lower_index() -> None:
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_float_weights_are_read_as_the_decimals_they_print_as() -> None:
    assert allocate(60, [0.1, 0.2, 0.3]) == [10, 20, 30]
    assert allocate(60, [Decimal("0.1"), Decimal("0.2"), Decimal("0.3")]) == [10, 20, 30]


def test_all_zero_weights_share_equally() -> None:
    assert allocate(10, [0, 0, 0]) == [4, 3, 3]
    assert allocate(10, [0, 0, 5], {2: 1}) == [5, 4, 1]


def test_the_seed_team_of_ten_gets_a_million_each() -> None:
    assert allocate(10_000_000_00, [1] * 10) == [1_000_000_00] * 10


def test_empty_weights() -> None:
    assert allocate(0, []) == []
    with pytest.raises(AllocationError):
        allocate(1, [])


def test_locks_exceeding_the_total_are_refused() -> None:
    with pytest.raises(AllocationError, match="more than the total"):
        allocate(100, [1, 1, 1], {0: 60, 1: 50})


def test_everything_locked_must_add_up_to_the_total() -> None:
    assert allocate(100, [1, 1], {0: 60, 1: 40}) == [60, 40]
    with pytest.raises(AllocationError, match="every part is locked"):
        allocate(100, [1, 1], {0: 60, 1: 30})


@pytest.mark.parametrize(
    ("total", "weights", "locked"),
    [
        (-1, [1], None),
        (10, [1, -1], None),
        (10, [1, float("nan")], None),
        (10, [1, float("inf")], None),
        (10, [1, Decimal("NaN")], None),
        (10, [True, 1], None),
        (True, [1], None),
        (10.0, [1], None),
        (10, [1, 1], {2: 1}),
        (10, [1, 1], {-1: 1}),
        (10, [1, 1], {0: -1}),
        (10, [1, 1], {0: 1.5}),
        (10, [1, 1], {0: True}),
        (10, ["1"], None),
    ],
)
def test_bad_input_is_refused_with_an_allocation_error(
    total: object, weights: list[object], locked: dict[int, object] | None
) -> None:
    with pytest.raises(AllocationError):
        allocate(total, weights, locked)  # type: ignore[arg-type]


def test_allocation_error_is_a_value_error() -> None:
    assert issubclass(AllocationError, ValueError)


def test_a_locked_rep_keeps_their_value_while_siblings_rebalance() -> None:
    after = allocate(1_200_000, [3, 2, 5], {1: 500_000})
    assert after == [262_500, 500_000, 437_500]
    assert sum(after) == 1_200_000

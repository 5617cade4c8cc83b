"""Matrix allocation: every month AND every child add up exactly."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.engine import AllocationError, allocate, allocate_matrix


@st.composite
def margins(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    rows = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
    ncols = draw(st.integers(1, 12))
    col_weights = draw(st.lists(st.integers(0, 100), min_size=ncols, max_size=ncols))
    return rows, allocate(sum(rows), col_weights)


@given(margins())
def test_matrix_margins_are_exact_and_cells_within_one_of_the_share(
    m: tuple[list[int], list[int]],
) -> None:
    rows, cols = m
    grid = allocate_matrix(rows, cols)
    total = sum(rows)
    assert [sum(r) for r in grid] == rows
    assert [sum(c) for c in zip(*grid, strict=True)] == cols
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cell = grid[i][j]
            assert cell >= 0
            if total:
                share = Fraction(r * c, total)
                assert math.floor(share) <= cell <= math.ceil(share)
            else:
                assert cell == 0


@given(margins())
def test_matrix_is_deterministic(m: tuple[list[int], list[int]]) -> None:
    assert allocate_matrix(*m) == allocate_matrix(*m)


def test_monthly_parent_values_split_among_children_with_fixed_yearly_values() -> None:
    monthly = [100, 80, 120, 90, 110, 100, 95, 105, 100, 100, 50, 150]
    children = [401, 333, 266, 200]
    grid = allocate_matrix(monthly, children)
    assert [sum(r) for r in grid] == monthly
    assert [sum(c) for c in zip(*grid, strict=True)] == children


def test_small_awkward_margins() -> None:
    assert allocate_matrix([1, 1, 1], [1, 1, 1]) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert allocate_matrix([0, 0], [0]) == [[0], [0]]
    assert allocate_matrix([], []) == []


def test_unequal_grand_totals_are_refused() -> None:
    with pytest.raises(AllocationError, match="add up to"):
        allocate_matrix([1, 2], [4])
    with pytest.raises(AllocationError):
        allocate_matrix([-1, 2], [1])


def test_when_the_greedy_rounding_gets_stuck_both_margins_still_add_up() -> None:
    # Ryser's greedy alone leaves a unit unplaced here; an augmenting path completes it.
    grid = allocate_matrix([2, 3, 3], [2, 2, 4])
    assert grid == [[1, 0, 1], [0, 1, 2], [1, 1, 1]]


def _reference_matrix(rows: list[int], cols: list[int]) -> list[list[int]]:
    """The controlled rounding as first written (plain loops, a key function per sort):
    the faster allocate_matrix must place every residual unit exactly where this does."""
    from planner.engine.allocate import _augment

    grand = sum(rows)
    m, n = len(rows), len(cols)
    if grand == 0:
        return [[0] * n for _ in range(m)]
    cells = [[r * c // grand for c in cols] for r in rows]
    fracs = [[r * c % grand for c in cols] for r in rows]
    row_need = [rows[i] - sum(cells[i]) for i in range(m)]
    col_left = [cols[j] - sum(cells[i][j] for i in range(m)) for j in range(n)]
    row_left = list(row_need)
    x = [[False] * n for _ in range(m)]
    for i in sorted(range(m), key=lambda k: (-row_need[k], k)):
        cand = [j for j in range(n) if fracs[i][j] > 0 and col_left[j] > 0]
        cand.sort(key=lambda j: (-col_left[j], -fracs[i][j], j))
        for j in cand[: row_left[i]]:
            x[i][j] = True
            col_left[j] -= 1
            row_left[i] -= 1
    for start in range(m):
        while row_left[start] > 0:
            assert _augment(start, x, fracs, row_left, col_left)
    return [[cells[i][j] + x[i][j] for j in range(n)] for i in range(m)]


@st.composite
def wide_margins(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Up to 50 rows (a team's reps) over 12 months, small and large totals."""
    big = draw(st.booleans())
    rows = draw(st.lists(st.integers(0, 10**11 if big else 30), min_size=1, max_size=50))
    ncols = draw(st.integers(1, 12))
    col_weights = draw(st.lists(st.integers(0, 30), min_size=ncols, max_size=ncols))
    return rows, allocate(sum(rows), col_weights)


@given(wide_margins())
def test_the_fast_matrix_rounding_places_every_unit_where_the_reference_does(
    m: tuple[list[int], list[int]],
) -> None:
    assert allocate_matrix(*m) == _reference_matrix(*m)

"""Exact integer allocation: largest remainder method and controlled matrix rounding."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from operator import add

__all__ = [
    "AllocationError",
    "Weight",
    "allocate",
    "allocate_matrix",
]

Weight = int | float | Decimal | Fraction


class AllocationError(ValueError):
    """Raised when a total cannot be split as requested (bad input or impossible locks).

    ``cause`` names the reason for callers that explain it to people in their own words
    (the message is for developers): ``not_a_number``, ``negative_weight``, ``negative``
    (a total, lock or growth below zero), ``no_parts``, ``locks_exceed`` (locked parts
    add up to more than the total), ``locks_mismatch`` (everything locked, not adding
    up), ``count`` (the wrong number of values), ``profile_sum`` (a profile not adding up
    to 100), ``unknown_method`` or ``internal``.
    """

    def __init__(self, message: str, cause: str = "internal") -> None:
        super().__init__(message)
        self.cause = cause


def _check_int(value: object, what: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise AllocationError(f"{what} must be an integer, got {value!r}", "not_a_number")
    return int(value)


def exact_fraction(x: object, what: str) -> Fraction:
    """A user's number exactly; floats go through their shortest repr (0.1 -> 1/10).
    Anything else (a bool, NaN, infinity, a string) is refused, naming `what`."""
    if isinstance(x, bool):
        raise AllocationError(f"{what} must be a number, got {x!r}", "not_a_number")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise AllocationError(f"{what} is not finite: {x!r}", "not_a_number")
        return Fraction(repr(x))
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise AllocationError(f"{what} is not finite: {x!r}", "not_a_number")
        return Fraction(x)
    if isinstance(x, Fraction):
        return x
    if isinstance(x, Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    raise AllocationError(f"{what} must be a number, got {x!r}", "not_a_number")


def _to_fraction(w: object, index: int) -> Fraction:
    return exact_fraction(w, f"weight {index}")


def _int_weights(weights: Sequence[Weight]) -> list[int]:
    """Validate weights and scale them to non-negative integers with the same ratios."""
    ints: list[int] = []
    fast = True
    for w in weights:
        if type(w) is int:
            ints.append(w)
        else:
            fast = False
            break
    if not fast:
        fracs = [_to_fraction(w, i) for i, w in enumerate(weights)]
        scale = math.lcm(*(f.denominator for f in fracs)) if fracs else 1
        ints = [f.numerator * (scale // f.denominator) for f in fracs]
    for i, w in enumerate(ints):
        if w < 0:
            raise AllocationError(f"weight {i} is negative: {weights[i]!r}", "negative_weight")
    return ints


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split total >= 0 in proportion to non-negative int weights (equal if all zero)."""
    n = len(weights)
    wsum = sum(weights)
    if wsum == 0:
        q, r = divmod(total, n)
        return [q + 1 if i < r else q for i in range(n)]
    parts: list[int] = []
    rems: list[int] = []
    for w in weights:
        q, r = divmod(total * w, wsum)
        parts.append(q)
        rems.append(r)
    left = total - sum(parts)
    if left:
        order = sorted(range(n), key=lambda i: (-rems[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts


def allocate(
    total: int,
    weights: Sequence[Weight],
    locked: Mapping[int, int] | None = None,
) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` that add up exactly.

    ``locked[i]`` fixes part ``i``; the unlocked parts share ``total - sum(locked)`` by the
    largest remainder method (ties to the lower index), each within 1 of its exact share.
    If no unlocked part has a positive weight, the unlocked parts share equally.
    """
    total = _check_int(total, "total")
    if total < 0:
        raise AllocationError(f"total must not be negative, got {total}", "negative")
    n = len(weights)
    if n == 0:
        if locked:
            raise AllocationError("locks given but there are no parts", "no_parts")
        if total != 0:
            raise AllocationError(f"cannot split {total} into zero parts", "no_parts")
        return []
    ints = _int_weights(weights)
    if not locked:
        return _largest_remainder(total, ints)

    fixed: dict[int, int] = {}
    for key, value in locked.items():
        idx = _check_int(key, "lock index")
        if not 0 <= idx < n:
            raise AllocationError(f"lock index {idx} is out of range 0..{n - 1}", "count")
        val = _check_int(value, f"locked value for part {idx}")
        if val < 0:
            raise AllocationError(f"locked value for part {idx} is negative: {val}", "negative")
        fixed[idx] = val
    locked_sum = sum(fixed.values())
    rest = total - locked_sum
    if rest < 0:
        raise AllocationError(
            f"locked parts add up to {locked_sum}, more than the total {total}", "locks_exceed"
        )
    free = [i for i in range(n) if i not in fixed]
    if not free:
        if rest != 0:
            raise AllocationError(
                f"every part is locked but the locks add up to {locked_sum}, not {total}",
                "locks_mismatch",
            )
        return [fixed[i] for i in range(n)]
    shares = _largest_remainder(rest, [ints[i] for i in free])
    result = [0] * n
    for i, v in fixed.items():
        result[i] = v
    for i, v in zip(free, shares, strict=True):
        result[i] = v
    return result


def allocate_matrix(row_totals: Sequence[int], col_totals: Sequence[int]) -> list[list[int]]:
    """Integer matrix with exact row and column sums, each cell within 1 of row*col/total.

    Controlled rounding: every cell starts at the floor of its exact share; the residual
    units (0 or 1 per cell, only in cells with a fractional part) are placed by Ryser's
    greedy (rows by residual descending, each taking the columns with the largest remaining
    residual, then the largest fractional part, ties to the lower index) and completed by
    augmenting paths whenever the greedy gets stuck, so both margins are always exact.
    """
    rows = [_check_int(r, f"row total {i}") for i, r in enumerate(row_totals)]
    cols = [_check_int(c, f"column total {j}") for j, c in enumerate(col_totals)]
    for i, r in enumerate(rows):
        if r < 0:
            raise AllocationError(f"row total {i} is negative: {r}", "negative")
    for j, c in enumerate(cols):
        if c < 0:
            raise AllocationError(f"column total {j} is negative: {c}", "negative")
    grand = sum(rows)
    if grand != sum(cols):
        raise AllocationError(
            f"row totals add up to {grand} but column totals add up to {sum(cols)}", "count"
        )
    m, n = len(rows), len(cols)
    if grand == 0:
        return [[0] * n for _ in range(m)]

    # Floors and fractional parts (numerators over `grand`), row by row; list
    # comprehensions and C-level sums keep the per-cell cost low (this is the hot loop of
    # a whole-company decomposition).
    cells: list[list[int]] = []
    fracs: list[list[int]] = []
    row_need: list[int] = []
    for r in rows:
        pairs = [divmod(r * c, grand) for c in cols]
        row_cells = [q for q, _f in pairs]
        cells.append(row_cells)
        fracs.append([f for _q, f in pairs])
        row_need.append(r - sum(row_cells))
    col_need = [c - s for c, s in zip(cols, map(sum, zip(*cells, strict=True)), strict=True)]

    # Greedy placement of the residual units (x[i][j] in {0, 1}): rows by residual
    # descending (stable: ties to the lower index); each row takes the columns with the
    # largest remaining residual, then the largest fractional part, then the lower index.
    x = [[False] * n for _ in range(m)]
    col_left = col_need
    row_left = list(row_need)
    neg_need = [-k for k in row_need]
    js = range(n)
    for i in sorted(range(m), key=neg_need.__getitem__):
        need = row_left[i]
        if need == 0:
            break  # sorted by need: every later row needs nothing either
        frac_i = fracs[i]
        cand = sorted([(-col_left[j], -frac_i[j], j) for j in js
                       if frac_i[j] > 0 and col_left[j] > 0])
        x_i = x[i]
        for _cl, _fr, j in cand[:need]:
            x_i[j] = True
            col_left[j] -= 1
        row_left[i] = need - min(need, len(cand))

    # Complete with augmenting paths (a fractional solution exists, so an integral one does).
    for start in range(m):
        while row_left[start] > 0:
            if not _augment(start, x, fracs, row_left, col_left):
                raise AllocationError("internal error: controlled rounding failed")

    return [list(map(add, row_cells, x_i)) if True in x_i else row_cells
            for row_cells, x_i in zip(cells, x, strict=True)]


def _augment(
    start: int,
    x: list[list[bool]],
    fracs: list[list[int]],
    row_left: list[int],
    col_left: list[int],
) -> bool:
    """Breadth-first augmenting path from row ``start`` to a column still short of units."""
    m, n = len(x), len(col_left)
    col_parent = [-1] * n  # row from which each column was reached
    row_parent = [-1] * m  # column (held by the row) through which each row was reached
    row_seen = [False] * m
    row_seen[start] = True
    queue = [start]
    head = 0
    while head < len(queue):
        i = queue[head]
        head += 1
        for j in range(n):
            if col_parent[j] != -1 or x[i][j] or fracs[i][j] == 0:
                continue
            col_parent[j] = i
            if col_left[j] > 0:
                col_left[j] -= 1
                row_left[start] -= 1
                cj = j
                while True:
                    ri = col_parent[cj]
                    x[ri][cj] = True
                    if ri == start:
                        return True
                    cj = row_parent[ri]
                    x[ri][cj] = False
            for k in range(m):
                if x[k][j] and not row_seen[k]:
                    row_seen[k] = True
                    row_parent[k] = j
                    queue.append(k)
    return False

"""Split a target over a list of periods (working days, equal, profile, last year, growth)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from .allocate import AllocationError, Weight, allocate, exact_fraction
from .calendar import WorkCalendar
from .periods import Period

__all__ = ["SPLIT_METHODS", "SplitMethod", "growth_targets", "split_over_time"]

SplitMethod = Literal["working_days", "equal", "profile", "last_year", "growth"]
SPLIT_METHODS: tuple[str, ...] = ("working_days", "equal", "profile", "last_year", "growth")

Number = int | float | Decimal | Fraction


def _exact(x: Number, what: str) -> Fraction:
    """Exact value of a user number; floats via their shortest repr (12.5 -> 25/2)."""
    return exact_fraction(x, what)


def _fmt_pct(total: Fraction) -> str:
    if total.denominator == 1:
        return str(total.numerator)
    return format(Decimal(total.numerator) / Decimal(total.denominator), "f").rstrip("0")


def _need_len(seq: Sequence[object] | None, n: int, name: str) -> Sequence[object]:
    if seq is None:
        raise AllocationError(f"the {name} method needs {name} values", "count")
    if len(seq) != n:
        raise AllocationError(
            f"{name} has {len(seq)} values but there are {n} periods", "count"
        )
    return seq


def split_over_time(
    total: int,
    periods: Sequence[Period],
    method: str,
    *,
    calendar: WorkCalendar,
    profile: Sequence[int | Decimal] | None = None,
    last_year: Sequence[int] | None = None,
    growth: Sequence[int | float | Decimal] | None = None,
    locked: Mapping[int, int] | None = None,
) -> list[int]:
    """Split ``total`` over ``periods``; the parts always add up to ``total`` exactly.

    Methods: ``working_days`` (weight = working days in each period), ``equal``,
    ``profile`` (percentages per period adding up to exactly 100), ``last_year``
    (weight = last year's actual of the same period), ``growth`` (weight =
    ``last_year[i] * (1 + growth[i] / 100)``, growth in percent). ``locked`` fixes parts.
    """
    n = len(periods)
    weights: list[Weight]
    if method == "working_days":
        weights = [calendar.count(p.start, p.end) for p in periods]
    elif method == "equal":
        weights = [1] * n
    elif method == "profile":
        _need_len(profile, n, "profile")
        assert profile is not None
        pcts = [_exact(v, f"profile value {i}") for i, v in enumerate(profile)]
        pct_sum = sum(pcts, Fraction(0))
        if pct_sum != 100:
            raise AllocationError(
                f"the profile adds up to {_fmt_pct(pct_sum)}%, not 100%", "profile_sum"
            )
        weights = list(pcts)
    elif method == "last_year":
        _need_len(last_year, n, "last_year")
        assert last_year is not None
        weights = list(last_year)
    elif method == "growth":
        _need_len(last_year, n, "last_year")
        _need_len(growth, n, "growth")
        assert last_year is not None and growth is not None
        weights = []
        for i, (ly, g) in enumerate(zip(last_year, growth, strict=True)):
            w = _exact(ly, f"last_year value {i}") * (1 + _exact(g, f"growth value {i}") / 100)
            if w < 0:
                raise AllocationError(
                    f"period {i}: last year's value grown by {g}% is negative", "negative"
                )
            weights.append(w)
    else:
        raise AllocationError(
            f"unknown split method {method!r}; use one of {', '.join(SPLIT_METHODS)}",
            "unknown_method",
        )
    return allocate(total, weights, locked)


def growth_targets(
    last_year: Sequence[int], growth_pct: Sequence[int | float | Decimal]
) -> list[int]:
    """``last_year[i] * (1 + growth_pct[i] / 100)`` rounded half up, per period."""
    if len(last_year) != len(growth_pct):
        raise AllocationError(
            f"{len(last_year)} last-year values but {len(growth_pct)} growth rates", "count"
        )
    out: list[int] = []
    for i, (ly, g) in enumerate(zip(last_year, growth_pct, strict=True)):
        value = _exact(ly, f"last_year value {i}") * (1 + _exact(g, f"growth value {i}") / 100)
        out.append(math.floor(value + Fraction(1, 2)))
    return out

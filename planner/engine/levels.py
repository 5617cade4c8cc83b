"""Additive metrics (revenue, counts) versus level metrics (market share, satisfaction)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from fractions import Fraction

from .allocate import AllocationError

__all__ = ["MetricKind", "aggregate", "split_level"]


class MetricKind(StrEnum):
    """ADDITIVE metrics add up across children/periods; LEVEL metrics are inherited."""

    ADDITIVE = "additive"
    LEVEL = "level"

    @property
    def additive(self) -> bool:
        return self is MetricKind.ADDITIVE


def split_level(value: int, n: int) -> list[int]:
    """A level metric is not divided: each of the ``n`` children inherits ``value``."""
    if n < 0:
        raise AllocationError(f"cannot split into {n} parts", "no_parts")
    return [value] * n


def aggregate(
    values: Sequence[int],
    additive: bool | MetricKind,
    weights: Sequence[int] | None = None,
) -> int:
    """Roll children up: the sum for additive metrics; for level metrics the mean (weighted
    by ``weights`` if given, e.g. by revenue) rounded half up. No values (or zero total
    weight) gives 0."""
    is_additive = additive.additive if isinstance(additive, MetricKind) else bool(additive)
    if is_additive:
        return sum(values)
    if not values:
        return 0
    if weights is None:
        weights = [1] * len(values)
    if len(weights) != len(values):
        raise AllocationError(f"{len(values)} values but {len(weights)} weights", "count")
    if any(w < 0 for w in weights):
        raise AllocationError("weights must not be negative", "negative_weight")
    wsum = sum(weights)
    if wsum == 0:
        return 0
    mean = Fraction(sum(v * w for v, w in zip(values, weights, strict=True)), wsum)
    return math.floor(mean + Fraction(1, 2))

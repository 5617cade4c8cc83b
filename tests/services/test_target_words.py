"""Every refusal of the engine's tree rules reaches people in words of its own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from planner.engine import AllocationError, Node, TreeError
from planner.services.targets import input as target_input

CAUSES: dict[str, dict[str, Any]] = {
    "negative": {}, "not_top": {}, "no_dimension": {}, "repeated_dimension": {},
    "unknown_dimension": {"dim": "shoe"}, "unknown_method": {"method": "dice"},
    "typed_one_level": {}, "already_split": {"dim": "channel"},
    "rep_has_no_units": {"dim": "team"}, "already_rep": {"dim": "rep"},
    "nothing_to_split": {"dim": "region"}, "negative_weight": {}, "zero_weights": {},
    "growth_negative": {}, "weights_count": {"n": 3, "got": 1, "dim": "team"},
    "growth_count": {"n": 1, "got": 2, "dim": "rep"},
    "levels_count": {"n": 2, "got": 0, "dim": "region"},
    "split": {"error": AllocationError("x", "locks_exceed")},
    "locked_below": {}, "sibling_locks": {"new": 80_000, "locked": 50_000},
    "level_by_year": {},
    "month_sibling_locks": {"new": 9_000, "locked": 5_000, "total": 10_000, "month": 11,
                            "month_label": "2026-12"},
}


def _node(parent: Node | None = None) -> Node:
    return Node(id=1, parent=parent, depth=0 if parent is None else 1, unit_id=None,
                user_id=None, product_line_id=None, channel_id=None, customer_type_id=None,
                value=100_000, locked=False, months=[0] * 12)


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_each_cause_has_its_own_words(cause: str) -> None:
    node = _node(_node())
    metric: Any = SimpleNamespace(unit="money")
    err = target_input.worded(TreeError(cause, node, **CAUSES[cause]),
                              lambda n: "Team A" if n.parent else "Revenue", metric)
    assert isinstance(err, target_input.DecomposeError)
    assert str(err) != "These numbers cannot be split; check them.", cause
    assert "%(" not in str(err)


def test_the_counts_and_the_sibling_figures_are_said() -> None:
    node = _node(_node())
    metric: Any = SimpleNamespace(unit="money")
    words = target_input.worded(TreeError("weights_count", n=3, got=1, dim="team"),
                                lambda n: "?", metric)
    assert str(words) == "Type 3 weights, one per team (got 1)."
    words = target_input.worded(TreeError("sibling_locks", node, new=80_000, locked=50_000),
                                lambda n: "Team A" if n.parent else "Revenue", metric)
    assert "Team A cannot be set to" in str(words) and "Revenue's" in str(words)

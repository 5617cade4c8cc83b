"""People who change during the year, in the engine: a rep's remaining months handed to
teammates or to one other target, a newcomer's share; every parent still adds up, for
the year and every month, past months and locked teammates stay as they were."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engine_tree import SETTINGS, apply, assert_adds_up, trees

from planner.engine import Node, Tree, TreeError, handover


def _reps(tree: Tree) -> list[Node]:
    return [n for r in tree.roots for n in r.walk() if n.user_id is not None
            and n.parent is not None and n.parent.user_id is None]


def _moving(node: Node, first: int) -> list[int]:
    return [0] * first + node.months[first:]


def _apply(plan: handover.Plan) -> None:
    apply(plan)
    for n in plan.new_nodes:
        assert n.parent is not None
        n.parent.children.append(n)


@SETTINGS
@given(trees(), st.data())
def test_a_rep_leaving_spreads_the_months_left_over_the_unlocked_teammates(
    tree: Tree, data: st.DataObject
) -> None:
    reps = _reps(tree)
    if not reps:
        return
    node = data.draw(st.sampled_from(reps))
    first = data.draw(st.integers(0, 12))
    parent = node.parent
    assert parent is not None
    mates = [s for s in parent.children if s is not node and not s.locked]
    locked = {id(s): (s.value, list(s.months)) for s in parent.children if s.locked}
    past = node.months[:first]
    before = (parent.value, list(parent.months))
    if not mates and any(node.months[first:]):
        with pytest.raises(TreeError):
            handover.plan_spread(tree, node, _moving(node, first))
        return
    _apply(handover.plan_spread(tree, node, _moving(node, first)))
    assert_adds_up(tree)
    assert node.months == past + [0] * (12 - first) and node.locked
    assert (parent.value, parent.months) == before
    for s in parent.children:
        if id(s) in locked and s is not node:
            assert (s.value, s.months) == locked[id(s)]


@SETTINGS
@given(trees(), st.data())
def test_a_transfer_to_a_successor_or_another_team_keeps_the_common_parent(
    tree: Tree, data: st.DataObject
) -> None:
    reps = _reps(tree)
    if len(reps) < 2:
        return
    node = data.draw(st.sampled_from(reps))
    other = data.draw(st.sampled_from([r for r in reps if r is not node]))
    first = data.draw(st.integers(0, 12))
    fresh = data.draw(st.booleans())
    dest = handover.new_node(other.parent, other.unit_id, 999) if fresh else other
    moving = _moving(node, first)
    top = tree.roots[0]
    before = (top.value, list(top.months))
    want = (dest.value + sum(moving)) if not fresh else sum(moving)
    _apply(handover.plan_transfer(tree, node, moving, dest))
    assert_adds_up(tree)
    assert (top.value, top.months) == before
    assert node.months[first:] == [0] * (12 - first)
    assert dest.value == want


@SETTINGS
@given(trees(), st.data())
def test_a_newcomer_takes_a_share_from_the_unlocked_teammates_only(
    tree: Tree, data: st.DataObject
) -> None:
    reps = _reps(tree)
    if not reps:
        return
    parent = data.draw(st.sampled_from(reps)).parent
    assert parent is not None
    first = data.draw(st.integers(0, 11))
    free = [sum(s.months[m] for s in parent.children if not s.locked) for m in range(12)]
    share = [0] * first + [data.draw(st.integers(0, f)) for f in free[first:]]
    frozen = {id(s): (s.value, list(s.months)) for s in parent.children if s.locked}
    past = {id(s): s.months[:first] for s in parent.children}
    before = (parent.value, list(parent.months))
    joiner = handover.new_node(parent, parent.unit_id, 999)
    _apply(handover.plan_join(tree, joiner, share))
    assert_adds_up(tree)
    assert joiner.months == share and (parent.value, parent.months) == before
    for s in parent.children:
        if id(s) in frozen:
            assert (s.value, s.months) == frozen[id(s)]
        if id(s) in past:
            assert s.months[:first] == past[id(s)]


def test_a_share_larger_than_the_teammates_hold_is_refused_and_names_the_month() -> None:
    top = Node(1, None, 0, 1, None, None, None, None, 120, False, [10] * 12)
    a = Node(2, top, 1, 1, 7, None, None, None, 120, False, [10] * 12, dim="rep")
    top.children = [a]
    tree = Tree({1: top, 2: a}, [top])
    joiner = handover.new_node(top, 1, 8)
    with pytest.raises(TreeError) as err:
        handover.plan_join(tree, joiner, [0] * 11 + [11])
    assert err.value.cause == "share_too_large"
    assert err.value.details == {"month": 11, "wanted": 11, "free": 10}
    assert a.months == [10] * 12


def test_nobody_to_take_the_months_is_refused() -> None:
    top = Node(1, None, 0, 1, None, None, None, None, 120, False, [10] * 12)
    a = Node(2, top, 1, 1, 7, None, None, None, 60, False, [5] * 12, dim="rep")
    b = Node(3, top, 1, 1, 8, None, None, None, 60, True, [5] * 12, dim="rep")
    top.children = [a, b]
    tree = Tree({1: top, 2: a, 3: b}, [top])
    with pytest.raises(TreeError) as err:
        handover.plan_spread(tree, a, [0] * 6 + [5] * 6)
    assert err.value.cause == "no_teammates"

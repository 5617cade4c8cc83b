"""The target tree's rules, without a database: parents add up, locks hold, and a plan's
preview lists every target it changes (and nothing else)."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine import Member, Node, Plan, Tree, TreeError, allocate, tree_rules

# How many children each dimension has in the made-up company.
SIZES = {"product_line": 3, "region": 2, "team": 3, "rep": 4, "channel": 2}
IDS = count(1)


class FakeCompany:
    """A company of fixed shape: units and reps get ids from their parent's scope."""

    def members(self, parent: Node, dim: str) -> list[Member]:
        base: dict[str, Any] = dict(
            unit_id=parent.unit_id, user_id=parent.user_id,
            product_line_id=parent.product_line_id, channel_id=parent.channel_id,
            customer_type_id=parent.customer_type_id)
        out = []
        for k in range(SIZES[dim]):
            scope = dict(base)
            if dim in ("region", "team"):
                scope["unit_id"] = (parent.unit_id or 0) * 10 + k + 1
            elif dim == "rep":
                scope["user_id"] = (parent.unit_id or 0) * 10 + k + 1
            else:
                scope[f"{dim}_id"] = k + 1
            out.append(Member(dim, k + 1, f"{dim} {k + 1}", **scope))
        return out

    def capability(self, m: Member) -> int:
        return (m.key * 7 + (m.unit_id or 0)) % 5

    def last_year(self, m: Member) -> int:
        return (m.key * 13 + (m.user_id or 0)) % 9 * 1000


COMPANY = FakeCompany()


def root(value: int, weights: list[int]) -> Node:
    return Node(id=next(IDS), parent=None, depth=0, unit_id=None, user_id=None,
                product_line_id=None, channel_id=None, customer_type_id=None, value=value,
                locked=False, months=allocate(value, weights))


def apply(plan: Plan) -> None:
    """What writing a plan does, in memory."""
    if plan.kind == "decompose":  # new nodes know their parent; parents learn them here
        plan.target.children = []
        for n in plan.new_nodes:
            assert n.parent is not None
            n.parent.children.append(n)
            n.id = next(IDS)
        assert plan.target.children == plan.top
        return
    for ch in plan.changes:
        ch.node.value, ch.node.months = ch.new_value, list(ch.new_months)
        ch.node.locked = ch.new_locked


def state(tree: Tree) -> dict[int, tuple[int, tuple[int, ...], bool]]:
    return {id(n): (n.value, tuple(n.months), n.locked)
            for r in tree.roots for n in r.walk()}


def assert_adds_up(tree: Tree) -> None:
    for r in tree.roots:
        for n in r.walk():
            assert n.value >= 0 and all(m >= 0 for m in n.months)
            if tree.additive:
                assert sum(n.months) == n.value
            if not n.children:
                continue
            if tree.additive:
                assert sum(c.value for c in n.children) == n.value, n
                for i in range(12):
                    assert sum(c.months[i] for c in n.children) == n.months[i]


dims_st = st.lists(st.sampled_from(["product_line", "region", "team", "rep"]),
                   min_size=1, max_size=3, unique=True).map(
    lambda ds: sorted(ds, key=["product_line", "region", "team", "rep"].index))
method_st = st.sampled_from(["equal", "capability", "last_year"])
month_weights = st.lists(st.integers(0, 50), min_size=12, max_size=12)


@st.composite
def trees(draw: st.DrawFn, additive: bool = True) -> Tree:
    """A decomposed tree with some targets locked."""
    top = root(draw(st.integers(0, 10**12)), draw(month_weights))
    tree = Tree({}, [top], additive)
    apply(tree_rules.plan_decompose(tree, COMPANY, top, draw(dims_st), draw(method_st)))
    nodes = [n for n in top.walk() if n is not top]
    for n in nodes:
        n.locked = draw(st.booleans()) and draw(st.booleans())  # about a quarter
    tree.nodes = {n.id: n for n in top.walk() if n.id is not None}
    return tree


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(trees(), st.data())
def test_an_edit_keeps_every_parent_adding_up_and_every_lock(tree: Tree,
                                                              data: st.DataObject) -> None:
    nodes = [n for n in tree.roots[0].walk()]
    node = data.draw(st.sampled_from(nodes))
    value = data.draw(st.integers(0, 2 * max(node.value, 1)))
    before = state(tree)
    locked = [(n, n.value) for n in nodes if n.locked and n is not node]
    try:
        plan = tree_rules.plan_edit(tree, node, value)
    except TreeError as exc:
        assert exc.cause in ("sibling_locks", "split")
        assert state(tree) == before  # a refusal changes nothing
        return
    assert state(tree) == before  # planning alone changes nothing
    apply(plan)
    assert_adds_up(tree)
    assert node.value == value
    assert node.locked or node.parent is None
    for n, v in locked:
        assert n.value == v


@SETTINGS
@given(trees(), st.data())
def test_the_preview_lists_exactly_the_targets_that_change(tree: Tree,
                                                            data: st.DataObject) -> None:
    nodes = [n for n in tree.roots[0].walk()]
    node = data.draw(st.sampled_from(nodes))
    action = data.draw(st.sampled_from(["edit", "lock", "months"]))
    try:
        if action == "edit":
            plan = tree_rules.plan_edit(tree, node, data.draw(st.integers(0, 10**12)))
        elif action == "lock":
            plan = tree_rules.plan_lock(tree, node, data.draw(st.booleans()))
        else:
            top = tree.roots[0]
            plan = tree_rules.plan_months(tree, top, allocate(top.value,
                                                             data.draw(month_weights)))
    except TreeError:
        return
    before = state(tree)
    apply(plan)
    after = state(tree)
    moved = {k for k in before if before[k] != after[k]}
    assert {id(c.node) for c in plan.changed} == moved
    for ch in plan.changes:
        assert (ch.old_value, tuple(ch.old_months), ch.old_locked) == before[id(ch.node)]
    # Every value change is shown once in the preview's groups.
    shown = [g.head for g in plan.groups() if g.head] + [
        c for g in plan.groups() for c in g.items]
    assert sorted(map(id, shown)) == sorted(map(id, plan.value_changes))


@SETTINGS
@given(trees(), dims_st, method_st)
def test_a_decomposition_adds_up_and_names_every_target_made_or_removed(
        tree: Tree, dims: list[str], method: str) -> None:
    top = tree.roots[0]
    for n in top.walk():
        n.locked = False
    old = [n for c in top.children for n in c.walk()]
    before = state(tree)
    plan = tree_rules.plan_decompose(tree, COMPANY, top, dims, method)
    assert state(tree) == before
    apply(plan)
    assert_adds_up(tree)
    assert len({id(n) for n in plan.new_nodes}) == len(plan.new_nodes)
    assert {id(c.node) for c in plan.changes if not c.removed} == set(map(id, plan.new_nodes))
    removed = {id(c.node) for c in plan.changes if c.removed}
    matched = len(plan.changes) - len(plan.new_nodes)
    assert len(removed) == matched and removed <= set(map(id, old))
    assert all(n.depth == n.parent.depth + 1 for n in plan.new_nodes if n.parent)


@SETTINGS
@given(trees(), st.data())
def test_a_resplit_along_the_same_dimension_keeps_the_locked_children(
        tree: Tree, data: st.DataObject) -> None:
    top = tree.roots[0]
    dim = top.children[0].dim
    assert dim is not None
    for n in top.walk():
        n.locked = n.parent is top and data.draw(st.booleans())
    kept = {c.scope: c.value for c in top.children if c.locked}
    try:
        plan = tree_rules.plan_decompose(tree, COMPANY, top, [dim], data.draw(method_st))
    except TreeError as exc:
        assert exc.cause == "split"  # e.g. every child locked, or locks too large
        return
    apply(plan)
    assert_adds_up(tree)
    assert {c.scope: c.value for c in top.children if c.locked} == kept


@SETTINGS
@given(trees(additive=False), st.data())
def test_a_level_metric_is_inherited_and_locked_levels_hold(tree: Tree,
                                                            data: st.DataObject) -> None:
    top = tree.roots[0]
    for n in top.walk():
        n.months = [top.value] * 12
        n.value = top.value
    locked = [(n, n.value) for n in top.walk() if n.locked]
    value = data.draw(st.integers(0, 10_000))
    plan = tree_rules.plan_edit(tree, top, value)
    apply(plan)
    for n in top.walk():
        if not any(a.locked for a in _path(n)):
            assert n.value == value
    for n, v in locked:
        assert n.value == v


def _path(n: Node) -> list[Node]:
    """`n` and its ancestors below the top."""
    out = []
    while n.parent is not None:
        out.append(n)
        n = n.parent
    return out


@given(st.integers(0, 10**9))
def test_a_rep_cannot_split_by_team_and_a_split_needs_a_dimension(value: int) -> None:
    top = root(value, [1] * 12)
    tree = Tree({}, [top])
    top.user_id = 7
    for dims, cause in ((["team"], "rep_has_no_units"), (["rep"], "already_rep"),
                        ([], "no_dimension"), (["rep", "rep"], "repeated_dimension"),
                        (["shoe size"], "unknown_dimension")):
        with pytest.raises(TreeError) as got:
            tree_rules.plan_decompose(tree, COMPANY, top, dims, "equal")
        assert got.value.cause == cause


def test_typed_weights_must_match_the_children() -> None:
    top = root(1000, [1] * 12)
    tree = Tree({}, [top])
    with pytest.raises(TreeError) as got:
        tree_rules.plan_decompose(tree, COMPANY, top, ["region"], "weights",
                                  {"weights": [1]})
    assert got.value.cause == "weights_count"
    assert got.value.details == {"n": 2, "got": 1, "dim": "region"}
    plan = tree_rules.plan_decompose(tree, COMPANY, top, ["region"], "weights",
                                     {"weights": [1, 3]})
    assert [k.value for k in plan.top] == [250, 750]
    assert [k.weight for k in plan.top] == ["1", "3"]


def test_an_edit_that_does_not_fit_the_locked_siblings_says_so() -> None:
    top = root(1000, [1] * 12)
    tree = Tree({}, [top])
    apply(tree_rules.plan_decompose(tree, COMPANY, top, ["team"], "equal"))
    a, b, c = top.children
    b.locked = True
    with pytest.raises(TreeError) as got:
        tree_rules.plan_edit(tree, a, 800)
    assert got.value.cause == "sibling_locks" and got.value.node is a
    assert got.value.details == {"new": 800, "locked": b.value}

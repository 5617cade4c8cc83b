"""The rules that change a target tree: edit, lock, re-split over time, decompose.

Exactness contract for additive metrics: the children's year values add up to the
parent's (``allocate``, locks honoured) and, month by month, the children's month cells
add up to the parent's month cell (``allocate_matrix``). Level metrics (share,
satisfaction) are inherited (or typed per child), never summed.

Every function here returns a :class:`~.tree.Plan` and leaves the tree untouched; bad
input raises :class:`~.tree.TreeError` with a cause code. What the company holds (the
children a node can split into, each one's capability score and last year's result)
comes in through a :class:`Company` the caller passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from .allocate import AllocationError, Weight, allocate, allocate_matrix
from .tree import (
    DIMENSIONS,
    METHODS,
    TYPED_METHODS,
    Change,
    Member,
    Node,
    Plan,
    Scope,
    Tree,
    TreeError,
)

__all__ = [
    "Company",
    "check_split",
    "check_top",
    "plan_decompose",
    "plan_edit",
    "plan_lock",
    "plan_month",
    "plan_months",
    "replacement_changes",
    "split_weights",
]


class Company(Protocol):
    """What a decomposition needs to know of the company."""

    def members(self, parent: Node, dim: str) -> list[Member]:
        """The children `parent` splits into along `dim` (may be none)."""

    def capability(self, m: Member) -> int:
        """The member's capability score (a unit's: the sum of its reps')."""

    def last_year(self, m: Member) -> int:
        """The member's actual of the metric last fiscal year."""


class _Recorder:
    """Collects old -> new per node while a rule walks the tree."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.changes: dict[int, Change] = {}

    def set(self, node: Node, value: int | None = None, months: list[int] | None = None,
            locked: bool | None = None) -> None:
        ch = self.changes.get(id(node))
        if ch is None:
            ch = Change(node, "", node.value, node.value, node.locked, node.locked,
                        list(node.months), list(node.months))
            self.changes[id(node)] = ch
        if value is not None:
            ch.new_value = value
        if months is not None:
            ch.new_months = list(months)
        if locked is not None:
            ch.new_locked = locked

    def current(self, node: Node) -> tuple[int, list[int]]:
        ch = self.changes.get(id(node))
        return (ch.new_value, ch.new_months) if ch else (node.value, node.months)

    def resplit(self, node: Node, value: int, months: list[int]) -> None:
        """Re-split `node`'s subtree for its new value/months, keeping locked children."""
        kids = node.children
        if not kids:
            return
        if self.tree.additive:
            locks = {i: k.value for i, k in enumerate(kids) if k.locked}
            try:
                vals = allocate(value, [k.value for k in kids], locks)
                mat = allocate_matrix(vals, months)
            except AllocationError as exc:
                raise TreeError("split", node, error=exc) from None
            for k, v, row in zip(kids, vals, mat, strict=True):
                if v != k.value or row != k.months:
                    self.set(k, v, row)
                    self.resplit(k, v, row)
        else:
            for k in kids:
                if k.locked:
                    continue
                if k.value != value or k.months != months:
                    self.set(k, value, months)
                    self.resplit(k, value, months)

    def result(self) -> list[Change]:
        return [c for c in self.changes.values()
                if c.value_changed or c.locked_changed or c.old_months != c.new_months]


# ------------------------------------------------------------------ edit, lock, time


def plan_edit(tree: Tree, node: Node, new_value: int) -> Plan:
    """Set `node`'s year value: its unlocked siblings rebalance so the parent still adds
    up (the edited node is locked so later rebalances keep it), and every changed node's
    subtree is re-split, keeping locked descendants."""
    if new_value < 0:
        raise TreeError("negative", node)
    rec = _Recorder(tree)
    if not tree.additive:
        _edit_level(rec, node, new_value)
    elif node.parent is None:
        try:
            months = allocate(new_value, node.months or [1] * 12)
        except AllocationError as exc:
            raise TreeError("split", node, error=exc) from None
        rec.set(node, new_value, months)
        rec.resplit(node, new_value, months)
    else:
        _edit_among_siblings(rec, node, node.parent, new_value)
    return Plan(tree, "edit", node, rec.result())


def _edit_level(rec: _Recorder, node: Node, new_value: int) -> None:
    """A level metric: the node's months move by the same amount (or all become the new
    value when they were flat), and its unlocked descendants inherit it."""
    delta = new_value - node.value
    months = [max(0, m + delta) for m in node.months] if node.months else [new_value] * 12
    if all(m == node.value for m in node.months):
        months = [new_value] * 12
    rec.set(node, new_value, months, locked=True if node.parent is not None else None)
    rec.resplit(node, new_value, months)


def _edit_among_siblings(rec: _Recorder, node: Node, parent: Node, new_value: int) -> None:
    sibs = parent.children
    idx = sibs.index(node)
    locks = {i: s.value for i, s in enumerate(sibs) if s.locked and s is not node}
    locks[idx] = new_value
    try:
        vals = allocate(parent.value, [s.value for s in sibs], locks)
    except AllocationError:
        others = sum(v for i, v in locks.items() if i != idx)
        raise TreeError("sibling_locks", node, new=new_value, locked=others) from None
    mat = allocate_matrix(vals, parent.months)
    for s, v, row in zip(sibs, vals, mat, strict=True):
        if s is node:
            rec.set(s, v, row, locked=True)
        elif v != s.value or row != s.months:
            rec.set(s, v, row)
    for s in sibs:
        v, row = rec.current(s)
        if v != s.value or row != s.months:
            rec.resplit(s, v, row)


def plan_month(tree: Tree, node: Node, month: int, new_value: int) -> Plan:
    """Set `node`'s value for one month (its index in the fiscal year): the unlocked
    siblings' same month rebalances so the parent's month, and so the parent, still add
    up; each changed target's year moves by its month's change, the edited node is locked
    (as by plan_edit), and every changed node's subtree is re-split, keeping locked
    descendants. Additive metrics only (a level is set for the year)."""
    if new_value < 0:
        raise TreeError("negative", node)
    if not tree.additive:
        raise TreeError("level_by_year", node)
    rec = _Recorder(tree)
    parent = node.parent
    sibs = parent.children if parent is not None else [node]
    vals = [new_value]
    if parent is not None:
        locks = {i: s.months[month] for i, s in enumerate(sibs) if s.locked and s is not node}
        locks[sibs.index(node)] = new_value
        try:
            vals = allocate(parent.months[month], [s.months[month] for s in sibs], locks)
        except AllocationError:
            others = sum(v for i, v in locks.items() if sibs[i] is not node)
            raise TreeError("month_sibling_locks", node, new=new_value, locked=others,
                            month=month, total=parent.months[month]) from None
    for s, v in zip(sibs, vals, strict=True):
        if s is node or v != s.months[month]:
            row = list(s.months)
            row[month] = v
            value = s.value + v - s.months[month]
            rec.set(s, value, row, locked=True if s is node and parent is not None else None)
            rec.resplit(s, value, row)
    return Plan(tree, "edit", node, rec.result())


def plan_lock(tree: Tree, node: Node, locked: bool) -> Plan:
    """Lock or unlock a node: its value is kept (or freed) in later rebalances."""
    rec = _Recorder(tree)
    if node.locked != locked:
        rec.set(node, locked=locked)
    return Plan(tree, "lock", node, rec.result())


def plan_months(tree: Tree, node: Node, months: list[int]) -> Plan:
    """Give a top node new month cells (its year split over time another way) and carry
    them down the tree, keeping locked descendants."""
    check_top(node)
    rec = _Recorder(tree)
    rec.set(node, node.value, months)
    rec.resplit(node, node.value, months)
    return Plan(tree, "time", node, rec.result())


def check_top(node: Node) -> None:
    """Only a top node is split over time; the rest follows it."""
    if node.parent is not None:
        raise TreeError("not_top", node)


# ------------------------------------------------------------------ decompose


def check_split(parent: Node, dim: str) -> None:
    """Whether `parent` may be split along `dim` at all (its scope allows it)."""
    if dim not in DIMENSIONS:
        raise TreeError("unknown_dimension", parent, dim=dim)
    if dim in ("product_line", "channel", "customer_type"):
        if getattr(parent, f"{dim}_id") is not None:
            raise TreeError("already_split", parent, dim=dim)
    elif dim in ("region", "team"):
        if parent.user_id is not None:
            raise TreeError("rep_has_no_units", parent, dim=dim)
    elif parent.user_id is not None:  # rep
        raise TreeError("already_rep", parent, dim=dim)


def split_weights(company: Company, members: Sequence[Member], method: str,
                  params: Mapping[str, Any]) -> list[Weight]:
    """The weights `method` gives each member (typed ones come in `params`)."""
    n = len(members)
    if method == "equal":
        return [1] * n
    if method == "capability":
        return [company.capability(m) for m in members]
    if method == "last_year":
        return [company.last_year(m) for m in members]
    if method == "weights":
        return _typed_weights(members, params.get("weights") or [])
    if method == "growth":
        return _growth_weights(company, members, params.get("growth") or [])
    raise TreeError("unknown_method", method=method)


def _typed_weights(members: Sequence[Member], typed: Sequence[Any]) -> list[Weight]:
    if len(typed) != len(members):
        raise TreeError("weights_count", n=len(members), got=len(typed), dim=members[0].dim)
    out = [Decimal(str(w)) for w in typed]
    if any(w < 0 for w in out):
        raise TreeError("negative_weight")
    if not any(out):
        raise TreeError("zero_weights")
    return list(out)


def _growth_weights(company: Company, members: Sequence[Member],
                    growth: Sequence[Any]) -> list[Weight]:
    if len(growth) != len(members):
        raise TreeError("growth_count", n=len(members), got=len(growth), dim=members[0].dim)
    out: list[Weight] = []
    for m, g in zip(members, growth, strict=True):
        w = Fraction(company.last_year(m)) * (100 + Fraction(str(g))) / 100
        if w < 0:
            raise TreeError("growth_negative")
        out.append(w)
    return out


def _check_decompose(dims: Sequence[str], method: str) -> None:
    if not dims:
        raise TreeError("no_dimension")
    if len(set(dims)) != len(dims):
        raise TreeError("repeated_dimension")
    if method not in METHODS:
        raise TreeError("unknown_method", method=method)
    if method in TYPED_METHODS and len(dims) > 1:
        raise TreeError("typed_one_level")


def _kept_locks(node: Node, dim: str) -> dict[Scope, int]:
    """The locked children kept by a re-split along the same dimension; any other lock
    below `node` refuses the decomposition."""
    kept = {c.scope: c.value for c in node.children if c.locked and c.dim == dim}
    for c in node.children:
        for d in c.walk():
            if d.locked and not (d is c and d.dim == dim and d.scope in kept):
                raise TreeError("locked_below", d)
    return kept


class _Splitter:
    """One decomposition: splits a node level by level into new nodes."""

    def __init__(self, tree: Tree, company: Company, dims: Sequence[str], method: str,
                 params: Mapping[str, Any], kept: dict[Scope, int]) -> None:
        self.tree, self.company, self.dims = tree, company, dims
        self.method, self.params, self.kept = method, params, kept
        self.new_nodes: list[Node] = []

    def members(self, parent: Node, dim: str) -> list[Member]:
        check_split(parent, dim)
        out = self.company.members(parent, dim)
        if not out:
            raise TreeError("nothing_to_split", parent, dim=dim)
        return out

    def values(self, parent: Node, members: list[Member], first: bool,
               where: Node) -> tuple[list[int], list[list[int]]]:
        """Each member's year value and months."""
        if not self.tree.additive:
            return self.levels(parent, members, first)
        weights = split_weights(self.company, members, self.method,
                                self.params if first else {})
        locks = {}
        if first:
            locks = {i: self.kept[m.scope] for i, m in enumerate(members)
                     if m.scope in self.kept}
        try:
            vals = allocate(parent.value, weights, locks)
            return vals, allocate_matrix(vals, parent.months)
        except AllocationError as exc:
            raise TreeError("split", where, error=exc) from None

    def levels(self, parent: Node, members: list[Member],
               first: bool) -> tuple[list[int], list[list[int]]]:
        """A level metric: typed per child (first level only), else inherited."""
        levels = self.params.get("levels") if first else None
        if levels is None:
            return [parent.value] * len(members), [list(parent.months) for _ in members]
        if len(levels) != len(members):
            raise TreeError("levels_count", n=len(members), got=len(levels),
                            dim=members[0].dim)
        vals = [int(Decimal(str(lv)) * 100) for lv in levels]
        if any(v < 0 for v in vals):
            raise TreeError("negative")
        return vals, [[v] * 12 for v in vals]

    def split(self, parent: Node, level: int, where: Node) -> list[Node]:
        first = level == 0
        members = self.members(parent, self.dims[level])
        vals, mat = self.values(parent, members, first, where)
        kids = []
        for i, (m, v, row) in enumerate(zip(members, vals, mat, strict=True)):
            child = Node(id=None, parent=parent, depth=parent.depth + 1, unit_id=m.unit_id,
                         user_id=m.user_id, product_line_id=m.product_line_id,
                         channel_id=m.channel_id, customer_type_id=m.customer_type_id,
                         value=v, locked=first and m.scope in self.kept, months=row,
                         dim=m.dim)
            if first and self.method == "weights":
                child.weight = str(self.params["weights"][i])
            kids.append(child)
            self.new_nodes.append(child)
        if level + 1 < len(self.dims):
            for k in kids:
                k.split_dim = self.dims[level + 1]
                k.split_method = self.method
                self.split(k, level + 1, k)
        return kids


def plan_decompose(tree: Tree, company: Company, node: Node, dims: Sequence[str],
                   method: str, params: Mapping[str, Any] | None = None) -> Plan:
    """Split `node` along `dims` (one level per dimension) by `method`, replacing its
    current subtree. Re-splitting along the same dimension keeps locked children. A
    level metric splits by "equal" (inherits) unless levels are typed."""
    params = dict(params or {})
    dims = [d for d in dims if d]
    _check_decompose(dims, method)
    if not tree.additive and method != "equal" and "levels" not in params:
        method = "equal"
    splitter = _Splitter(tree, company, dims, method, params, _kept_locks(node, dims[0]))
    plan = Plan(tree, "decompose", node)
    plan.removed_ids = [d.id for c in node.children for d in c.walk() if d.id is not None]
    plan.split = {"split_dim": dims[0], "split_method": method,
                  "split_params": {k: [str(x) for x in v] for k, v in params.items()} or None}
    # Work on a detached copy of the node so the tree is untouched until applied.
    shadow = Node(id=node.id, parent=None, depth=node.depth, unit_id=node.unit_id,
                  user_id=node.user_id, product_line_id=node.product_line_id,
                  channel_id=node.channel_id, customer_type_id=node.customer_type_id,
                  value=node.value, locked=node.locked, months=list(node.months),
                  dim=node.dim)
    plan.top = splitter.split(shadow, 0, node)
    for k in plan.top:
        k.parent = node
    plan.new_nodes = splitter.new_nodes
    plan.changes = replacement_changes(node, plan.new_nodes)
    return plan


def replacement_changes(node: Node, new_nodes: list[Node]) -> list[Change]:
    """Old -> new for every target of the new subtree (matched to the old one of the same
    scope, if any; else created) and every old one with no successor (removed)."""
    everything = [d for c in node.children for d in c.walk()]
    if not everything:  # a first split: every target is new
        return [Change(k, "", 0, k.value, False, k.locked, [], k.months, created=True)
                for k in new_nodes]
    old: dict[Scope, Node] = {}
    for d in everything:
        old.setdefault(d.scope, d)
    out: list[Change] = []
    seen: set[int] = set()
    for k in new_nodes:
        was = old.get(k.scope)
        if was is not None and id(was) not in seen:
            seen.add(id(was))
            out.append(Change(k, "", was.value, k.value, was.locked, k.locked,
                              was.months, k.months))
        else:
            out.append(Change(k, "", 0, k.value, False, k.locked, [], k.months, created=True))
    for d in everything:
        if id(d) not in seen:
            out.append(Change(d, "", d.value, 0, d.locked, False, d.months, [], removed=True))
    return out

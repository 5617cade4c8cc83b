"""A fiscal year's target tree in memory, and the plans that change it.

A target tree (one per fiscal year, metric and tier) starts at the company target and is
split, level by level, along dimensions (product line, channel, customer type, region,
team, rep). Every node has a year value and 12 month cells; quarters are sums of months
(for a level metric: their mean).

A *plan* is a computed change, not yet written: old -> new per node, so it can be
previewed and then applied by the caller. The rules that make plans live in
``tree_rules``; this module holds the shapes they work on. Labels (the people's names
for nodes) are not the engine's business: a ``Change`` is made with an empty label and
the caller fills it in after planning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .levels import aggregate

__all__ = [
    "DIMENSIONS",
    "METHODS",
    "TYPED_METHODS",
    "Change",
    "Group",
    "Member",
    "Node",
    "Plan",
    "Scope",
    "Tree",
    "TreeError",
    "quarters_of",
]

DIMENSIONS = ("product_line", "channel", "customer_type", "region", "team", "rep")
METHODS = ("equal", "weights", "last_year", "capability", "growth")
# Methods whose parameters are typed per child: only for a one-level decomposition.
TYPED_METHODS = ("weights", "growth")

Scope = tuple[int | None, ...]  # (unit, user, product line, channel, customer type)


class TreeError(ValueError):
    """A change the tree rules refuse; nothing was changed.

    ``cause`` names the reason for callers that word it for people; ``node`` is the
    target it concerns (if any) and ``details`` the figures the wording needs:

    - ``negative`` (a target below zero), ``split`` (an allocation failed under ``node``;
      ``details["error"]`` is the engine's AllocationError), ``sibling_locks`` (``node``
      set to ``new`` does not fit its parent with the locked siblings, which hold
      ``locked``), ``not_top`` (only a top node is split over time);
    - one month: ``level_by_year`` (a level metric is set for the year),
      ``month_sibling_locks`` (``node`` set to ``new`` in ``month`` does not fit the
      parent's ``total`` that month with the locked siblings, which hold ``locked``);
    - decomposing: ``no_dimension``, ``repeated_dimension``, ``unknown_dimension``
      (``dim``), ``unknown_method`` (``method``), ``typed_one_level``, ``locked_below``
      (``node`` is a locked descendant), ``already_split`` (``dim``), ``rep_has_no_units``
      (``dim``), ``already_rep``, ``nothing_to_split`` (``dim``);
    - typed numbers per child: ``weights_count``, ``growth_count``, ``levels_count``
      (``n`` wanted, ``got``, ``dim``), ``negative_weight``, ``zero_weights``,
      ``growth_negative``.
    """

    def __init__(self, cause: str, node: Node | None = None, **details: Any) -> None:
        super().__init__(cause)
        self.cause = cause
        self.node = node
        self.details = details


@dataclass(eq=False)
class Node:
    id: int | None
    parent: Node | None
    depth: int
    unit_id: int | None
    user_id: int | None
    product_line_id: int | None
    channel_id: int | None
    customer_type_id: int | None
    value: int
    locked: bool
    months: list[int]
    dim: str | None = None  # the dimension the parent split on to make this node
    weight: str | None = None
    split_dim: str | None = None
    split_method: str | None = None
    split_params: dict[str, Any] | None = None
    time_method: str | None = None
    time_params: dict[str, Any] | None = None
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterable[Node]:
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    @property
    def scope(self) -> Scope:
        return (self.unit_id, self.user_id, self.product_line_id, self.channel_id,
                self.customer_type_id)


class Tree:
    """Every node of one tree by id, and its roots. Callers may subclass it to carry what
    the tree belongs to (the services' tree knows its fiscal year, metric and tier)."""

    def __init__(self, nodes: dict[int, Node], roots: list[Node],
                 additive: bool = True) -> None:
        self.nodes = nodes
        self.roots = roots
        self.additive = additive


@dataclass
class Member:
    """One child to be: its scope and a label."""

    dim: str
    key: int
    label: str
    unit_id: int | None
    user_id: int | None
    product_line_id: int | None
    channel_id: int | None
    customer_type_id: int | None

    @property
    def scope(self) -> Scope:
        return (self.unit_id, self.user_id, self.product_line_id, self.channel_id,
                self.customer_type_id)


def quarters_of(months: Sequence[int], additive: bool) -> list[int]:
    out = []
    for q in range(4):
        part = list(months[q * 3:q * 3 + 3])
        out.append(sum(part) if additive else aggregate(part, False))
    return out


@dataclass
class Change:
    node: Node
    label: str
    old_value: int
    new_value: int
    old_locked: bool
    new_locked: bool
    old_months: list[int]
    new_months: list[int]
    # A decomposition replaces the subtree: a target with no predecessor of the same scope
    # is created, one with no successor is removed (both count as value changes).
    created: bool = False
    removed: bool = False

    @property
    def value_changed(self) -> bool:
        return self.created or self.removed or self.old_value != self.new_value

    @property
    def locked_changed(self) -> bool:
        return self.old_locked != self.new_locked


@dataclass
class Plan:
    """A computed change, not yet written."""

    tree: Tree
    kind: str  # edit | lock | decompose | time (| import, made by a caller)
    target: Node
    changes: list[Change] = field(default_factory=list)
    new_nodes: list[Node] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    # decompose: the new children of the target, and (labelled by the caller) their values
    top: list[Node] = field(default_factory=list)
    summary: list[tuple[str, int]] = field(default_factory=list)
    split: dict[str, Any] | None = None  # decompose: dim/method/params of the target
    # decompose: the new nodes serialised for the caller's bulk write, made ahead so a
    # pipeline can do it off the writer (the services' store says what it holds).
    bulk: Any = None

    @property
    def value_changes(self) -> list[Change]:
        return [c for c in self.changes if c.value_changed or c.locked_changed]

    @property
    def changed(self) -> list[Change]:
        """Every target that changes: its value, its lock or only its months."""
        return [c for c in self.changes
                if c.value_changed or c.locked_changed or c.old_months != c.new_months]

    def groups(self) -> list[Group]:
        """The value changes grouped for the preview: one group per target just below the
        one changed (or per sibling, for an edit), holding every change under it."""
        base = self.target.depth + (0 if self.kind in ("edit", "lock") else 1)
        out: dict[int, Group] = {}
        order: list[Group] = []
        for ch in self.value_changes:
            n = ch.node
            if n.depth < base:  # the changed target itself (an edit of the company target)
                order.append(Group(n, ch))
                continue
            top = n
            while top.depth > base and top.parent is not None:
                top = top.parent
            g = out.get(id(top))
            if g is None:
                g = out[id(top)] = Group(top, None)
                order.append(g)
            if top is n:
                g.head = ch
            else:
                g.items.append(ch)
        return order


@dataclass
class Group:
    """A target of the preview and the changes below it (folded when there are any)."""

    node: Node
    head: Change | None
    items: list[Change] = field(default_factory=list)

"""The rules for people who change during the year: a rep's remaining months handed
over to teammates, to one other target (a successor, an unassigned slot, the rep's own
target in another team), or a share given to a newcomer.

What "remaining" means is the caller's choice: every rule takes ``moving``, the amount
of each month (fiscal-year index 0..11) that leaves the rep's target; the months where it
is 0 (those already gone) stay exactly as they are.

Exactness (additive metrics): a handover inside one parent keeps the parent unchanged;
a transfer to a target under another parent moves the amount up both branches to their
common ancestor, which is unchanged. Month by month, every parent still equals the sum
of its children; each changed target's year is the sum of its months. Level metrics
(share, satisfaction) are not handed over: a new target inherits its parent's level.

Like ``tree_rules``, every function returns a :class:`~.tree.Plan` and leaves the tree
untouched; refusals raise :class:`~.tree.TreeError`:
``no_teammates`` (no unlocked teammate to take the months), ``negative`` (a moving
amount below zero or above the month), ``same_target`` (a transfer to itself or to a
target above or below it), ``share_too_large`` (a newcomer's share of ``month`` is more
than the unlocked teammates hold: ``wanted``, ``free``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .allocate import Weight, allocate
from .tree import Change, Node, Plan, Tree, TreeError
from .tree_rules import _Recorder

__all__ = ["new_node", "plan_join", "plan_spread", "plan_transfer"]


def new_node(parent: Node, unit_id: int | None, user_id: int | None,
             additive: bool = True) -> Node:
    """A target to be under `parent`, a copy of its scope for one person (or nobody):
    zero for an additive metric, the parent's level for a level metric. It is not added
    to the parent's children (the tree stays untouched until the plan is written)."""
    zero = additive
    return Node(id=None, parent=parent, depth=parent.depth + 1, unit_id=unit_id,
                user_id=user_id, product_line_id=parent.product_line_id,
                channel_id=parent.channel_id, customer_type_id=parent.customer_type_id,
                value=0 if zero else parent.value,
                locked=False, months=[0] * 12 if zero else list(parent.months),
                dim=parent.split_dim or "rep")


def _check_moving(node: Node, moving: Sequence[int]) -> None:
    if len(moving) != 12 or any(a < 0 or a > m for a, m in zip(moving, node.months,
                                                             strict=True)):
        raise TreeError("negative", node)


def _set_moving(rec: _Recorder, node: Node, moving: Sequence[int], sign: int,
                lock: bool | None = None) -> None:
    value, months = rec.current(node)
    row = [m + sign * a for m, a in zip(months, moving, strict=True)]
    rec.set(node, sum(row) if rec.tree.additive else value, row, locked=lock)


def _teammates(node: Node) -> list[Node]:
    """The siblings that may take months: unlocked, another person's (not a slot)."""
    parent = node.parent
    if parent is None:
        return []
    return [s for s in parent.children
            if s is not node and not s.locked and s.user_id is not None]


def plan_spread(tree: Tree, node: Node, moving: Sequence[int],
                weights: Sequence[Weight] | None = None) -> Plan:
    """`node` gives `moving[m]` of each month to its unlocked teammates: by `weights`
    (one per teammate, in the order of the parent's children), or, without weights, in
    proportion to each one's value that month (equal when they are all zero). `node`
    keeps the rest and is locked, so a later rebalance gives it nothing back."""
    rec = _Recorder(tree)
    if not tree.additive:
        return Plan(tree, "edit", node, [])
    _check_moving(node, moving)
    mates = _teammates(node)
    if not mates and any(moving):
        raise TreeError("no_teammates", node)
    if weights is not None and len(weights) != len(mates):
        raise TreeError("weights_count", n=len(mates), got=len(weights), dim="rep")
    rows = {id(s): list(s.months) for s in mates}
    for m, amount in enumerate(moving):
        if amount == 0:
            continue
        w = list(weights) if weights is not None else [s.months[m] for s in mates]
        for s, part in zip(mates, allocate(amount, w), strict=True):
            rows[id(s)][m] += part
    _set_moving(rec, node, moving, -1, lock=True)
    rec.resplit(node, *rec.current(node))
    for s in mates:
        row = rows[id(s)]
        if row != s.months:
            rec.set(s, sum(row), row)
            rec.resplit(s, sum(row), row)
    return Plan(tree, "edit", node, rec.result())


def _chain(node: Node) -> list[Node]:
    out = []
    n: Node | None = node
    while n is not None:
        out.append(n)
        n = n.parent
    return out


def plan_transfer(tree: Tree, node: Node, moving: Sequence[int], dest: Node) -> Plan:
    """Move `moving[m]` of each month from `node` to `dest` (an existing target, or a
    new one from :func:`new_node`). The targets above each, up to their common ancestor,
    change by the same amounts; the common ancestor and everything else is unchanged.
    `node` is locked (it keeps its past months), `dest` too (its months were chosen),
    unless it is an unassigned slot (no person), which a newcomer takes from first."""
    rec = _Recorder(tree)
    created = dest.id is None
    if not tree.additive:
        changes = [_created(dest)] if created else []
        return Plan(tree, "edit", node, changes, new_nodes=[dest] if created else [])
    _check_moving(node, moving)
    src_chain, dst_chain = _chain(node), _chain(dest)
    if node in dst_chain or dest in src_chain:
        raise TreeError("same_target", node)
    common = next((a for a in src_chain if a in dst_chain), None)
    for a in src_chain:
        if a is common:
            break
        _set_moving(rec, a, moving, -1, lock=True if a is node else None)
    rec.resplit(node, *rec.current(node))
    extra: list[Change] = []
    for a in dst_chain:
        if a is common:
            break
        if a is dest and created:
            row = list(moving)
            dest.value, dest.months = sum(row), row
            dest.locked = dest.user_id is not None
            extra.append(_created(dest))
            continue
        _set_moving(rec, a, moving, +1,
                    lock=True if a is dest and dest.user_id is not None else None)
    if not created:
        rec.resplit(dest, *rec.current(dest))
    return Plan(tree, "edit", node, rec.result() + extra,
                new_nodes=[dest] if created else [])


def _created(n: Node) -> Change:
    return Change(n, "", 0, n.value, False, n.locked, [], list(n.months), created=True)


def plan_join(tree: Tree, joiner: Node, share: Sequence[int]) -> Plan:
    """`joiner` (a new target under its parent, from :func:`new_node`, or an existing
    one) gets `share[m]` of each month, taken first from the team's unassigned slots,
    then from its unlocked teammates in proportion to what each holds that month. A
    month whose share is more than they hold is refused. The parent is unchanged;
    `joiner` is locked (its share was chosen)."""
    parent = joiner.parent
    assert parent is not None, "a newcomer joins under a target"
    created = joiner.id is None
    if not tree.additive:
        return Plan(tree, "edit", joiner, [_created(joiner)] if created else [],
                    new_nodes=[joiner] if created else [])
    if len(share) != 12 or any(a < 0 for a in share):
        raise TreeError("negative", joiner)
    rec = _Recorder(tree)
    mates = _teammates(joiner)
    slots = [s for s in parent.children
             if s is not joiner and not s.locked and s.user_id is None]
    rows = {id(s): list(s.months) for s in mates + slots}
    for m, amount in enumerate(share):
        if amount == 0:
            continue
        free = sum(s.months[m] for s in mates + slots)
        if amount > free:
            raise TreeError("share_too_large", joiner, month=m, wanted=amount, free=free)
        for s in slots:  # what nobody holds goes first
            part = min(amount, rows[id(s)][m])
            rows[id(s)][m] -= part
            amount -= part
        if amount:
            for s, part in zip(mates, allocate(amount, [s.months[m] for s in mates]),
                               strict=True):
                rows[id(s)][m] -= part
    for s in mates + slots:
        row = rows[id(s)]
        if row != s.months:
            rec.set(s, sum(row), row)
            rec.resplit(s, sum(row), row)
    if created:
        joiner.months = list(share)
        joiner.value, joiner.locked = sum(share), True
        return Plan(tree, "edit", joiner, [*rec.result(), _created(joiner)],
                    new_nodes=[joiner])
    _set_moving(rec, joiner, share, +1, lock=True)
    rec.resplit(joiner, *rec.current(joiner))
    return Plan(tree, "edit", joiner, rec.result())

"""Loading only the part of a target tree a people change touches.

A change moves months between a rep's target, the teammates' (and everything below
them) and the targets above, up to the company: so it needs the tree's skeleton (every
target of no person: the company, the dimensions, regions and teams; a few hundred even
for the 2,000-rep company) and the whole subtree of each team target involved, with
their month cells. The rest of the company's reps (most of the tree) is never read.
Every loaded target knows all its children, except the skeleton's targets that are not
involved, whose rep children are left out, and only the involved targets and those above
them have their months: no rule reads the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...engine import Node
from ...extensions import db
from ...models import FiscalYear, Metric, Target, TargetCell, Tier
from ..targets import NODE_COLUMNS, Tree, fy_months, node_of


def load_branches(fy: FiscalYear, metric: Metric, tier: Tier,
                  team_ids: Iterable[int] | None = None,
                  team_units: Iterable[int] = ()) -> Tree:
    """The skeleton of (fy, metric, tier) with the whole subtree of the team targets
    `team_ids` and of every skeleton target of a unit in `team_units` that is split to
    reps."""
    t = Target.__table__
    cols = [t.c[k] for k in NODE_COLUMNS]
    base = [t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id, t.c.tier == tier]
    rows = list(db.session.execute(select(*cols).where(*base, t.c.user_id.is_(None))))
    units = set(team_units)
    frontier = set(team_ids or ()) | {r.id for r in rows if r.unit_id in units
                                      and r.split_dim == "rep"}
    involved = set(frontier)
    seen = {r.id for r in rows}
    while frontier:
        more = [r for r in db.session.execute(select(*cols).where(
            *base, t.c.parent_id.in_(sorted(frontier)))) if r.id not in seen]
        rows.extend(more)
        seen.update(r.id for r in more)
        frontier = {r.id for r in more}
    return _link(fy, metric, tier, rows, involved)


def _link(fy: FiscalYear, metric: Metric, tier: Tier, rows: list[Any],
          involved: set[int]) -> Tree:
    """Link the rows into a tree; month cells only for the involved subtrees and the
    targets above them (no rule reads the months of the others)."""
    nodes = {r.id: node_of(r, [0] * 12) for r in rows}
    parents = {r.id: r.parent_id for r in rows}
    roots: list[Node] = []
    for nid in sorted(nodes):
        node, pid = nodes[nid], parents[nid]
        if pid is None or pid not in nodes:
            roots.append(node)
        else:
            node.parent = nodes[pid]
            node.dim = nodes[pid].split_dim
            nodes[pid].children.append(node)
    index = {p.start: i for i, p in enumerate(fy_months(fy))}
    needed: set[int] = set()
    for nid in involved & nodes.keys():
        needed.update(n.id for n in nodes[nid].walk() if n.id is not None)
        up = nodes[nid].parent
        while up is not None and up.id is not None and up.id not in needed:
            needed.add(up.id)
            up = up.parent
    ids = sorted(needed)
    c = TargetCell.__table__
    for k in range(0, len(ids), 5000):
        for tid, start, value in db.session.execute(
                select(c.c.target_id, c.c.start, c.c.value).where(
                    c.c.target_id.in_(ids[k:k + 5000]), c.c.kind == "month")):
            i = index.get(start)
            if i is not None:
                nodes[tid].months[i] = int(value)
    return Tree(fy, metric, tier, nodes, roots, bool(metric.additive))

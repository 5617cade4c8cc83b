"""Target trees in the database: loading one (``load_tree``) and writing a plan
(``apply_plan``), with an audit row for every changed target. New targets and their
audit rows go in by the thousand through ``bulk``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ... import engine
from ...db import refresh_statistics
from ...engine import Node, Plan, quarters_of
from ...extensions import db
from ...models import FiscalYear, Metric, Target, TargetCell, Tier, User
from ...models.base import utcnow
from ..cache import company_writes
from .bulk import _bulk_audits, _change_audits, _insert_audits, _sqlite, insert_nodes
from .year_split import fy_months, fy_quarters

STATS_AFTER_ROWS = 500  # targets created or removed by one decomposition


NODE_COLUMNS = ("id", "parent_id", "depth", "unit_id", "user_id", "product_line_id",
                "channel_id", "customer_type_id", "value", "locked", "weight", "split_dim",
                "split_method", "split_params", "time_method", "time_params")


class Tree(engine.Tree):
    """A tree of one (fiscal year, metric, tier)."""

    def __init__(self, fy: FiscalYear, metric: Metric, tier: Tier, nodes: dict[int, Node],
                 roots: list[Node], additive: bool = True) -> None:
        super().__init__(nodes, roots, additive)
        self.fy = fy
        self.metric = metric
        self.tier = tier


def node_of(r: Any, months: list[int], cls: type[Node] = Node, **extra: Any) -> Node:
    """A node from a row of NODE_COLUMNS, not linked yet."""
    return cls(id=r.id, parent=None, depth=r.depth, unit_id=r.unit_id, user_id=r.user_id,
               product_line_id=r.product_line_id, channel_id=r.channel_id,
               customer_type_id=r.customer_type_id, value=int(r.value), locked=bool(r.locked),
               months=months, weight=r.weight, split_dim=r.split_dim,
               split_method=r.split_method, split_params=r.split_params,
               time_method=r.time_method, time_params=r.time_params, **extra)


def load_tree(fy: FiscalYear, metric: Metric, tier: Tier = Tier.BASE) -> Tree:
    """Every target of (fiscal year, metric, tier) with its month cells, linked up."""
    t = Target.__table__
    rows = db.session.execute(
        select(*(t.c[k] for k in NODE_COLUMNS))
        .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id, t.c.tier == tier)
        .order_by(t.c.id)
    ).all()
    nodes = {r.id: node_of(r, [0] * 12) for r in rows}
    parents = {r.id: r.parent_id for r in rows}
    roots: list[Node] = []
    for nid, node in nodes.items():
        pid = parents[nid]
        if pid is None or pid not in nodes:
            roots.append(node)
        else:
            p = nodes[pid]
            node.parent = p
            node.dim = p.split_dim
            p.children.append(node)
    if nodes:
        _load_months(fy, metric, tier, nodes)
    return Tree(fy, metric, tier, nodes, roots, bool(metric.additive))


def _load_months(fy: FiscalYear, metric: Metric, tier: Tier, nodes: dict[int, Node]) -> None:
    index = {p.start: i for i, p in enumerate(fy_months(fy))}
    t, c = Target.__table__, TargetCell.__table__
    cells = db.session.execute(
        select(c.c.target_id, c.c.start, c.c.value)
        .join(t, t.c.id == c.c.target_id)
        .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id,
               t.c.tier == tier, c.c.kind == "month")
    ).all()
    for tid, start, value in cells:
        i = index.get(start)
        if i is not None and tid in nodes:
            nodes[tid].months[i] = int(value)


def _delete_targets(conn: Connection, ids: list[int]) -> None:
    t, c = Target.__table__, TargetCell.__table__
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        conn.execute(c.delete().where(c.c.target_id.in_(chunk)))
    # `ids` lists children before parents (the self reference).
    for i in range(len(ids), 0, -500):
        chunk = ids[max(0, i - 500):i]
        conn.execute(t.delete().where(t.c.id.in_(chunk)))


def apply_plan(plan: Plan, user: User | None) -> int:
    """Write a plan in bulk and audit every changed node (one row per changed value, lock
    or month split). Returns the number of targets changed. The caller commits."""
    conn = db.session.connection()
    company_writes(conn, _tree_of(plan).fy.company_id)  # the Core writes' cache counter
    uid = user.id if user is not None else None
    now = utcnow()
    if plan.kind == "decompose":
        audits = _write_decomposition(conn, plan, uid, now)
        if len(plan.new_nodes) + len(plan.removed_ids) >= STATS_AFTER_ROWS:
            refresh_statistics(conn)  # the table changed shape: SQLite's planner relearns it
        bulk = plan.bulk
        if (bulk is not None and bulk.audits is not None and bulk.nodes
                and _sqlite(conn) and _bulk_audits(conn, now, uid, bulk)):
            _insert_audits(conn, now, uid, audits)
            return len(plan.changed)
    else:
        audits = []
        _write_changes(conn, plan, uid, now)
    for ch in plan.changes:
        audits.extend(_change_audits(plan.kind, ch))
    _insert_audits(conn, now, uid, audits)
    return len(plan.changed)


def _tree_of(plan: Plan) -> Tree:
    tree = plan.tree
    assert isinstance(tree, Tree), "a plan to write is made on a tree from load_tree"
    return tree


def _write_decomposition(conn: Connection, plan: Plan, uid: int | None,
                         now: Any) -> list[tuple[Any, ...]]:
    """Replace the target's subtree by the plan's new nodes; the audit row of the split."""
    tree = _tree_of(plan)
    node = plan.target
    t = Target.__table__
    # Removed ids were collected parent-first: delete deepest first.
    _delete_targets(conn, list(reversed(plan.removed_ids)))
    assert plan.split is not None
    conn.execute(t.update().where(t.c.id == node.id).values(
        split_dim=plan.split["split_dim"], split_method=plan.split["split_method"],
        split_params=plan.split["split_params"], updated_at=now, updated_by_id=uid))
    # Parents before children, so parent ids exist when children are inserted.
    ordered = sorted(plan.new_nodes, key=lambda n: n.depth)
    insert_nodes(conn, tree.fy.id, tree.metric.id, tree.tier, ordered, tree.additive,
                 uid, fy_months(tree.fy), fy_quarters(tree.fy), plan.bulk)
    return [("decompose", node.id, "split", _split_text(node),
             json.dumps(plan.split, ensure_ascii=False),
             {"created": len(plan.new_nodes), "removed": len(plan.removed_ids)})]


def _write_changes(conn: Connection, plan: Plan, uid: int | None, now: Any) -> None:
    """Update the changed targets' values, locks and cells in place."""
    tree = _tree_of(plan)
    months, quarters = fy_months(tree.fy), fy_quarters(tree.fy)
    t, c = Target.__table__, TargetCell.__table__
    trows: list[dict[str, Any]] = []
    mrows: list[dict[str, Any]] = []
    for ch in plan.changes:
        n = ch.node
        trows.append({"b_id": n.id, "b_value": ch.new_value, "b_locked": ch.new_locked})
        if ch.old_months == ch.new_months:
            continue
        for kind, periods, vals in (
                ("month", months, ch.new_months),
                ("quarter", quarters, quarters_of(ch.new_months, tree.additive))):
            mrows.extend({"b_id": n.id, "b_kind": kind, "b_start": p.start, "b_value": v}
                         for p, v in zip(periods, vals, strict=True))
    if trows:
        conn.execute(
            t.update().where(t.c.id == bindparam("b_id")).values(
                value=bindparam("b_value"), locked=bindparam("b_locked"),
                updated_at=now, updated_by_id=uid), trows)
    if mrows:
        conn.execute(
            c.update().where(c.c.target_id == bindparam("b_id"),
                             c.c.kind == bindparam("b_kind"),
                             c.c.start == bindparam("b_start"))
            .values(value=bindparam("b_value")), mrows)
    if plan.kind == "time" and plan.split:
        conn.execute(t.update().where(t.c.id == plan.target.id).values(**plan.split))


def _split_text(node: Node) -> str | None:
    if not node.split_dim:
        return None
    return json.dumps({"split_dim": node.split_dim, "split_method": node.split_method,
                       "split_params": node.split_params}, ensure_ascii=False)

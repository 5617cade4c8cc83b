"""What the target pages show, loaded alone: the nodes on screen (the tops and their
children, or one node's children), their parents (who may change what), how many
children each has (the toggles), and the other tiers' values for those scopes only.
A 2,000-rep year has ~10,000 targets per metric; a page shows a few dozen. Editing
(preview, apply) still works on the whole tree (`store.load_tree`): a rebalance
needs every sibling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ... import engine
from ...engine import Node, quarters_of
from ...extensions import db
from ...models import Company, FiscalYear, Metric, Target, Tier
from ..calendar import company_calendar
from .store import NODE_COLUMNS, Tree, node_of
from .year_split import fy_months, fy_quarters


@dataclass(eq=False)
class ShownNode(Node):
    child_count: int = 0  # its children, loaded or not (the toggle says how many)


def _where(fy: FiscalYear, metric: Metric, tier: Tier) -> list[Any]:
    return [Target.fiscal_year_id == fy.id, Target.metric_id == metric.id, Target.tier == tier]


def load_nodes(fy: FiscalYear, metric: Metric, tier: Tier, ids: Iterable[int]) -> Tree:
    """The given targets (of one fiscal year, metric and tier), linked to each other,
    each with its number of children. Months are not loaded (the tree shows values)."""
    t = Target.__table__
    want = sorted(set(ids))
    rows: list[Any] = []
    for i in range(0, len(want), 500):
        rows += db.session.execute(
            select(*(t.c[k] for k in NODE_COLUMNS))
            .where(t.c.id.in_(want[i:i + 500]), t.c.fiscal_year_id == fy.id,
                   t.c.metric_id == metric.id, t.c.tier == tier)
            .order_by(t.c.id)).all()
    counts: dict[int, int] = {}
    for i in range(0, len(want), 500):
        counts.update((pid, n) for pid, n in db.session.execute(
            select(t.c.parent_id, func.count(t.c.id))
            .where(t.c.parent_id.in_(want[i:i + 500])).group_by(t.c.parent_id)))
    nodes: dict[int, Node] = {
        r.id: node_of(r, [], ShownNode, child_count=int(counts.get(r.id, 0))) for r in rows}
    roots: list[Node] = []
    for r in rows:
        node = nodes[r.id]
        parent = nodes.get(r.parent_id) if r.parent_id is not None else None
        if parent is None:
            if r.parent_id is None:
                roots.append(node)
            continue
        node.parent = parent
        node.dim = parent.split_dim
        parent.children.append(node)
    return Tree(fy, metric, tier, dict(nodes), roots, bool(metric.additive))


def root_ids(fy: FiscalYear, metric: Metric, tier: Tier) -> list[int]:
    return list(db.session.scalars(select(Target.id).where(
        *_where(fy, metric, tier), Target.parent_id.is_(None)).order_by(Target.id)))


def top_ids(fy: FiscalYear, metric: Metric, tier: Tier, units: set[int]) -> list[int]:
    """A manager's tops: their units' targets whose parent is not theirs."""
    if not units:
        return []
    parent = aliased(Target)
    return list(db.session.scalars(
        select(Target.id).outerjoin(parent, parent.id == Target.parent_id)
        .where(*_where(fy, metric, tier), Target.unit_id.in_(units),
               or_(parent.id.is_(None), parent.unit_id.is_(None),
                   parent.unit_id.not_in(units)))
        .order_by(Target.id)))


def child_ids(parent_ids: Iterable[int]) -> list[int]:
    ids = list(parent_ids)
    out: list[int] = []
    for i in range(0, len(ids), 500):
        out += db.session.scalars(select(Target.id).where(
            Target.parent_id.in_(ids[i:i + 500])).order_by(Target.id))
    return out


def parent_ids(ids: Iterable[int]) -> list[int]:
    want = list(ids)
    out: set[int] = set()
    for i in range(0, len(want), 500):
        out.update(p for p in db.session.scalars(select(Target.parent_id).where(
            Target.id.in_(want[i:i + 500]))) if p is not None)
    return sorted(out)


def scope_values_for(fy: FiscalYear, metric: Metric, tier: Tier,
                     nodes: Iterable[Node]) -> dict[tuple[Any, ...], dict[str, int]]:
    """{scope: {tier: value}} for the scopes of the given nodes (of `tier`) only: their
    own values, and the other tiers' targets of the same units or reps."""
    shown = list(nodes)
    units = {n.unit_id for n in shown if n.unit_id is not None}
    users = {n.user_id for n in shown if n.user_id is not None}
    t = Target.__table__
    cond = []
    if units:
        cond.append(t.c.unit_id.in_(units))
    if users:
        cond.append(t.c.user_id.in_(users))
    if any(n.unit_id is None and n.user_id is None for n in shown):
        cond.append(t.c.unit_id.is_(None) & t.c.user_id.is_(None))
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for n in shown:
        out[n.scope][str(tier)] = n.value
    if not cond:
        return out
    for r in db.session.execute(select(
            t.c.tier, t.c.unit_id, t.c.user_id, t.c.product_line_id, t.c.channel_id,
            t.c.customer_type_id, t.c.value).where(
            t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id, t.c.tier != tier,
            or_(*cond))):
        out[(r.unit_id, r.user_id, r.product_line_id, r.channel_id,
             r.customer_type_id)][str(r.tier)] = int(r.value)
    return out


def time_view(fy: FiscalYear, node: Node, additive: bool, company: Company,
              month_label: str) -> dict[str, Any]:
    """What the node's split over time shows: its quarters and months, the working days
    of each month and, for the month asked for, its split down to the day (additive
    metrics only), each day marked working or not."""
    quarters = list(zip(fy_quarters(fy), quarters_of(node.months, additive), strict=True))
    months = list(zip(fy_months(fy), node.months, strict=True))
    cal = company_calendar(company)
    chosen = next(((p, v) for p, v in months if p.label == month_label), None)
    detail = None
    if chosen is not None and additive:
        detail = engine.split_month_down(chosen[1], chosen[0], cal)
    working = {p.label: cal.count(p.start, p.end) for p, _v in months}
    # The chosen month's days: (day, value, a working day or not).
    days = [(dp, dv, cal.is_working_day(dp.start))
            for dp, dv in (detail["days"] if detail else [])]
    return {"quarters": quarters, "months": months, "chosen": chosen, "detail": detail,
            "working": working, "days": days}

"""The targets import, and the target tree's export that it round-trips with: a row
names a target (scope, dimensions, metric, tier, fiscal year) and its new year value,
planned by the decomposition's own rules (``targets.plan_edit``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from ....access import visible_units
from ....extensions import db
from ....models import (
    Channel,
    CustomerType,
    FiscalYear,
    Metric,
    OrgUnit,
    ProductLine,
    Role,
    Tier,
    User,
)
from ... import targets as dc
from ...company import local_today
from ...sheets import Column
from ...targets import fy_months
from .sheet import TIER_NAMES, Result, Row, _, amount, by_name, header, sheet_rows


def _scope_text(node: dc.Node, units: dict[int, OrgUnit], users: dict[int, str]) -> str:
    if node.user_id is not None:
        return users.get(node.user_id, str(node.user_id))
    if node.unit_id is not None and node.unit_id in units:
        return units[node.unit_id].code
    return ""


def _display(value: int, metric: Metric) -> Any:
    from decimal import Decimal

    if str(metric.unit) in ("money", "percent"):
        return Decimal(value) / 100
    return value


def target_tree_table(viewer: User, fy: FiscalYear) -> tuple[list[Column], list[list[Any]]]:
    """One row per target the viewer may see, parents first: scope (unit code or rep
    username), product line, channel, customer type, metric, tier, period (the fiscal
    year), value (yuan for money, percent for levels), locked, and the 12 months."""
    company_id = fy.company_id
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        OrgUnit.company_id == company_id))}
    users = dict(db.session.execute(select(User.id, User.username).join(
        OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.company_id == company_id)).all())
    mine = set(db.session.scalars(visible_units(viewer)))
    admin = viewer.role == Role.ADMIN
    # {dimension: {id: code}}, read with a node's optional ids
    dims: dict[str, dict[int | None, str]] = {
        name: {o.id: o.code for o in db.session.scalars(select(model).where(
            model.company_id == company_id))} for name, model in
        (("product_line", ProductLine), ("channel", Channel), ("customer_type", CustomerType))}
    months = fy_months(fy)
    cols = [Column(k, header("targets", k)) for k in
            ("scope", "product_line", "channel", "customer_type", "metric", "tier", "period")]
    cols += [Column("value", header("targets", "value"), "number"),
             Column("locked", _("Locked"))]
    cols += [Column(p.label, p.label, "number") for p in months]
    rows: list[list[Any]] = []
    for metric in db.session.scalars(select(Metric).where(
            Metric.company_id == company_id).order_by(Metric.sort)):
        for tier in Tier:
            tree = dc.load_tree(fy, metric, tier)
            ordered = sorted(tree.nodes.values(), key=lambda n: (n.depth, n.id or 0))
            for n in ordered:
                if not admin and (n.unit_id is None or n.unit_id not in mine):
                    continue
                rows.append([
                    _scope_text(n, units, users), dims["product_line"].get(n.product_line_id, ""),
                    dims["channel"].get(n.channel_id, ""),
                    dims["customer_type"].get(n.customer_type_id, ""), metric.code,
                    tier.value, str(fy.year), _display(n.value, metric),
                    "1" if n.locked else "", *[_display(v, metric) for v in n.months]])
    return cols, rows


_TreeKey = tuple[int, int, str]


class _TargetLookups:
    """What a targets sheet's cells name, looked up once per import; the trees loaded as
    rows need them."""

    def __init__(self, viewer: User) -> None:
        company_id = viewer.unit.company_id
        self.metrics = by_name(Metric, company_id)
        self.dims = {"product_line": by_name(ProductLine, company_id),
                     "channel": by_name(Channel, company_id),
                     "customer_type": by_name(CustomerType, company_id)}
        self.units = {u.code.lower(): u for u in db.session.scalars(select(OrgUnit).where(
            OrgUnit.company_id == company_id))}
        self.users = {u.username.lower(): u for u in db.session.scalars(select(User).join(
            OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.company_id == company_id))}
        self.years = {str(y.year): y for y in db.session.scalars(select(FiscalYear).where(
            FiscalYear.company_id == company_id))}
        self.mine = set(db.session.scalars(visible_units(viewer)))
        self.admin = viewer.role == Role.ADMIN
        self.today = local_today(viewer.company)  # a past year is read-only (services/years)
        self.trees: dict[_TreeKey, tuple[dc.Tree, dc.Context, dict[Any, dc.Node]]] = {}

    def tree(self, fy: FiscalYear, metric: Metric, tier: Tier) -> _TreeKey:
        key = (fy.id, metric.id, tier.value)
        if key not in self.trees:
            tree = dc.load_tree(fy, metric, tier)
            self.trees[key] = (tree, dc.Context(fy, metric),
                               {n.scope: n for n in tree.nodes.values()})
        return key

    def fiscal_year(self, row: Row) -> FiscalYear | None:
        fy = self.years.get(row.text("period").split("-")[0].removeprefix("FY"))
        if fy is None or not re.fullmatch(r"(FY)?\d{4}", row.text("period")):
            row.error("period", _("Use the fiscal year, e.g. %(y)s; months follow the year's "
                                  "split.", y=max(self.years) if self.years
                                  else date.today().year))
            return None
        if fy.end < self.today:
            row.error("period", _("%(year)s is over: its targets are kept as they were and "
                                  "cannot be changed.", year=fy.year))
            return None
        return fy

    def scope(self, row: Row) -> tuple[int | None, ...] | None:
        """(unit, user, product line, channel, customer type) ids the row names."""
        scope = row.text("scope").lower()
        unit = self.units.get(scope)
        user = self.users.get(scope) if unit is None else None
        if unit is None and user is None:
            row.error("scope", _("No unit or rep with this code."))
        dim_ids: list[int | None] = []
        for d, lookup in self.dims.items():
            raw = row.text(d).lower()
            obj = lookup.get(raw) if raw else None
            if raw and obj is None:
                row.error(d, _("No such %(what)s.", what=dc.dim_label(d)))
            dim_ids.append(obj.id if obj is not None else None)
        if user is not None:
            return (user.unit_id, user.id, *dim_ids)
        return (unit.id, None, *dim_ids) if unit is not None else None


_Wanted = tuple[Row, _TreeKey, dc.Node, int]


def _target_row(row: Row, lk: _TargetLookups,
                seen: dict[tuple[Any, ...], int]) -> _Wanted | None:
    """A row checked: (row, its tree, its target, the new value), or None (errors said)."""
    metric = lk.metrics.get(row.text("metric").lower())
    if metric is None:
        row.error("metric", _("No such metric."))
    tier = TIER_NAMES.get(row.text("tier").lower() or "base")
    if tier is None:
        row.error("tier", _("Use base, sprint or challenge (保底, 冲刺, 挑战)."))
    fy = lk.fiscal_year(row)
    scope_key = lk.scope(row)
    value = amount(row, "value", metric) if metric is not None else None
    if row.bad or metric is None or tier is None or fy is None or value is None:
        return None
    key = lk.tree(fy, metric, tier)
    node = lk.trees[key][2].get(scope_key)
    if node is None or (not lk.admin and (node.unit_id not in lk.mine)):
        row.error("scope", _("There is no such target in this year's tree (or it is "
                             "not in your unit)."))
        return None
    dup = (*key, node.id)
    if dup in seen:
        row.error("scope", _("The same target is on row %(n)d too.", n=seen[dup]))
        return None
    seen[dup] = row.n
    return row, key, node, value


def _merge(changes: dict[int, dc.Change], plan: dc.Plan) -> None:
    """Fold a row's plan into the import's changes; the next row sees the tree as this
    row left it."""
    for ch in plan.changes:
        n = ch.node
        first = changes.get(id(n))
        if first is None:
            changes[id(n)] = dc.Change(n, ch.label, ch.old_value, ch.new_value,
                                       ch.old_locked, ch.new_locked, list(ch.old_months),
                                       list(ch.new_months))
        else:
            first.new_value, first.new_locked = ch.new_value, ch.new_locked
            first.new_months = list(ch.new_months)
        n.value, n.locked, n.months = ch.new_value, ch.new_locked, list(ch.new_months)


def import_targets(viewer: User, cols: dict[str, int], head: list[str],
                    rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    lk = _TargetLookups(viewer)
    seen: dict[tuple[Any, ...], int] = {}
    wanted = [w for w in (_target_row(row, lk, seen) for row in
                          sheet_rows("targets", cols, head, rows, result.errors)) if w is not None]
    # Parents first, so a child's new value is placed within its parent's new value.
    wanted.sort(key=lambda w: (w[2].depth, w[0].n))
    merged: dict[_TreeKey, dict[int, dc.Change]] = {}
    for row, key, node, value in wanted:
        tree, ctx, _index = lk.trees[key]
        if value == node.value:
            continue  # unchanged: nothing to do (an export re-imported changes nothing)
        if not lk.admin and (node.parent is None or node.parent.unit_id not in lk.mine):
            row.error("value", _("Only the level above can change this target."))
            continue
        try:
            plan = dc.plan_edit(tree, ctx, node, value)
        except dc.DecomposeError as exc:
            row.error("value", str(exc))
            continue
        _merge(merged.setdefault(key, {}), plan)
    if result.errors or dry_run:
        return
    for key, changes in merged.items():
        tree = lk.trees[key][0]
        real = [c for c in changes.values()
                if c.value_changed or c.locked_changed or c.old_months != c.new_months]
        if real:
            dc.apply_plan(dc.Plan(tree, "import", tree.roots[0], real), viewer)
            result.changed += len(real)

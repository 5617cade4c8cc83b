"""Imports from Excel or CSV (targets, customers, last year's history) and the target-tree
export they round-trip with.

An import is checked whole before anything is saved: every bad row is reported (row
number as Excel shows it, the column, the value, what is wrong) and nothing is saved when
any row is wrong. Headers may be in zh-CN or English. Imported targets go through the
decomposition's own rules (``decompose.plan_edit``: the unlocked siblings rebalance so the
parent still adds up; a conflict with a lock is an error row) and are written with the
same audit rows as an edit on /targets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import has_request_context
from flask_babel import get_locale, gettext
from sqlalchemy import select

from ..access import visible_units, visible_users
from ..extensions import db
from ..models import (
    Channel,
    Customer,
    CustomerType,
    FiscalYear,
    Metric,
    MonthlyActual,
    OrgUnit,
    ProductLine,
    Role,
    Stage,
    StageMove,
    Tier,
    UnitKind,
    User,
)
from . import decompose as dc
from .company import local_today
from .sheets import Column, map_header, read_rows, sniff, text
from .year_split import fy_months


def _(msgid: str, /, **variables: Any) -> str:
    if has_request_context():
        return str(gettext(msgid, **variables))
    return msgid % variables if variables else msgid


def _zh() -> bool:
    return not has_request_context() or str(get_locale()).startswith("zh")


# Canonical key -> (zh header, en header, other accepted spellings)
HEADERS: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "targets": {
        "scope": ("范围", "Scope", ("单位", "unit", "rep", "销售")),
        "product_line": ("产品线", "Product line", ("product",)),
        "channel": ("渠道", "Channel", ()),
        "customer_type": ("客户类型", "Customer type", ()),
        "metric": ("指标", "Metric", ()),
        "tier": ("档位", "Tier", ()),
        "period": ("期间", "Period", ("年度", "year")),
        "value": ("目标值", "Value", ("目标", "target")),
    },
    "customers": {
        "name": ("客户名称", "Name", ("名称", "客户", "customer")),
        "type": ("客户类型", "Type", ("customer type", "类型")),
        "region": ("区域", "Region", ("市场",)),
        "contact": ("联系人", "Contact", ("contact name",)),
        "phone": ("电话", "Phone", ("手机", "联系电话")),
        "owner": ("负责人", "Owner", ("销售", "销售代表", "rep")),
        "stage": ("阶段", "Stage", ("客户阶段",)),
        "channel": ("渠道", "Channel", ()),
    },
    "history": {
        "rep": ("销售", "Rep", ("销售代表", "owner", "负责人")),
        "metric": ("指标", "Metric", ()),
        "product_line": ("产品线", "Product line", ("product",)),
        "month": ("月份", "Month", ("月",)),
        "value": ("实际值", "Value", ("实际", "actual")),
    },
}
REQUIRED = {"targets": ("scope", "metric", "tier", "period", "value"),
            "customers": ("name", "owner"),
            "history": ("rep", "metric", "month", "value")}
TIER_NAMES = {"base": Tier.BASE, "保底": Tier.BASE, "sprint": Tier.SPRINT, "冲刺": Tier.SPRINT,
              "challenge": Tier.CHALLENGE, "挑战": Tier.CHALLENGE}
TIER_ZH = {Tier.BASE: "保底", Tier.SPRINT: "冲刺", Tier.CHALLENGE: "挑战"}


def header(kind: str, key: str) -> str:
    zh, en, _o = HEADERS[kind][key]
    return zh if _zh() else en


def columns_help() -> dict[str, list[str]]:
    return {kind: [header(kind, k) for k in cols] for kind, cols in HEADERS.items()}


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class Result:
    kind: str
    rows: int = 0
    changed: int = 0
    errors: list[RowError] = field(default_factory=list)


def _aliases(kind: str) -> dict[str, tuple[str, ...]]:
    return {k: (zh, en, *other) for k, (zh, en, other) in HEADERS[kind].items()}


def _read(kind: str, data: bytes, filename: str) -> tuple[dict[str, int], list[str],
                                                          list[list[Any]], list[RowError]]:
    from .sheets import SheetError

    fmt = sniff(data, filename)
    rows = read_rows(data, fmt)
    while rows and not any(text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("empty")
    head = [text(h) for h in rows[0]]
    cols = map_header(head, _aliases(kind))
    errors = [RowError(1, header(kind, k), "", _("This column is missing."))
              for k in REQUIRED[kind] if k not in cols]
    return cols, head, rows[1:], errors


class _Row:
    def __init__(self, n: int, cells: list[Any], cols: dict[str, int], head: list[str],
                 kind: str, errors: list[RowError]) -> None:
        self.n, self.cells, self.cols, self.head, self.kind = n, cells, cols, head, kind
        self.errors = errors
        self.bad = False

    def get(self, key: str) -> Any:
        i = self.cols.get(key)
        if i is None or i >= len(self.cells):
            return None
        return self.cells[i]

    def text(self, key: str) -> str:
        return text(self.get(key))

    def error(self, key: str, message: str) -> None:
        i = self.cols.get(key)
        col = self.head[i] if i is not None else header(self.kind, key)
        self.errors.append(RowError(self.n, col, self.text(key)[:60], message))
        self.bad = True


def _lookup(model: Any, company_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for o in db.session.scalars(select(model).where(model.company_id == company_id)):
        for k in (o.code, o.name, getattr(o, "name_en", "")):
            if k:
                out[str(k).strip().lower()] = o
    return out


def _amount(row: _Row, key: str, metric: Metric) -> int | None:
    raw = row.get(key)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    try:
        return dc.parse_amount(text(raw), metric)
    except dc.DecomposeError as exc:
        row.error(key, str(exc))
        return None


# ------------------------------------------------------------------ targets out


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


# ------------------------------------------------------------------ templates


def template(kind: str, viewer: User) -> tuple[list[Column], list[list[Any]]]:
    if kind == "targets":
        cols, rows = target_tree_table(viewer, _current_fy(viewer))
        return cols, rows[:3]
    keys = list(HEADERS[kind])
    cols = [Column(k, header(kind, k)) for k in keys]
    rep = db.session.scalar(select(User.username).where(
        User.id.in_(visible_users(viewer)), User.role == Role.REP).order_by(User.username))
    if kind == "customers":
        example = {"name": "浦江物业" if _zh() else "Pujiang Property", "type": "enterprise",
                   "region": "", "contact": "王经理" if _zh() else "Mr Wang",
                   "phone": "13800000000", "owner": rep or "", "stage": "lead",
                   "channel": "direct"}
    else:
        example = {"rep": rep or "", "metric": "revenue", "product_line": "",
                   "month": f"{date.today().year - 1}-01", "value": "120000"}
    return cols, [[example.get(k, "") for k in keys]]


def _current_fy(viewer: User) -> FiscalYear:
    company = viewer.company
    today = local_today(company)
    years = list(db.session.scalars(select(FiscalYear).where(
        FiscalYear.company_id == company.id).order_by(FiscalYear.year)))
    if not years:
        raise LookupError("no fiscal year")
    return next((y for y in years if y.start <= today <= y.end), years[-1])


# ------------------------------------------------------------------ imports


def run_import(kind: str, data: bytes, filename: str, viewer: User,
               dry_run: bool = False) -> Result:
    """Check every row; write only when none is wrong (and not `dry_run`). The caller
    commits once for the whole import (every metric's targets together) or rolls back."""
    from .sheets import SheetError

    if len(data) > 5 * 1024 * 1024:
        raise SheetError("too_large")
    cols, head, rows, errors = _read(kind, data, filename)
    result = Result(kind, rows=len(rows), errors=errors)
    if errors:
        return result
    fn = {"targets": _import_targets, "customers": _import_customers,
          "history": _import_history}[kind]
    fn(viewer, cols, head, rows, result, dry_run)
    return result


def _rows(kind: str, cols: dict[str, int], head: list[str], rows: list[list[Any]],
          errors: list[RowError]) -> list[_Row]:
    out = []
    for i, cells in enumerate(rows, start=2):
        if not any(text(c) for c in cells):
            continue
        out.append(_Row(i, list(cells), cols, head, kind, errors))
    return out


_TreeKey = tuple[int, int, str]


class _TargetLookups:
    """What a targets sheet's cells name, looked up once per import; the trees loaded as
    rows need them."""

    def __init__(self, viewer: User) -> None:
        company_id = viewer.unit.company_id
        self.metrics = _lookup(Metric, company_id)
        self.dims = {"product_line": _lookup(ProductLine, company_id),
                     "channel": _lookup(Channel, company_id),
                     "customer_type": _lookup(CustomerType, company_id)}
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

    def fiscal_year(self, row: _Row) -> FiscalYear | None:
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

    def scope(self, row: _Row) -> tuple[int | None, ...] | None:
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


_Wanted = tuple[_Row, _TreeKey, dc.Node, int]


def _target_row(row: _Row, lk: _TargetLookups,
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
    value = _amount(row, "value", metric) if metric is not None else None
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


def _import_targets(viewer: User, cols: dict[str, int], head: list[str],
                    rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    lk = _TargetLookups(viewer)
    seen: dict[tuple[Any, ...], int] = {}
    wanted = [w for w in (_target_row(row, lk, seen) for row in
                          _rows("targets", cols, head, rows, result.errors)) if w is not None]
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


PHONE_RE = re.compile(r"[0-9+\-() ]{3,40}")


class _CustomerLookups:
    """What a customers sheet's cells name, looked up once per import."""

    def __init__(self, viewer: User) -> None:
        company = self.company = viewer.company
        self.types = _lookup(CustomerType, company.id)
        self.channels = _lookup(Channel, company.id)
        self.stages = {k: s for k, s in _lookup(Stage, company.id).items() if s.active}
        self.first_stage = db.session.scalar(select(Stage).where(
            Stage.company_id == company.id, Stage.active.is_(True)).order_by(Stage.sort))
        self.regions = {k: u for k, u in _lookup_units(company.id).items()
                        if u.kind == UnitKind.REGION}
        self.reps = {u.username.lower(): u for u in db.session.scalars(select(User).where(
            User.id.in_(visible_users(viewer)), User.role == Role.REP))}
        self.existing = {(n.lower(), o) for n, o in db.session.execute(select(
            Customer.name, Customer.owner_id).where(Customer.company_id == company.id))}
        self.today = local_today(company)

    def named(self, row: _Row, key: str, lookup: dict[str, Any], message: str) -> Any:
        """The object a cell names (None when empty; an error when unknown)."""
        if not row.text(key):
            return None
        got = lookup.get(row.text(key).lower())
        if got is None:
            row.error(key, message)
        return got

    def region(self, row: _Row, owner: User | None) -> None:
        if row.text("region"):
            region = self.regions.get(row.text("region").lower())
            if region is None:
                row.error("region", _("No such region."))
            elif owner is not None and not owner.unit.path.startswith(region.path):
                row.error("region", _("The owner does not work in this region."))


def _customer_name(row: _Row) -> str:
    name = row.text("name")
    if not name:
        row.error("name", _("A customer needs a name."))
    elif len(name) > 200:
        row.error("name", _("At most %(n)d characters.", n=200))
    return name


def _customer_contact(row: _Row) -> tuple[str, str]:
    """(contact, phone), each checked."""
    contact = row.text("contact")
    if len(contact) > 120:
        row.error("contact", _("At most %(n)d characters.", n=120))
    phone = row.text("phone")
    if phone and not PHONE_RE.fullmatch(phone):
        row.error("phone", _("Not a phone number."))
    return contact, phone


def _customer_row(row: _Row, lk: _CustomerLookups,
                  seen: dict[tuple[str, int], int]) -> tuple[Customer, Stage] | None:
    """A row checked: the new customer and its stage, or None (errors said)."""
    name = _customer_name(row)
    owner = lk.reps.get(row.text("owner").lower())
    if owner is None:
        row.error("owner", _("No rep with this username in your unit."))
    ctype = lk.named(row, "type", lk.types, _("No such customer type."))
    channel = lk.named(row, "channel", lk.channels, _("No such channel."))
    stage = lk.named(row, "stage", lk.stages, _("No such stage.")) if row.text("stage") \
        else lk.first_stage
    lk.region(row, owner)
    contact, phone = _customer_contact(row)
    if row.bad or owner is None or stage is None:
        return None
    key = (name.lower(), owner.id)
    if key in lk.existing:
        row.error("name", _("This rep already has a customer with this name."))
        return None
    if key in seen:
        row.error("name", _("The same customer is on row %(n)d too.", n=seen[key]))
        return None
    seen[key] = row.n
    return Customer(company_id=lk.company.id, owner_id=owner.id, name=name,
                    contact_name=contact, phone=phone,
                    customer_type_id=ctype.id if ctype else None,
                    channel_id=channel.id if channel else None, stage_id=stage.id,
                    first_won_on=lk.today if stage.is_won else None), stage


def _import_customers(viewer: User, cols: dict[str, int], head: list[str],
                      rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    lk = _CustomerLookups(viewer)
    seen: dict[tuple[str, int], int] = {}
    new = [got for got in (_customer_row(row, lk, seen) for row in
                           _rows("customers", cols, head, rows, result.errors))
           if got is not None]
    if result.errors or dry_run:
        return
    for c, _s in new:
        db.session.add(c)
    db.session.flush()
    for c, s in new:
        db.session.add(StageMove(customer_id=c.id, user_id=c.owner_id, from_stage_id=None,
                                 to_stage_id=s.id, day=lk.today))
    db.session.flush()
    result.changed = len(new)


def _lookup_units(company_id: int) -> dict[str, OrgUnit]:
    out: dict[str, OrgUnit] = {}
    for u in db.session.scalars(select(OrgUnit).where(OrgUnit.company_id == company_id)):
        for k in (u.code, u.name, u.name_en):
            if k:
                out[k.strip().lower()] = u
    return out


MONTH_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2})?")


def _import_history(viewer: User, cols: dict[str, int], head: list[str],
                    rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    company_id = viewer.unit.company_id
    metrics = _lookup(Metric, company_id)
    products = _lookup(ProductLine, company_id)
    reps = {u.username.lower(): u for u in db.session.scalars(select(User).where(
        User.id.in_(visible_users(viewer)), User.role == Role.REP))}
    seen: dict[tuple[int, int, int | None, date], int] = {}
    values: dict[tuple[int, int, int | None, date], int] = {}
    for row in _rows("history", cols, head, rows, result.errors):
        rep = reps.get(row.text("rep").lower())
        if rep is None:
            row.error("rep", _("No rep with this username in your unit."))
        metric = metrics.get(row.text("metric").lower())
        if metric is None:
            row.error("metric", _("No such metric."))
        product = None
        if row.text("product_line"):
            product = products.get(row.text("product_line").lower())
            if product is None:
                row.error("product_line", _("No such product line."))
        raw = row.get("month")
        month = None
        if isinstance(raw, date):
            month = date(raw.year, raw.month, 1)
        else:
            m = MONTH_RE.fullmatch(row.text("month"))
            if m and 1 <= int(m.group(2)) <= 12 and 1990 <= int(m.group(1)) <= 2100:
                month = date(int(m.group(1)), int(m.group(2)), 1)
            else:
                row.error("month", _("Use a month like 2025-03."))
        value = _amount(row, "value", metric) if metric is not None else None
        if row.bad or rep is None or metric is None or month is None or value is None:
            continue
        key = (metric.id, rep.id, product.id if product else None, month)
        if key in seen:
            row.error("month", _("The same figure is on row %(n)d too.", n=seen[key]))
            continue
        seen[key] = row.n
        values[key] = value
    if result.errors or dry_run:
        return
    have = {(a.metric_id, a.user_id, a.product_line_id, a.month): a for a in db.session.scalars(
        select(MonthlyActual).where(MonthlyActual.source == "history",
                                    MonthlyActual.user_id.in_({k[1] for k in values})))}
    for key, value in values.items():
        got = have.get(key)
        if got is None:
            db.session.add(MonthlyActual(metric_id=key[0], user_id=key[1],
                                         product_line_id=key[2], month=key[3], value=value,
                                         source="history"))
        else:
            got.value = value
    db.session.flush()
    result.changed = len(values)


__all__: Sequence[str] = ("run_import", "target_tree_table", "template")

"""Writing a planned year: the fiscal year (a draft), each metric's company target with
its quarters and months, the structure carried over (dimensions, method, tiers) and the
decomposition to the reps by their share of last year (a rep with no history: a share by
capability, said in the preview). This module is the years' one caller of the target
services (services/decompose.py is their door; year_split's cells).

Everything here only adds and flushes: a preview is this same build rolled back by the
view, so what the preview shows is what creating writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ... import engine
from ...engine import Member, Period, WorkCalendar
from ...extensions import db
from ...jsonable import jsonable
from ...models import (
    AuditLog,
    Company,
    FiscalYear,
    Metric,
    OrgUnit,
    Target,
    TargetCell,
    Tier,
    UnitKind,
    User,
)
from ...refusal import Refused
from .. import targets as dc
from ..targets import write_cells
from .history import Actuals
from .planning import MetricPlan, YearInput, plan_metric

CARRY_FALLBACK = "last_year"  # a typed split (weights, growth per child) is not carried


@dataclass
class RepShare:
    name: str
    last_year: int
    value: int
    estimated: bool


class YearContext(dc.Context):
    """The target services' company snapshot, with last year's figures from visits and
    history (services/years/history.py) and, for a rep without any, a share by
    capability: the company's actual per capability point of the reps with figures."""

    def __init__(self, fy: FiscalYear, metric: Metric, actuals: Actuals | None,
                 like: dc.Context | None = None) -> None:
        super().__init__(fy, metric, like=like)
        self.actuals = actuals or Actuals()
        self.estimated: dict[int, int] = {}

    def history(self) -> dict[tuple[int, int | None], int]:
        if self._history is None:
            got = dict(self.actuals.by_line)
            have = {u for (u, _pl), v in got.items() if v > 0}
            caps = sum(int(r.capability or 0) for r in self.reps if r.id in have)
            total = sum(v for (u, _pl), v in got.items() if u in have)
            if caps > 0 and total > 0:
                for r in self.reps:
                    if r.id not in have:
                        self.estimated[r.id] = total * int(r.capability or 0) // caps
                        got[(r.id, None)] = self.estimated[r.id]
            self._history = got
        return self._history

    def last_year(self, m: Member) -> int:
        self.history()
        return super().last_year(m)


def fiscal_period(year: int, first_month: int) -> Period:
    return engine.fiscal_year(year, first_month)


def _root_unit(company_id: int) -> OrgUnit:
    root: OrgUnit | None = db.session.scalar(select(OrgUnit).where(
        OrgUnit.company_id == company_id, OrgUnit.kind == UnitKind.COMPANY))
    if root is None:
        raise Refused(_("The company has no organisation yet: add it first."))
    return root


def carried(prev: FiscalYear | None, metric: Metric) -> tuple[list[str], str]:
    """This year's structure of a metric's base target: the dimensions from the company
    target down (the first child at each level) and the company target's method."""
    if prev is None:
        return [], "equal"
    node = db.session.scalar(select(Target).where(
        Target.fiscal_year_id == prev.id, Target.metric_id == metric.id,
        Target.tier == Tier.BASE, Target.parent_id.is_(None)))
    method = (node.split_method if node is not None else None) or "equal"
    dims: list[str] = []
    while node is not None and node.split_dim and len(dims) < 3:
        dims.append(node.split_dim)
        node = db.session.scalar(select(Target).where(Target.parent_id == node.id)
                                 .order_by(Target.id).limit(1))
    return dims, method if method not in dc.TYPED_METHODS else CARRY_FALLBACK


def kept_levels(prev: FiscalYear | None, metric: Metric) -> tuple[int, list[int]] | None:
    """A level metric's company level this year and its quarters' levels."""
    if prev is None:
        return None
    root = aliased(Target)
    row = db.session.execute(select(root.id, root.value).where(
        root.fiscal_year_id == prev.id, root.metric_id == metric.id, root.tier == Tier.BASE,
        root.parent_id.is_(None))).first()
    if row is None:
        return None
    qs = list(db.session.scalars(select(TargetCell.value).where(
        TargetCell.target_id == row[0], TargetCell.kind == "quarter").order_by(TargetCell.start)))
    return int(row[1]), [int(v) for v in qs] if len(qs) == 4 else [int(row[1])] * 4


def plan_all(company: Company, prev: FiscalYear | None, inp: YearInput,
             metrics: list[Metric], actuals: dict[int, Actuals], months: list[Period],
             cal: WorkCalendar) -> list[MetricPlan]:
    """Every metric's plan (in memory); the typed values checked field by field."""
    errors: dict[str, str] = {}
    out: list[MetricPlan] = []
    for m in metrics:
        typed = None
        if m.code in inp.values:
            try:
                typed = dc.parse_amount(inp.values[m.code], m)
            except dc.DecomposeError as exc:
                errors[f"value_{m.code}"] = exc.message
                continue
        try:
            mp = plan_metric(inp, m, actuals.get(m.id), typed, kept_levels(prev, m), months, cal)
        except engine.AllocationError:
            errors[f"value_{m.code}"] = _("These numbers cannot be split over the year.")
            continue
        if mp is None:
            continue
        if mp.value > dc.MAX_VALUE:
            errors[f"value_{m.code}"] = _("The result would be too large.")
            continue
        mp.dims, mp.method = carried(prev, m)
        if inp.dims is not None:
            mp.dims = inp.dims
        if inp.method != "carry":
            mp.method = inp.method
        out.append(mp)
    if errors:
        raise Refused(_("Check the fields marked below."), errors)
    if not out:
        raise Refused(_("Nothing to plan: last year has no figures. Type a value for at "
                        "least one metric."), {"growth": _("Type a value for a metric.")})
    return out


def write_year(company: Company, user: User, inp: YearInput, prev: FiscalYear | None,
               plans: list[MetricPlan], actuals: dict[int, Actuals]) -> FiscalYear:
    """Write the draft year with its targets (flushed; the caller commits or rolls back)."""
    first = prev.first_month if prev is not None else (company.fiscal_first_month or 1)
    period = fiscal_period(inp.year, first)
    dims = plans[0].dims if plans else []
    fy = FiscalYear(company_id=company.id, year=inp.year, first_month=first,
                    start=period.start, end=period.end, dimensions=list(dims), status="draft")
    db.session.add(fy)
    db.session.flush()
    root_unit = _root_unit(company.id)
    for mp in plans:
        t = Target(fiscal_year_id=fy.id, metric_id=mp.metric.id, tier=Tier.BASE,
                   unit_id=root_unit.id, value=mp.value, locked=True, time_method="quarters",
                   time_params=jsonable({"quarters": mp.quarters, "from": inp.record()}),
                   updated_by_id=user.id)
        db.session.add(t)
        write_cells(t, fy, mp.quarters, mp.months)
    db.session.flush()
    ctx: dc.Context | None = None
    for mp in plans:
        ctx = _decompose(fy, mp, actuals.get(mp.metric.id), user, ctx)
        mp.tiers = _carry_tiers(prev, fy, mp.metric, user)
    db.session.add(AuditLog(user_id=user.id, action="create", entity="fiscal_year",
                            entity_id=fy.id, field="status", old_value=None,
                            new_value="draft",
                            details=jsonable({**inp.record(),
                                              "from_year": prev.year if prev else None})))
    db.session.flush()
    return fy


def _decompose(fy: FiscalYear, mp: MetricPlan, actuals: Actuals | None, user: User,
               like: dc.Context | None) -> dc.Context:
    ctx = YearContext(fy, mp.metric, actuals, like=like)
    if mp.dims:
        tree = dc.load_tree(fy, mp.metric, Tier.BASE)
        try:
            plan = dc.plan_decompose(tree, ctx, tree.roots[0], mp.dims, mp.method)
        except dc.DecomposeError as exc:
            raise Refused(exc.message, {"dims": exc.message}) from None
        dc.apply_plan(plan, user)
    mp.reps = rep_shares(fy, mp.metric, ctx)
    mp.estimated = [s.name for s in mp.reps if s.estimated]
    return ctx


def rep_shares(fy: FiscalYear, metric: Metric, ctx: YearContext) -> list[RepShare]:
    """Each rep's year value in the written tree (the sum of their leaves), beside last
    year's figure; `estimated` when last year's was a share by capability."""
    child = aliased(Target)
    leaf = ~select(child.id).where(child.parent_id == Target.id).exists()
    rows = db.session.execute(
        select(Target.user_id, func.sum(Target.value)).where(
            Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
            Target.tier == Tier.BASE, Target.user_id.is_not(None), leaf)
        .group_by(Target.user_id)).all()
    hist = ctx.history() if ctx.metric.additive else {}
    out = []
    for uid, value in rows:
        r = ctx.users.get(uid)
        ly = sum(v for (u, _pl), v in hist.items() if u == uid and uid not in ctx.estimated)
        out.append(RepShare(str(r.display_name) if r else "?", ly, int(value or 0),
                            uid in ctx.estimated))
    out.sort(key=lambda s: s.name)
    return out


def _carry_tiers(prev: FiscalYear | None, fy: FiscalYear, metric: Metric,
                 user: User) -> list[tuple[str, str, int]]:
    """This year's sprint and challenge tiers, as the same percentage over the base:
    (tier, percent, the new year's value) each."""
    if prev is None:
        return []
    roots = dc.tier_roots(prev, metric)
    base = roots.get(Tier.BASE.value)
    out = []
    for tier in (Tier.SPRINT, Tier.CHALLENGE):
        got = roots.get(tier.value)
        if got is None or not base:
            continue
        pct = (Decimal(got) * 100 / Decimal(base) - 100).quantize(Decimal("0.01"))
        made = dc.create_tier(fy, metric, tier, pct, user)
        out.append((tier.value, format(pct.normalize(), "f"), made.value))
    return out

"""The rep's week plan (Monday..Sunday) and month plan (上旬/中旬/下旬): targets from the
engine's daily split of the rep's month targets, beside actuals from visits; and the
five-part action plan (行动计划) on a monthly or quarterly target."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import engine
from ..engine import Period
from ..extensions import db
from ..models import ActionPlan, Company, Metric, MetricUnit, User, Visit, VisitKind, VisitProduct
from ..refusal import refuse_fields
from .actuals import daily_actuals
from .calendar import company_calendar
from .rep_plan import fiscal_year_of, rep_month_targets

# (key, label, metric code for the target or None, actual source)
WEEK_ROWS = [
    ("new_customers", _l("New customers"), "new_customers", "new_customers"),
    ("cold_visits", _l("Cold visits"), "cold_visits", "visits_cold"),
    ("existing", _l("Existing customers"), None, "visits_existing"),
    ("return_visits", _l("Return visits"), "return_visits", "visits_return"),
    ("collections", _l("Collections"), "collections", "amount_collected"),
    ("contracts", _l("Signings"), "contracts", "contracts"),
]
MONTH_ROWS = [
    ("new_customers", _l("Customers"), "new_customers", "new_customers"),
    ("visits", _l("Visits"), "visits", "visits"),
    ("contracts", _l("Signings"), "contracts", "contracts"),
    ("products", _l("Products signed"), None, "products_signed"),
    ("revenue", _l("Amount signed"), "revenue", "amount_signed"),
    ("collections", _l("Receivables collected"), "collections", "amount_collected"),
]
MONEY_SOURCES = {"amount_signed", "amount_collected"}


@dataclass
class PlanRow:
    key: str
    label: Any
    is_money: bool
    targets: list[int | None] = field(default_factory=list)
    actuals: list[int] = field(default_factory=list)

    @property
    def total_target(self) -> int | None:
        if any(t is None for t in self.targets):
            return None
        return sum(t for t in self.targets if t is not None)

    @property
    def total_actual(self) -> int:
        return sum(self.actuals)


def _extra_daily(user_id: int, start: date, end: date) -> dict[str, dict[date, int]]:
    """Actuals the week/month plans need beyond planner.services.actuals: visits to
    existing customers (kind 老客户), and product lines signed (a product line of a visit
    with an amount signed)."""
    out: dict[str, dict[date, int]] = {"visits_existing": defaultdict(int),
                                       "products_signed": defaultdict(int)}
    for day, n in db.session.execute(
        select(Visit.local_date, func.count(Visit.id))
        .where(Visit.user_id == user_id, Visit.kind == VisitKind.EXISTING,
               Visit.local_date >= start, Visit.local_date <= end)
        .group_by(Visit.local_date)
    ):
        out["visits_existing"][day] += int(n)
    for day, n in db.session.execute(
        select(Visit.local_date, func.count(VisitProduct.product_line_id))
        .join(VisitProduct, VisitProduct.visit_id == Visit.id)
        .where(Visit.user_id == user_id, Visit.amount_signed > 0,
               Visit.local_date >= start, Visit.local_date <= end)
        .group_by(Visit.local_date)
    ):
        out["products_signed"][day] += int(n)
    return out


def _metric_codes(company_id: int) -> dict[str, Metric]:
    return {m.code: m for m in db.session.scalars(
        select(Metric).where(Metric.company_id == company_id, Metric.active.is_(True)))}


def _daily_targets(user: User, company: Company, start: date, end: date
                   ) -> dict[str, dict[date, int]]:
    """{metric code: {day: target}}: each month's target of the rep split to working days
    by the engine (engine.split_month_down), for every day from start to end."""
    cal = company_calendar(company)
    metrics = _metric_codes(company.id)
    out: dict[str, dict[date, int]] = defaultdict(dict)
    seen: set[tuple[int, int]] = set()
    d = start
    while d <= end:
        if (d.year, d.month) not in seen:
            seen.add((d.year, d.month))
            month = engine.month_period(d.year, d.month)
            fy = fiscal_year_of(company.id, d)
            targets = rep_month_targets(user.id, fy.id, month.start) if fy else {}
            for code, m in metrics.items():
                if m.id in targets and m.additive:
                    split = engine.split_month_down(targets[m.id], month, cal)
                    for p, v in split["days"]:
                        out[code][p.start] = v
        d += timedelta(days=1)
    return out


def _rows(spec: list[tuple[str, Any, str | None, str]], user: User, company: Company,
          parts: list[Period]) -> list[PlanRow]:
    start, end = parts[0].start, parts[-1].end
    actual = daily_actuals([user.id], start, end)
    actual.update(_extra_daily(user.id, start, end))
    targets = _daily_targets(user, company, start, end)
    rows = []
    for key, label, code, source in spec:
        row = PlanRow(key, label, source in MONEY_SOURCES)
        for p in parts:
            days = [p.start + timedelta(days=i) for i in range((p.end - p.start).days + 1)]
            if code is None or code not in targets:
                row.targets.append(None)
            else:
                row.targets.append(sum(targets[code].get(x, 0) for x in days))
            row.actuals.append(sum(actual[source].get(x, 0) for x in days))
        rows.append(row)
    return rows


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_plan(user: User, day: date) -> dict[str, Any]:
    """Monday..Sunday of the week holding `day`: per day the targets and actuals."""
    company = user.company
    monday = week_start(day)
    parts = [Period("day", monday + timedelta(days=i), monday + timedelta(days=i),
                    (monday + timedelta(days=i)).isoformat()) for i in range(7)]
    cal = company_calendar(company)
    return {"start": monday, "end": monday + timedelta(days=6), "days": parts,
            "working": [cal.is_working_day(p.start) for p in parts],
            "rows": _rows(WEEK_ROWS, user, company, parts)}


def month_plan(user: User, day: date) -> dict[str, Any]:
    """The month holding `day` in its three parts (上旬/中旬/下旬): targets and actuals."""
    company = user.company
    month = engine.month_period(day.year, day.month)
    parts = engine.dekad_periods(month)
    return {"month": month, "dekads": parts, "rows": _rows(MONTH_ROWS, user, company, parts)}


# ------------------------------------------------------------------ action plan

ACTION_TEXTS = ("key_actions", "rewards_penalties", "obstacles", "support_needed")
ACTION_TEXT_MAX = 5000
MAX_MILESTONES = 12


def month_of(day: date) -> Period:
    """The calendar month a day falls in."""
    return engine.month_period(day.year, day.month)


def period_of(kind: str, start: date) -> Period:
    """The month or the quarter (of the calendar year) that holds `start`."""
    if kind == "quarter":
        q0 = (start.month - 1) // 3 * 3 + 1
        first = engine.month_period(start.year, q0)
        last = engine.month_period(start.year, q0 + 2)
        return Period("quarter", first.start, last.end, f"{start.year}-Q{(q0 - 1) // 3 + 1}")
    return engine.month_period(start.year, start.month)


def period_targets(user: User, period: Period) -> list[tuple[Metric, int]]:
    """The rep's targets for a month or quarter (sum of month targets; a level metric
    shows its level in the last month)."""
    company_id = user.unit.company_id
    metrics = db.session.scalars(select(Metric).where(
        Metric.company_id == company_id, Metric.active.is_(True)).order_by(Metric.sort)).all()
    by_id = {m.id: m for m in metrics}
    got: dict[int, int] = {}
    d = period.start
    while d <= period.end:
        fy = fiscal_year_of(company_id, d)
        if fy is not None:
            for mid, v in rep_month_targets(user.id, fy.id, date(d.year, d.month, 1)).items():
                m = by_id.get(mid)
                if m is None:
                    continue
                got[mid] = got.get(mid, 0) + v if m.additive else v
        d = (date(d.year, d.month, 28) + timedelta(days=4)).replace(day=1)
    return [(m, got[m.id]) for m in metrics if m.id in got]


def get_action_plan(user_id: int, kind: str, start: date) -> ActionPlan | None:
    return db.session.scalar(select(ActionPlan).where(
        ActionPlan.user_id == user_id, ActionPlan.period_kind == kind,
        ActionPlan.period_start == start, ActionPlan.metric_id.is_(None)))


def save_action_plan(user: User, kind: str, start: date, raw: dict[str, Any]) -> ActionPlan:
    """Validate and write the five parts; milestones are (stage, due date) pairs inside
    the period (a little after it is allowed: a stage may close just after). Bad input:
    Refused with the fields' messages, nothing written."""
    errors: dict[str, str] = {}
    texts = {}
    for key in ACTION_TEXTS:
        v = str(raw.get(key) or "").strip()
        if len(v) > ACTION_TEXT_MAX:
            errors[key] = _("At most %(n)s characters.", n=ACTION_TEXT_MAX)
        texts[key] = v
    stages = list(raw.get("milestone_stage") or [])
    dues = list(raw.get("milestone_due") or [])
    milestones: list[dict[str, str]] = []
    for i in range(max(len(stages), len(dues))):
        name = str(stages[i] if i < len(stages) else "").strip()
        due = str(dues[i] if i < len(dues) else "").strip()
        if not name and not due:
            continue
        if not name:
            errors["milestones"] = _("Each dated stage needs a name.")
            continue
        if len(name) > 200:
            errors["milestones"] = _("A stage name can have at most 200 characters.")
            continue
        try:
            d = date.fromisoformat(due)
        except ValueError:
            errors["milestones"] = _("Enter a date for each stage, like 2026-12-15.")
            continue
        period = period_of(kind, start)
        if not period.start - timedelta(days=31) <= d <= period.end + timedelta(days=31):
            errors["milestones"] = _("A stage's date must fall in or near the plan's period.")
            continue
        milestones.append({"stage": name, "due": d.isoformat()})
    if len(milestones) > MAX_MILESTONES:
        errors["milestones"] = _("At most %(n)s stages.", n=MAX_MILESTONES)
    if not any(texts.values()) and not milestones and not errors:
        errors["key_actions"] = _("Write at least the key actions.")
    refuse_fields(errors)
    plan = get_action_plan(user.id, kind, start)
    if plan is None:
        plan = ActionPlan(user_id=user.id, period_kind=kind, period_start=start, metric_id=None)
        db.session.add(plan)
    for key, v in texts.items():
        setattr(plan, key, v)
    plan.milestones = sorted(milestones, key=lambda m: m["due"])
    db.session.flush()
    return plan


def is_money(m: Metric) -> bool:
    return m.unit == MetricUnit.MONEY

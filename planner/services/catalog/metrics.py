"""Which of the seed's metrics a company uses, each with its unit, whether it adds up or
is a level, and its label on Today. A metric with targets this year cannot be removed
(only hidden from Today); its unit and kind are fixed once it has any target. Also the
defaults a new company starts with (the seed's metrics, unused until chosen, and the
suggested lead stages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import FiscalYear, Metric, MetricUnit, Stage, Target, User
from ...refusal import refuse, refuse_fields
from ..company import local_today
from ..org import audit, fields
from ..org.fields import _

# code, zh, en, unit, additive, source (the actual that measures it)
SEED_METRICS = [
    ("revenue", "销售额", "Revenue", MetricUnit.MONEY, True, "amount_signed"),
    ("new_customers", "新增客户", "New customers", MetricUnit.COUNT, True, "new_customers"),
    ("visits", "拜访量", "Visits", MetricUnit.COUNT, True, "visits"),
    ("cold_visits", "陌生拜访", "Cold visits", MetricUnit.COUNT, True, "visits_cold"),
    ("return_visits", "回访", "Return visits", MetricUnit.COUNT, True, "visits_return"),
    ("contracts", "签约数量", "Contracts signed", MetricUnit.COUNT, True, "contracts"),
    ("collections", "回款", "Collections", MetricUnit.MONEY, True, "amount_collected"),
    ("share", "市场占有率", "Market share", MetricUnit.PERCENT, False, ""),
    ("satisfaction", "客户满意度", "Customer satisfaction", MetricUnit.PERCENT, False, ""),
]
# code, zh, en, is_won, is_lost: the seed's suggested lead stages
SEED_STAGES = [
    ("lead", "线索", "Lead", False, False),
    ("need", "需求确认", "Need confirmed", False, False),
    ("contacted", "初步接触", "Contacted", False, False),
    ("call", "电话跟进", "Follow-up call", False, False),
    ("trust", "建立信任", "Trust built", False, False),
    ("won", "成交", "Won", True, False),
    ("lost", "流失", "Lost", False, True),
]
UNITS = {"money": MetricUnit.MONEY, "count": MetricUnit.COUNT, "percent": MetricUnit.PERCENT}


def seed_company(company_id: int) -> None:
    """A new company's lead stages and the seed's metrics (none used until chosen)."""
    for i, (code, zh, en, won, lost) in enumerate(SEED_STAGES):
        db.session.add(Stage(company_id=company_id, code=code, name=zh, name_en=en, sort=i,
                             is_won=won, is_lost=lost))
    for i, (code, zh, en, unit, additive, source) in enumerate(SEED_METRICS):
        db.session.add(Metric(company_id=company_id, code=code, name=zh, name_en=en,
                              unit=unit, additive=additive, source=source, sort=i,
                              active=False, show_today=True))
    db.session.flush()


def metrics(company_id: int) -> list[Metric]:
    return list(db.session.scalars(select(Metric).where(Metric.company_id == company_id)
                                   .order_by(Metric.sort, Metric.id)))


def get(company_id: int, metric_id: int | None) -> Metric:
    m = db.session.get(Metric, metric_id) if metric_id is not None else None
    if m is None or m.company_id != company_id:
        raise LookupError(metric_id)
    return m


def targets_of(metric: Metric, this_year_only: bool) -> int:
    q = select(func.count(Target.id)).where(Target.metric_id == metric.id)
    if this_year_only:
        from ...models import Company

        company = db.session.get(Company, metric.company_id)
        assert company is not None
        today = local_today(company)
        q = q.join(FiscalYear, FiscalYear.id == Target.fiscal_year_id).where(
            FiscalYear.start <= today, FiscalYear.end >= today)
    return int(db.session.scalar(q) or 0)


def set_used(actor: User, metric: Metric, used: bool) -> None:
    if metric.active == used:
        return
    if not used and targets_of(metric, this_year_only=True):
        refuse("active", _("This metric has targets this year: it cannot be removed, only "
                           "hidden from Today."))
    audit.changes(actor, "metric", metric, {"active": used})
    db.session.flush()


def update(actor: User, metric: Metric, form: Mapping[str, Any]) -> int:
    """Rename (the label on Today, zh and en), show or hide on Today, and (while it has
    no targets) its unit and whether it adds up."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": fields.name(errors, "name", form.get("name")),
        "name_en": fields.name(errors, "name_en", form.get("name_en"), required=False),
        "show_today": bool(form.get("show_today")),
    }
    unit = UNITS.get(str(form.get("unit") or metric.unit.value))
    additive = str(form.get("additive") or ("1" if metric.additive else "0")) == "1"
    if unit is None:
        errors["unit"] = _("Choose money, a count or a percentage.")
    elif (unit != metric.unit or additive != metric.additive) and targets_of(metric, False):
        errors["unit"] = _("This metric has targets: its unit and kind cannot change.")
    else:
        values["unit"], values["additive"] = unit, additive
    refuse_fields(errors)
    n = audit.changes(actor, "metric", metric, values)
    db.session.flush()
    return n

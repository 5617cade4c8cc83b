"""A rep's plan: targets from the decomposition, actuals from visits, and the rolling
run rate from the engine ("today's target is what it takes to finish on time")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from .. import engine
from ..engine import Period, RunRate
from ..extensions import db
from ..models import (
    Company,
    FiscalYear,
    Metric,
    MetricUnit,
    OrgUnit,
    Target,
    TargetCell,
    Tier,
    User,
)
from .actuals import daily_actuals, totals
from .calendar import company_calendar
from .company import local_today


@dataclass
class MetricPlan:
    metric: Metric
    period: Period  # the month
    target: int  # the month's target
    achieved: int  # month to date, today included
    achieved_today: int
    run: RunRate | None  # None for level metrics (no daily run rate)
    time_elapsed: float  # share of the month's working days gone, today included
    week_target: int  # this ISO week's share of the month (working-day split)
    dekad_target: int  # this 上/中/下旬's share

    @property
    def today_target(self) -> int:
        return self.run.today_target if self.run else 0

    @property
    def remaining_today(self) -> int:
        return self.run.remaining_today if self.run else 0

    @property
    def remaining(self) -> int:
        return self.run.remaining if self.run else 0

    @property
    def progress(self) -> float:
        return min(1.0, self.achieved / self.target) if self.target > 0 else 0.0

    @property
    def is_money(self) -> bool:
        return self.metric.unit == MetricUnit.MONEY


@dataclass
class RepPlan:
    user: User
    day: date
    fiscal_year: FiscalYear | None
    metrics: list[MetricPlan]


# The statements of a recompute, built once with bind parameters: building a SELECT
# costs more than running it on an index (bench-decompose's one-rep recompute).
# A draft year (services/years) is no one's plan until the director publishes it.
_FISCAL_YEAR = select(FiscalYear).where(
    FiscalYear.company_id == bindparam("company_id"), FiscalYear.start <= bindparam("day"),
    FiscalYear.end >= bindparam("day"), FiscalYear.status == "published")
_COMPANY_OF_UNIT = (select(Company).join(OrgUnit, OrgUnit.company_id == Company.id)
                    .where(OrgUnit.id == bindparam("unit_id")))
_ACTIVE_METRICS = (select(Metric).where(Metric.company_id == bindparam("company_id"),
                                        Metric.active.is_(True), Metric.show_today.is_(True))
                   .order_by(Metric.sort))  # not the metrics hidden from Today (admin/metrics)


def fiscal_year_of(company_id: int, day: date) -> FiscalYear | None:
    return db.session.scalar(_FISCAL_YEAR, {"company_id": company_id, "day": day})


def company_of(user: User) -> Company:
    """The user's company, in one query (not the unit, then the company)."""
    company: Company | None = db.session.scalar(_COMPANY_OF_UNIT, {"unit_id": user.unit_id})
    assert company is not None
    return company


def _month_targets_stmt() -> Any:
    child = aliased(Target)
    has_children = select(child.id).where(child.parent_id == Target.id).exists()
    return (
        select(Target.metric_id, Metric.additive, func.sum(TargetCell.value),
               func.max(TargetCell.value))
        .join(TargetCell, and_(TargetCell.target_id == Target.id, TargetCell.kind == "month",
                               TargetCell.start == bindparam("month_start")))
        .join(Metric, Metric.id == Target.metric_id)
        .where(Target.fiscal_year_id == bindparam("fy_id"),
               Target.user_id == bindparam("user_id"),
               Target.tier == Tier.BASE, ~has_children)
        .group_by(Target.metric_id, Metric.additive)
    )


_MONTH_TARGETS = _month_targets_stmt()


def rep_month_targets(user_id: int, fy_id: int, month_start: date) -> dict[int, int]:
    """{metric_id: month target} of a rep: the month cells of their leaf targets (base
    tier). Additive metrics add up over the leaves; a level metric takes its level."""
    rows = db.session.execute(_MONTH_TARGETS, {"user_id": user_id, "fy_id": fy_id,
                                               "month_start": month_start}).all()
    return {mid: int(s if additive else mx) for mid, additive, s, mx in rows}


def week_and_dekad(value: int, month: Period, cal: engine.WorkCalendar, day: date
                   ) -> tuple[int, int]:
    """The shares of `value` (the month's) for `day`'s ISO week and dekad, clipped to the
    month: the days' shares added up, as engine.split_month_down gives them (only the
    two periods that hold `day`)."""
    by_date = dict(engine.daily_targets(value, month, cal))

    def total(periods: list[Period]) -> int:
        p = next((p for p in periods if p.start <= day <= p.end), None)
        return 0 if p is None else sum(v for d, v in by_date.items() if p.start <= d <= p.end)

    return total(engine.iso_weeks(month)), total(engine.dekad_periods(month))


def rep_plan(user: User, day: date | None = None) -> RepPlan:
    """Recompute a rep's plan for `day` (default: today in the company's timezone)."""
    company = company_of(user)
    day = day or local_today(company)
    fy = fiscal_year_of(company.id, day)
    if fy is None:
        return RepPlan(user, day, None, [])
    cal = company_calendar(company)
    month = engine.month_period(day.year, day.month)
    targets = rep_month_targets(user.id, fy.id, month.start)
    metrics = db.session.scalars(_ACTIVE_METRICS, {"company_id": company.id}).all()
    daily = daily_actuals([user.id], month.start, month.end)
    month_tot = totals(daily, month.start, day)
    today_tot = totals(daily, day, day)
    worked = cal.count(month.start, day)
    total_days = cal.count(month.start, month.end)
    elapsed = worked / total_days if total_days else 1.0
    split_cache: dict[int, tuple[int, int]] = {}
    plans: list[MetricPlan] = []
    for m in metrics:
        if m.id not in targets:
            continue
        target = targets[m.id]
        if not m.additive or not m.source:
            plans.append(MetricPlan(m, month, target, 0, 0, None, elapsed, target, target))
            continue
        achieved = month_tot.get(m.source, 0)
        achieved_today = today_tot.get(m.source, 0)
        run = engine.rolling_target(
            target, achieved, day, month, cal, achieved_before_today=achieved - achieved_today
        )
        split = split_cache.get(target)
        if split is None:
            split = split_cache[target] = week_and_dekad(target, month, cal, day)
        week, dekad = split
        plans.append(MetricPlan(m, month, target, achieved, achieved_today, run, elapsed,
                                week, dekad))
    return RepPlan(user, day, fy, plans)

"""The burn-up: the scope's cumulative target by working day against its cumulative
actual, every calendar day of the period, and the forecast."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select

from ...engine import Period
from ...engine.pace import month_cumulative
from ...models import Metric, Target, TargetCell, Tier
from .figures import daily_actual, is_leaf
from .periods import month_aligned, month_starts
from .scopes import core_rows, user_ids
from .view import Tracking


@dataclass
class BurnPoint:
    day: date
    target: int  # cumulative target up to and including this day
    actual: int | None  # cumulative actual (None after the as-of day)


@dataclass
class Burnup:
    metric: Metric
    period: Period
    day: date
    points: list[BurnPoint]
    target: int
    achieved: int
    forecast: int | None


def burnup(tr: Tracking, code: str) -> Burnup:
    """Cumulative target by working day against cumulative actual (every calendar day
    of the period, so the last actual point is the as-of day), and the forecast."""
    metric = tr.metric(code)
    period, cal = tr.period, tr.cal
    fig = tr.total.figs[metric.code]
    # Target: per month the scope's cumulative as the engine spreads it. For a period
    # cutting a month, the reps' own month values (so the end equals the table's figure).
    step: dict[date, int] = defaultdict(int)
    if month_aligned(period):
        months: dict[date, int] = defaultdict(int)
        if tr.fy is not None:
            for start, total in _scope_month_totals(tr, metric).items():
                months[start] += total
        for start, value in months.items():
            prev = 0
            for d, cum in month_cumulative(value, start, cal):
                step[d] += cum - prev
                prev = cum
    else:
        for (_uid, mid), months_ in tr.rep_targets.items():
            if mid != metric.id:
                continue
            for start, value in months_.items():
                prev = 0
                for d, cum in month_cumulative(value, start, cal):
                    if period.start <= d <= period.end:
                        step[d] += cum - prev
                    prev = cum
    daily = daily_actual(tr.scope, period.start, tr.day, metric.source)
    points: list[BurnPoint] = []
    t_cum = a_cum = 0
    d = period.start
    while d <= period.end:
        t_cum += step.get(d, 0)
        a_cum += daily.get(d, 0)
        points.append(BurnPoint(d, t_cum, a_cum if d <= tr.day else None))
        d += timedelta(days=1)
    # Targets on days outside the period (a month cut by a week) are not in the period.
    return Burnup(metric, period, tr.day, points, fig.target, fig.achieved, fig.forecast)


def _scope_month_totals(tr: Tracking, metric: Metric) -> dict[date, int]:
    """The scope's target per month of the period: for the company, the month cells of
    the company target (the tree adds up month by month, so they are the reps' sums);
    below, the sum of the reps' leaf month cells."""
    fy = tr.fy
    assert fy is not None
    starts = [s for s in month_starts(tr.period) if fy.start <= s <= fy.end]
    if not starts:
        return {}
    in_months = and_(TargetCell.kind == "month", TargetCell.start >= starts[0],
                     TargetCell.start <= starts[-1])
    if tr.scope.kind == "company":
        stmt = (select(TargetCell.start, func.sum(TargetCell.value))
                .join(Target, Target.id == TargetCell.target_id)
                .where(Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
                       Target.metric_id == metric.id, Target.parent_id.is_(None), in_months)
                .group_by(TargetCell.start))
        return {s: int(v or 0) for s, v in core_rows(stmt)}
    stmt = (select(TargetCell.start, func.sum(TargetCell.value))
            .join(Target, Target.id == TargetCell.target_id)
            .where(Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
                   Target.metric_id == metric.id, Target.user_id.is_not(None),
                   in_months, is_leaf())
            .group_by(TargetCell.start))
    if tr.scope.user is not None:
        stmt = stmt.where(Target.user_id == tr.scope.user.id)
    else:
        stmt = stmt.where(Target.user_id.in_(user_ids(tr.scope)))
    return {s: int(v or 0) for s, v in core_rows(stmt)}

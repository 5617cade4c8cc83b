"""Tracking (跟踪与调整): progress at every level and period, the burn-up, the children's
bars, the ranking, reps at risk and the split by dimension. Thin views: parse, call
planner.services.tracking, render."""

from __future__ import annotations

from datetime import timedelta

from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ...models import Role
from ...services import tracking as tk
from .. import bp, charts
from ..render import render
from .common import (
    Params,
    dim_label,
    in_english,
    period_label,
    period_name,
    tracking_for,
    viewer_today,
)

RISK_SHOWN = 8


@bp.get("/tracking")
@login_required
def tracking() -> ResponseReturnValue:
    p = Params()
    tr = tracking_for(p)
    metric = tr.metric(p.metric)
    burn = tk.burnup(tr, metric.code)
    chart = charts.burn_chart(burn)
    rows = [(ln.label, ln.figs[metric.code].achieved, ln.figs[metric.code].target,
             p.url(scope=ln.scope) if ln.scope is not None else None) for ln in tr.children]
    bars = charts.bar_chart(rows, tr.total.figs[metric.code].time_elapsed)
    ranked = tr.ranking(metric.code, p.rank)
    rank_level = "reps" if tr.rank_lines(p.rank) is tr.reps else "teams"
    rank_rows = [(ln.label, ln.figs[metric.code].achieved, ln.figs[metric.code].target,
                  p.url(scope=ln.scope) if ln.scope is not None else None)
                 for ln in ranked[:10]]
    ranking = charts.bar_chart(rank_rows, tr.total.figs[metric.code].time_elapsed)
    risk = tr.at_risk(metric.code) if current_user.role != Role.REP else []
    risk_more = max(0, len(risk) - RISK_SHOWN)
    dims = tk.by_dimension(tr, p.dim, in_english()) if p.dim else []
    prev_on = tr.period.start - timedelta(days=1)
    next_on = tr.period.end + timedelta(days=1)
    return render("tracking/index.html", tr=tr, p=p, metric=metric, burn=burn, chart=chart,
                  bars=bars, ranking=ranking, ranked=ranked[:10], rank_level=rank_level,
                  risk=risk[:RISK_SHOWN], risk_more=risk_more, dims=dims, prev_on=prev_on,
                  next_on=next_on,
                  kinds=tk.PERIOD_KINDS, dimensions=tk.DIMENSIONS, period_label=period_label,
                  dim_label=dim_label, period_name=period_name, today=viewer_today())

"""Tracking (跟踪与调整): progress at every level and period, charts, the ranking, reps at
risk, the funnel, adjusting a rep's target, and Excel/CSV out and in. Thin views: parse,
call planner.services.tracking / sheets / funnel, render."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from flask import Response, abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Role
from ..parsing import MAX_YEAR, MIN_YEAR, parse_day, parse_id
from ..services import tracking as tk
from ..services import years as ys
from ..services.company import local_today
from . import bp, charts
from .render import render
from .years import missing_page


def _english() -> bool:
    return not str(get_locale()).startswith("zh")


def _today() -> date:
    return local_today(current_user.company)


def period_label(kind: str) -> str:
    return {"year": _("Year"), "quarter": _("Quarter"), "month": _("Month"),
            "dekad": _("Dekad"), "week": _("Week"), "day": _("Day")}.get(kind, kind)


def dim_label(dim: str) -> str:
    return {"product_line": _("Product line"), "channel": _("Channel"),
            "customer_type": _("Customer type")}.get(dim, dim)


def period_name(period: Any) -> str:
    """The period in words: 2026, 2026 Q4, 2026-12, 2026-12 上旬, 2026-W49, 2026-12-02."""
    label = str(period.label)
    if period.kind == "dekad":
        n = int(label[-1]) - 1
        return f"{label[:7]} {(_('early'), _('mid'), _('late'))[n]}"
    if period.kind == "quarter":
        return label.replace("-Q", " Q")
    return label


RISK_SHOWN = 8


_View = TypeVar("_View", bound=Callable[..., Any])


def gc_paused(view: _View) -> _View:
    """Run the view with Python's cyclic garbage collector paused. A tracking page of the
    2,000-rep company makes ~100,000 short-lived acyclic objects (rows, lists of figures),
    which set off ~100 collections, a few over all of the app's ~170,000 objects: a third
    of the page's time (bench-tracking). Reference counting still frees them; the
    collector runs again afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        was = gc.isenabled()
        gc.disable()
        try:
            return view(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return cast(_View, wrapped)


class Params:
    """What the page was asked for; every link keeps it (period and metric stay chosen
    while drilling)."""

    def __init__(self) -> None:
        a = request.args
        self.kind = a.get("period", "month") if a.get("period") in tk.PERIOD_KINDS else "month"
        self.on = parse_day(a.get("on")) if a.get("on") else None
        if a.get("on") and self.on is None:
            flash(_("“%(text)s” is not a date between %(lo)s and %(hi)s: showing today "
                    "instead.", text=(a.get("on") or "")[:40], lo=MIN_YEAR, hi=MAX_YEAR),
                  "error")
        self.unit_id = parse_id(a.get("unit")) if a.get("unit") else None
        self.rep_id = parse_id(a.get("rep")) if a.get("rep") else None
        if (a.get("unit") and self.unit_id is None) or (a.get("rep") and self.rep_id is None):
            abort(404)
        self.metric = a.get("metric", "")
        self.dim = a.get("dim", "") if a.get("dim") in tk.DIMENSIONS else ""
        self.rank = a.get("rank", "auto") if a.get("rank") in ("teams", "reps") else "auto"
        # ?fy=: a year of the switch (services/years: a draft for managers and the director)
        self.years = ys.visible_years(current_user)
        self.fy = ys.pick_year(current_user, a.get("fy", type=int), _today()) \
            if a.get("fy") else None
        if self.fy is not None and self.on is None:
            self.on = min(max(_today(), self.fy.start), self.fy.end)

    def url(self, endpoint: str = "web.tracking", scope: tk.Scope | None = None,
            **over: Any) -> str:
        args: dict[str, Any] = {"period": self.kind, "metric": self.metric}
        if self.on is not None:
            args["on"] = self.on.isoformat()
        if self.dim:
            args["dim"] = self.dim
        if self.rank != "auto":
            args["rank"] = self.rank
        if self.fy is not None:
            args["fy"] = self.fy.year
        if scope is not None:
            args.update(scope.args)
        else:
            if self.unit_id is not None:
                args["unit"] = self.unit_id
            if self.rep_id is not None:
                args["rep"] = self.rep_id
        args.update(over)
        return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


def _tracking(p: Params) -> tk.Tracking:
    if not p.years:  # a company with no fiscal year: say so, never a 404
        abort(missing_page(_("The company has no fiscal year yet, so there is nothing to "
                             "track against.")))
    scope = tk.resolve_scope(current_user, p.unit_id, p.rep_id)
    tr = tk.track(current_user, scope, p.kind, p.on, today=_today(), english=_english(),
                  fy=p.fy)
    if not tr.metrics:
        abort(missing_page(_("The company has no metrics yet, so there is nothing to track.")))
    if p.metric not in {m.code for m in tr.metrics}:
        p.metric = tr.metrics[0].code
    return tr


@bp.get("/tracking")
@login_required
@gc_paused
def tracking() -> ResponseReturnValue:
    p = Params()
    tr = _tracking(p)
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
    dims = tk.by_dimension(tr, p.dim, _english()) if p.dim else []
    prev_on = tr.period.start - timedelta(days=1)
    next_on = tr.period.end + timedelta(days=1)
    return render("tracking/index.html", tr=tr, p=p, metric=metric, burn=burn, chart=chart,
                  bars=bars, ranking=ranking, ranked=ranked[:10], rank_level=rank_level,
                  risk=risk[:RISK_SHOWN], risk_more=risk_more, dims=dims, prev_on=prev_on,
                  next_on=next_on,
                  kinds=tk.PERIOD_KINDS, dimensions=tk.DIMENSIONS, period_label=period_label,
                  dim_label=dim_label, period_name=period_name, today=_today())


def file_response(data: bytes, filename: str, fmt: str) -> Response:
    mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx" else "text/csv; charset=utf-8")
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


from . import tracking_io  # noqa: E402,F401

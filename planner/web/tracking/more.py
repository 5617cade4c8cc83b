"""Tracking: the pipeline funnel, and adjusting a rep's remaining target from tracking
(the same plan_edit preview, lock rules and audit rows as /targets)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ...access import visible_units
from ...engine import Period
from ...extensions import db
from ...models import Metric, Role, Tier, User
from ...parsing import parse_id
from ...services import targets as dc
from ...services import tracking as tk
from .. import bp, roles_required
from ..render import render
from .common import (
    Params,
    in_english,
    period_label,
    period_name,
    scope_or_404,
    tracking_for,
    viewer_today,
)


@bp.get("/tracking/funnel")
@login_required
def tracking_funnel() -> ResponseReturnValue:
    p = Params()
    tr = tracking_for(p)
    fn = tk.funnel(tr.scope, current_user.unit.company_id, tr.period.start, tr.day, viewer_today())
    return render("tracking/funnel.html", tr=tr, p=p, fn=fn, kinds=tk.PERIOD_KINDS,
                  period_label=period_label, period_name=period_name)


# ------------------------------------------------------------------ adjusting


class Adjust:
    """A rep's target for a metric (base tier) for the rest of the year or for one month
    (this month or a later one of the fiscal year): what is done and what is left. The new
    remaining plus what is done becomes the new year value (targets.plan_edit) or the
    new month value (targets.plan_month), previewed and applied as on /targets."""

    def __init__(self) -> None:
        rep_id = parse_id(request.values.get("rep"))
        if rep_id is None:
            abort(404)
        self.rep_scope = scope_or_404(None, rep_id)
        if current_user.role == Role.REP or self.rep_scope.user is None:
            abort(404)
        self.rep: User = self.rep_scope.user
        metrics = tk.tracked_metrics(current_user.unit.company_id)
        code = request.values.get("metric", "")
        metric = next((m for m in metrics if m.code == code), metrics[0] if metrics else None)
        if metric is None:
            abort(404)
        self.metric: Metric = metric
        self.span = "month" if request.values.get("span") == "month" else "year"
        today = viewer_today()
        self.tr = tk.track(current_user, self.rep_scope, "year", today=today,
                           english=in_english())
        self.error: str | None = None
        self.node: dc.Node | None = None
        self.months: list[tuple[int, Period]] = []
        self.month = 0
        fy = self.tr.fy
        if fy is None:
            self.fig = self.tr.total.figs[metric.code]
            self.error = _("There is no fiscal year for today.")
            return
        self._pick_month(fy, today)
        if self.span == "month":
            start = self.months[self.month_pos][1].start
            self.tr = tk.track(current_user, self.rep_scope, "month", on=start, today=today,
                               english=in_english())
        self.fig = self.tr.total.figs[metric.code]
        self._find_node(fy, metric)

    def _pick_month(self, fy: Any, today: date) -> None:
        """The months that still have a remainder (this month and the later ones)."""
        self.months = [(i, p) for i, p in enumerate(dc.fy_months(fy)) if p.end >= today]
        if not self.months:
            self.span = "year"
            self.months = [(11, dc.fy_months(fy)[11])]
        wanted = request.values.get("month") or (request.values.get("on") or "")[:7]
        self.month_pos = next((k for k, (_i, p) in enumerate(self.months)
                               if p.label == wanted), 0)
        self.month = self.months[self.month_pos][0]

    def _find_node(self, fy: Any, metric: Metric) -> None:
        self.tree = dc.load_tree(fy, metric, Tier.BASE)
        self.ctx = dc.Context(fy, metric, english=in_english())
        leaves = [n for n in self.tree.nodes.values()
                  if n.user_id == self.rep.id and not n.children]
        if not leaves:
            self.error = _("This rep has no target for this metric yet.")
        elif len(leaves) > 1:
            self.error = _("This rep's target is split by product line, channel or customer "
                           "type: adjust each part on Targets.")
        else:
            self.node = leaves[0]
            mine = set(db.session.scalars(visible_units(current_user)))
            parent = self.node.parent
            if current_user.role != Role.ADMIN and (parent is None or parent.unit_id not in mine):
                abort(404)

    @property
    def month_label(self) -> str:
        return str(self.months[self.month_pos][1].label)

    def args(self, **over: Any) -> dict[str, Any]:
        args: dict[str, Any] = {"rep": self.rep.id, "metric": self.metric.code,
                                "span": self.span}
        if self.span == "month":
            args["month"] = self.month_label
        args.update(over)
        return args

    def plan(self) -> dc.Plan:
        assert self.node is not None
        remaining = dc.parse_amount(request.form.get("remaining"), self.metric)
        if self.span == "month":
            return dc.plan_month(self.tree, self.ctx, self.node, self.month,
                                 self.fig.achieved + remaining)
        return dc.plan_edit(self.tree, self.ctx, self.node, self.fig.achieved + remaining)


def _page(a: Adjust, plan: Any = None, error: str | None = None, status: int = 200) -> Any:
    return render("tracking/adjust.html", status=status, a=a, plan=plan,
                  error=error or a.error, form=request.form)


@bp.get("/tracking/adjust")
@roles_required(Role.MANAGER, Role.ADMIN)
def tracking_adjust() -> ResponseReturnValue:
    return _page(Adjust())


@bp.post("/tracking/adjust/<step>")
@roles_required(Role.MANAGER, Role.ADMIN)
def tracking_adjust_post(step: str) -> ResponseReturnValue:
    if step not in ("preview", "apply"):
        abort(404)
    a = Adjust()
    if a.node is None:
        return _page(a, status=422)
    try:
        plan = a.plan()
    except dc.DecomposeError as exc:
        db.session.rollback()
        return _page(a, error=str(exc), status=422)
    if step == "preview":
        db.session.rollback()  # a preview never writes
        return _page(a, plan=plan)
    dc.apply_plan(plan, current_user)
    db.session.commit()
    flash(ngettext("Applied: %(num)d target changed.", "Applied: %(num)d targets changed.",
                   len(plan.changes)))
    return redirect(url_for("web.tracking", rep=a.rep.id, period=a.span, metric=a.metric.code,
                            on=a.tr.period.start.isoformat() if a.span == "month" else None))

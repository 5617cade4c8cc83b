"""What the tracking pages share: the page's parameters (period, scope, metric; every
link keeps them), the tracking view they were asked for, the labels of periods and
dimensions, and a file download."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ...parsing import MAX_YEAR, MIN_YEAR, parse_day, parse_id
from ...refusal import NotFound
from ...services import tracking as tk
from ...services import years as ys
from ...services.company import local_today
from ..years import missing_page


def in_english() -> bool:
    return not str(get_locale()).startswith("zh")


def viewer_today() -> date:
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
        self.fy = ys.pick_year(current_user, a.get("fy", type=int), viewer_today()) \
            if a.get("fy") else None
        if self.fy is not None and self.on is None:
            self.on = min(max(viewer_today(), self.fy.start), self.fy.end)

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


def scope_or_404(unit_id: int | None, rep_id: int | None) -> tk.Scope:
    """The scope asked for; a 404 when there is none or the viewer may not see it."""
    try:
        return tk.resolve_scope(current_user, unit_id, rep_id)
    except NotFound:
        abort(404)


def tracking_for(p: Params) -> tk.Tracking:
    """The tracking view the page asked for (the first metric when none or an unknown one
    is asked for); a 404 when the company tracks no metric."""
    if not p.years:  # a company with no fiscal year: say so, never a 404
        abort(missing_page(_("The company has no fiscal year yet, so there is nothing to "
                             "track against.")))
    scope = scope_or_404(p.unit_id, p.rep_id)
    tr = tk.track(current_user, scope, p.kind, p.on, today=viewer_today(), english=in_english(),
                  fy=p.fy)
    if not tr.metrics:
        abort(missing_page(_("The company has no metrics yet, so there is nothing to track.")))
    if p.metric not in {m.code for m in tr.metrics}:
        p.metric = tr.metrics[0].code
    return tr


def file_response(data: bytes, filename: str, fmt: str) -> Response:
    mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx" else "text/csv; charset=utf-8")
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp

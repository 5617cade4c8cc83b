"""The rep's week plan, month plan and action plan (行动计划)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..extensions import db
from ..models import User
from ..parsing import MAX_YEAR, MIN_YEAR, parse_day
from ..refusal import Refused
from ..services import period_plans as svc
from ..services.company import local_today
from . import bp
from .render import render


def _subject() -> User:
    """Whose plan: the viewer, or `?user=<id>` within the viewer's reach (else 404)."""
    raw = request.args.get("user", "")
    if not raw:
        return current_user  # type: ignore[return-value]
    return access.get_or_404(current_user, User, raw)  # a bad or huge id is a 404


def _today() -> date:
    company = current_user.company
    return local_today(company)


def _day(raw: str | None) -> date:
    """`?start=`: a date between 1990 and 2100; anything else shows today, and says so."""
    if not raw:
        return _today()
    day = parse_day(raw)
    if day is None:
        flash(_("“%(text)s” is not a date between %(lo)s and %(hi)s: showing today instead.",
                text=raw[:40], lo=MIN_YEAR, hi=MAX_YEAR), "error")
        return _today()
    return day


@bp.get("/plans/week")
@login_required
def week_plan() -> ResponseReturnValue:
    user = _subject()
    day = _day(request.args.get("start"))
    from datetime import timedelta

    data = svc.week_plan(user, day)
    return render("plans/week.html", subject=user, plan=data, today=_today(),
                  prev=data["start"] - timedelta(days=7), next=data["start"] + timedelta(days=7))


@bp.get("/plans/month")
@login_required
def month_plan() -> ResponseReturnValue:
    user = _subject()
    day = _day(request.args.get("start"))
    data = svc.month_plan(user, day)
    from datetime import timedelta

    start = data["month"].start
    prev = (start - timedelta(days=1)).replace(day=1)
    nxt = (data["month"].end + timedelta(days=1))
    return render("plans/month.html", subject=user, plan=data, prev=prev, next=nxt,
                  dekad_names=[_("Early month"), _("Mid month"), _("Late month")])


@bp.route("/plans/action", methods=["GET", "POST"])
@login_required
def action_plan() -> ResponseReturnValue:
    user = _subject()
    kind = request.args.get("period", "month")
    if kind not in ("month", "quarter"):
        abort(404)
    start = request.args.get("start")
    if request.method == "POST" and start and parse_day(start) is None:
        abort(404)  # never save a plan under a period the rep did not ask for
    period = svc.period_of(kind, _day(start))
    editable = user.id == current_user.id
    errors: dict[str, str] = {}
    form: dict[str, object] = {}
    plan = svc.get_action_plan(user.id, kind, period.start)
    if request.method == "POST":
        if not editable:
            abort(404)  # a manager reads a rep's plan; only the rep writes it
        raw = {k: request.form.get(k, "") for k in svc.ACTION_TEXTS}
        raw["milestone_stage"] = request.form.getlist("milestone_stage")
        raw["milestone_due"] = request.form.getlist("milestone_due")
        try:
            svc.save_action_plan(user, kind, period.start, raw)
        except Refused as e:
            db.session.rollback()
            errors = e.fields or {"key_actions": e.message}
        else:
            db.session.commit()
            flash(_("Action plan saved."), "ok")
            return redirect(url_for("web.action_plan", period=kind,
                                    start=period.start.isoformat()), code=303)
        form = raw
    elif plan is not None:
        form = {k: getattr(plan, k) for k in svc.ACTION_TEXTS}
        form["milestone_stage"] = [m.get("stage", "") for m in plan.milestones or []]
        form["milestone_due"] = [m.get("due", "") for m in plan.milestones or []]
    rows = max(3, len(form.get("milestone_stage") or []) + 1)  # type: ignore[arg-type]
    return render("plans/action.html", status=422 if errors else 200, subject=user,
                  kind=kind, period=period, targets=svc.period_targets(user, period),
                  form=form, errors=errors, editable=editable, plan=plan,
                  milestone_rows=min(rows, svc.MAX_MILESTONES),
                  quarter=svc.period_of("quarter", period.start),
                  month=svc.month_of(period.start))

"""Today (今日计划): the rep's home. Per metric today's run-rate target, achieved and
remaining today, the month so far against time elapsed; visits planned for today,
follow-ups due, one tap to log a visit, and the end-of-day plan for tomorrow."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from ..extensions import db
from ..services.planned_visits import DayPlanInput, save_day_plan
from ..services.today import today_context  # re-exported: moved to the services
from . import bp
from .render import render, wants_fragment


@bp.get("/today")
@login_required
def today():  # type: ignore[no-untyped-def]
    return render("web/today.html", "web/_today_metrics.html",
                  **today_context(current_user, full=not wants_fragment()))


@bp.post("/today/tomorrow")
@login_required
def plan_tomorrow():  # type: ignore[no-untyped-def]
    ctx = today_context(current_user)
    data = DayPlanInput(notes=request.form.get("notes", ""),
                        customer_ids=request.form.getlist("customer_ids"))
    plan, errors = save_day_plan(current_user, ctx["tomorrow"], data)
    if errors:
        db.session.rollback()
        ctx.update(errors=errors, form={"notes": data.notes,
                                        "customer_ids": data.customer_ids})
        return render("web/today.html", "web/_tomorrow.html", status=422, **ctx)
    db.session.commit()
    ctx = today_context(current_user)
    ctx["saved"] = True
    return render("web/today.html", "web/_tomorrow.html", **ctx)

"""Today (今日计划): the rep's home. Per metric today's run-rate target, achieved and
remaining today, the month so far against time elapsed; visits planned for today,
follow-ups due, one tap to log a visit, and the end-of-day plan for tomorrow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g, make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..refusal import Refused
from ..services import cache
from ..services.planned_visits import DayPlanInput, save_day_plan
from ..services.today import today_context  # re-exported: moved to the services
from . import bp
from .render import render, wants_fragment


@bp.get("/today")
@login_required
def today() -> ResponseReturnValue:
    if wants_fragment():
        return render("web/today.html", "web/_today_metrics.html",
                      **today_context(current_user, full=False))
    user = current_user._get_current_object()

    def fresh(csrf: str, tz: str | None, values: Sequence[Any]) -> str:
        # The badges the page's key holds (services/cache/badges.py), not counted again.
        g.planner_badges = cache.badges.from_row(tz, values)
        return render_template("web/today.html", csrf_token=lambda: csrf,
                               **today_context(user))

    html = cache.cached_page(cache.badges.today_query(user), user, fresh, csrf=generate_csrf,
                             script_root=request.script_root,
                             afresh=bool(session.get("_flashes")),
                             params=cache.badges.params(user))
    resp = make_response(html)
    resp.vary.add("HX-Request")
    return resp


@bp.post("/today/tomorrow")
@login_required
def plan_tomorrow() -> ResponseReturnValue:
    ctx = today_context(current_user)
    data = DayPlanInput(notes=request.form.get("notes", ""),
                        customer_ids=request.form.getlist("customer_ids"))
    try:
        save_day_plan(current_user, ctx["tomorrow"], data)
    except Refused as e:
        db.session.rollback()
        ctx.update(errors=e.fields or {"notes": e.message},
                   form={"notes": data.notes, "customer_ids": data.customer_ids})
        return render("web/today.html", "web/_tomorrow.html", status=422, **ctx)
    db.session.commit()
    ctx = today_context(current_user)
    ctx["saved"] = True
    return render("web/today.html", "web/_tomorrow.html", **ctx)

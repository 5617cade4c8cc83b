"""Today (今日计划): the rep's home. Per metric today's run-rate target, achieved and
remaining today, the month so far against time elapsed; visits planned for today,
follow-ups due, one tap to log a visit, and the end-of-day plan for tomorrow."""

from __future__ import annotations

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import bindparam

from ..extensions import db
from ..models import Role
from ..refusal import Refused
from ..services import page_cache, reminders
from ..services.planned_visits import DayPlanInput, save_day_plan
from ..services.reviews import waiting_query
from ..services.today import today_context  # re-exported: moved to the services
from . import bp
from .render import render, wants_fragment

# Today's page, cached (services/page_cache.py): beside the counters, the bell's unread
# count (reminders fall due with time); a manager's page also counts reviews waiting.
_TODAY = page_cache.PageQuery(
    "today", [reminders.unread_query(bindparam("user_id"), bindparam("now"))])


@bp.get("/today")
@login_required
def today() -> ResponseReturnValue:
    if wants_fragment():
        return render("web/today.html", "web/_today_metrics.html",
                      **today_context(current_user, full=False))
    user = current_user._get_current_object()

    def fresh(csrf: str) -> str:
        return render_template("web/today.html", csrf_token=lambda: csrf,
                               **today_context(user))

    query = _TODAY
    if user.role != Role.REP:  # the nav shows the reviews waiting for a manager
        query = page_cache.PageQuery("today", [
            reminders.unread_query(bindparam("user_id"), bindparam("now")),
            waiting_query(user)])
    html = page_cache.cached_page(query, user, fresh,
                                  {"user_id": user.id, "now": reminders.utcnow()})
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

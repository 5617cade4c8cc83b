"""Today (今日计划): the rep's home. Per metric today's run-rate target, achieved and
remaining today, the month so far against time elapsed; visits planned for today,
follow-ups due, one tap to log a visit, and the end-of-day plan for tomorrow."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import bindparam

from ..extensions import db
from ..models import Company, Role, User
from ..services import dayplan, page_cache, reminders
from ..services.company import local_today
from ..services.dayplan import (
    DayPlanInput,
    count_candidates,
    day_plan,
    follow_ups_due,
    next_working_day,
    plan_candidates,
    save_day_plan,
)
from ..services.plan_cache import cached_rep_plan
from ..services.reviews import waiting_query
from . import bp
from .render import render, wants_fragment


def today_context(user: User, full: bool = True) -> dict[str, Any]:
    """What Today shows. With full=False only the metrics (the htmx partial swaps only
    #today-metrics): no plans, follow-ups or candidates are loaded."""
    company = db.session.get(Company, user.unit.company_id)
    assert company is not None
    day = local_today(company)
    plan = cached_rep_plan(user, day)
    metrics = {
        "user": user,
        "day": day,
        "plan": plan,
        "run_metrics": [m for m in plan.metrics if m.run is not None and m.target > 0],
        "zero_metrics": [m for m in plan.metrics if m.run is not None and m.target <= 0],
        "level_metrics": [m for m in plan.metrics if m.run is None],
    }
    if not full:
        return metrics
    tomorrow = next_working_day(company, day)
    tomorrow_plan = day_plan(user.id, tomorrow)
    planned = [i.customer_id for i in tomorrow_plan.items] if tomorrow_plan else []
    return {
        **metrics,
        "today_plan": day_plan(user.id, day),
        "follow_ups": follow_ups_due(user.id, day),
        "tomorrow": tomorrow,
        "tomorrow_plan": tomorrow_plan,
        "candidates": plan_candidates(user.id, dayplan.MAX_CANDIDATES, planned=planned),
        "candidates_total": count_candidates(user.id),
        "candidates_max": dayplan.MAX_CANDIDATES,
    }


# Today's page, cached (services/page_cache.py): beside the counters, the bell's unread
# count (reminders fall due with time); a manager's page also counts reviews waiting.
_TODAY = page_cache.PageQuery(
    "today", [reminders.unread_query(bindparam("user_id"), bindparam("now"))])


@bp.get("/today")
@login_required
def today():  # type: ignore[no-untyped-def]
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

"""GET /api/v1/today: the rep's plan for today as JSON (money in fen)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user, login_required

from .. import access
from ..models import User
from ..services.plan import RepPlan
from . import bp


def plan_metrics_json(plan: RepPlan) -> list[dict[str, Any]]:
    return [
        {
            "code": m.metric.code,
            "name": m.metric.name,
            "name_en": m.metric.name_en,
            "unit": m.metric.unit.value,
            "additive": m.metric.additive,
            "source": m.metric.source or None,
            "month_start": m.period.start.isoformat(),
            "month_end": m.period.end.isoformat(),
            "target": m.target,
            "achieved": m.achieved,
            "achieved_today": m.achieved_today,
            "today_target": m.today_target,
            "remaining_today": m.remaining_today,
            "remaining": m.remaining,
            "working_days_left": m.run.working_days_left if m.run else None,
            "progress": round(m.progress, 4),
            "time_elapsed": round(m.time_elapsed, 4),
            "week_target": m.week_target,
            "dekad_target": m.dekad_target,
        }
        for m in plan.metrics
    ]


@bp.get("/today")
@login_required
def today():  # type: ignore[no-untyped-def]
    user = current_user
    raw = request.args.get("user")
    if raw:
        user = access.get_or_404(current_user, User, raw)  # a bad or huge id is a 404
    from ..services.today import today_context

    ctx = today_context(user)
    plan: RepPlan = ctx["plan"]

    def items(p: Any) -> list[dict[str, Any]]:
        if p is None:
            return []
        return [{"customer_id": i.customer_id, "customer_name": i.customer.name,
                 "purpose": i.purpose, "visit_id": i.visit_id} for i in p.items]

    return jsonify({
        "user_id": user.id,
        "day": plan.day.isoformat(),
        "metrics": plan_metrics_json(plan),
        "planned": items(ctx["today_plan"]),
        "follow_ups": [
            {"customer_id": c.id, "customer_name": c.name,
             "next_follow_up": c.next_follow_up.isoformat() if c.next_follow_up else None,
             "overdue": bool(c.next_follow_up and c.next_follow_up < plan.day)}
            for c in ctx["follow_ups"]
        ],
        "tomorrow": {
            "day": ctx["tomorrow"].isoformat(),
            "notes": ctx["tomorrow_plan"].notes if ctx["tomorrow_plan"] else "",
            "planned": items(ctx["tomorrow_plan"]),
        },
    })

"""GET /api/v1/today: the rep's plan for today as JSON (money in fen)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import access
from ..models import User
from ..services.rep_plan import RepPlan
from . import bp
from .serialise import plan_metrics_json


@bp.get("/today")
@login_required
def today() -> ResponseReturnValue:
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

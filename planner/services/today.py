"""What Today (今日计划) shows a rep: per metric today's run-rate target, achieved and
remaining; visits planned for today, follow-ups due, and tomorrow's plan. Used by the
Today page, the visit views and the API."""

from __future__ import annotations

from typing import Any

from ..models import User
from . import planned_visits
from .cache import cached_rep_plan
from .company import local_today
from .planned_visits import (
    count_candidates,
    day_plan,
    follow_ups_due,
    next_working_day,
    plan_candidates,
)
from .years import year_notice


def today_context(user: User, full: bool = True) -> dict[str, Any]:
    """What Today shows. With full=False only the metrics (the htmx partial swaps only
    #today-metrics): no plans, follow-ups or candidates are loaded."""
    company = user.company
    day = local_today(company)
    plan = cached_rep_plan(user, day)
    metrics = {
        "user": user,
        "day": day,
        "plan": plan,
        "run_metrics": [m for m in plan.metrics if m.run is not None and m.target > 0],
        "zero_metrics": [m for m in plan.metrics if m.run is not None and m.target <= 0],
        "level_metrics": [m for m in plan.metrics if m.run is None],
        # No published year holds today: why, and who can fix it (services/years).
        "notice": year_notice(user, day) if not plan.metrics else None,
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
        "candidates": plan_candidates(user.id, planned_visits.MAX_CANDIDATES, planned=planned),
        "candidates_total": count_candidates(user.id),
        "candidates_max": planned_visits.MAX_CANDIDATES,
    }

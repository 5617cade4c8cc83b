"""Every JSON shape the API answers with, in one place: customers, visits, Today's
metrics. Money is integer fen; instants are RFC 3339 with their offset (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..models import Customer, Visit
from ..services.rep_plan import RepPlan


def utc_iso(at: datetime) -> str:
    """An instant as RFC 3339 with its offset (stored instants are UTC)."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def customer_json(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "uuid": c.uuid,
        "name": c.name,
        "contact_name": c.contact_name,
        "phone": c.phone,
        "address": c.address,
        "owner_id": c.owner_id,
        "stage": c.stage.code,
        "next_follow_up": c.next_follow_up.isoformat() if c.next_follow_up else None,
        "first_won_on": c.first_won_on.isoformat() if c.first_won_on else None,
    }


def visit_json(v: Visit) -> dict[str, Any]:
    return {
        "id": v.id,
        "user_id": v.user_id,
        "customer_id": v.customer_id,
        "kind": v.kind.value,
        "visited_at": utc_iso(v.visited_at),
        "local_date": v.local_date.isoformat(),
        "place": v.place,
        "latitude": v.latitude,
        "longitude": v.longitude,
        "purpose": v.purpose,
        "notes": v.notes,
        "outcome": v.outcome,
        "amount_signed_fen": v.amount_signed,
        "amount_collected_fen": v.amount_collected,
        "expenses_fen": v.expenses,
        "materials": v.materials,
        "next_follow_up": v.next_follow_up.isoformat() if v.next_follow_up else None,
        "products": sorted(p.product_line_id for p in v.products),
        "stage_from_id": v.stage_from_id,
        "stage_to_id": v.stage_to_id,
    }


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

"""Customers and visits as JSON (every lookup goes through planner.access)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from . import bp


def _customer_json(c):  # type: ignore[no-untyped-def]
    return {
        "id": c.id,
        "uuid": c.uuid,
        "name": c.name,
        "contact_name": c.contact_name,
        "phone": c.phone,
        "stage": c.stage.code,
        "next_follow_up": c.next_follow_up.isoformat() if c.next_follow_up else None,
    }


def _visit_json(v):  # type: ignore[no-untyped-def]
    return {
        "id": v.id,
        "customer_id": v.customer_id,
        "kind": v.kind.value,
        "visited_at": v.visited_at.isoformat(),
        "local_date": v.local_date.isoformat(),
        "amount_signed": v.amount_signed,
        "amount_collected": v.amount_collected,
    }


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int):  # type: ignore[no-untyped-def]
    from ..access import get_or_404
    from ..models import Customer

    return jsonify(_customer_json(get_or_404(current_user, Customer, customer_id)))


@bp.get("/visits/<visit_id>")
@login_required
def visit(visit_id: str):  # type: ignore[no-untyped-def]
    from ..access import get_or_404
    from ..models import Visit

    return jsonify(_visit_json(get_or_404(current_user, Visit, visit_id)))

"""The lead-stage history (StageMove): written where a customer's stage moves, so the
funnel's counts and durations are exact. (The demo company's made-up history is
planner.devtools.demo_stages.)"""

from __future__ import annotations

from datetime import date

from ..extensions import db
from ..models import Customer, StageMove


def record_move(customer: Customer, to_stage_id: int | None, day: date,
                visit_id: str | None = None, new: bool = False) -> None:
    """Log that `customer` moves to `to_stage_id` on `day` (`new`: it starts there). Call
    it before the customer's stage_id changes: the move is from the stage it has now.
    Nothing is logged when the stage does not change."""
    if to_stage_id is None or (not new and customer.stage_id == to_stage_id):
        return
    db.session.add(StageMove(customer=customer, user_id=customer.owner_id,
                             from_stage_id=None if new else customer.stage_id,
                             to_stage_id=to_stage_id, day=day, visit_id=visit_id))

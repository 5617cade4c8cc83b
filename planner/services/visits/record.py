"""Writing a valid visit (and a new lead created with it): the customer's stage and
follow-up move, and a planned visit to the customer that day is done."""

from __future__ import annotations

import uuid as uuidlib
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...models import Customer, DailyPlan, DailyPlanItem, Stage, User, Visit, VisitProduct
from .. import stage_history
from .lookups import VisitLookups
from .rules import VisitData


def _visit_customer(user: User, data: VisitData, lookups: VisitLookups | None,
                    flush: bool) -> Customer:
    """The visit's customer: a new lead (created here, in the first active stage) or the
    rep's own customer."""
    company_id = user.unit.company_id
    if data.new_lead is not None:
        lead_stage = lookups.lead_stage if lookups is not None else None
        if lead_stage is None:
            lead_stage = db.session.scalar(
                select(Stage).where(Stage.company_id == company_id, Stage.active.is_(True))
                .order_by(Stage.sort)
            )
            if lookups is not None:
                lookups.lead_stage = lead_stage
        assert lead_stage is not None
        customer = Customer(
            uuid=data.new_lead.uuid, company_id=company_id, owner_id=user.id,
            name=data.new_lead.name, contact_name=data.new_lead.contact_name,
            phone=data.new_lead.phone, stage_id=lead_stage.id,
        )
        db.session.add(customer)
        stage_history.record_move(customer, lead_stage.id, data.local_date, new=True)
        if flush:
            db.session.flush()
            if lookups is not None:
                lookups.customers[customer.id] = customer
        return customer
    assert data.customer_id is not None  # validated: a new lead or a customer of the rep's
    found = (lookups.customer(data.customer_id) if lookups is not None
             else db.session.get(Customer, data.customer_id))
    assert found is not None and found.owner_id == user.id
    return found


def _open_plan_item(user_id: int, day: date, customer_id: int,
                    lookups: VisitLookups | None) -> DailyPlanItem | None:
    if lookups is not None:
        return lookups.open_plan_items(user_id, day).pop(customer_id, None)
    return db.session.scalar(
        select(DailyPlanItem).join(DailyPlan).where(
            DailyPlan.user_id == user_id, DailyPlan.day == day,
            DailyPlanItem.customer_id == customer_id, DailyPlanItem.visit_id.is_(None))
    )


def record_visit(user: User, data: VisitData, visit_id: str | None = None,
                 payload_hash: str | None = None, lookups: VisitLookups | None = None,
                 flush: bool = True) -> Visit:
    """Write a validated visit (in the caller's transaction; the caller commits).
    flush=False leaves the INSERTs to the caller's next flush (a sync batch flushes once)."""
    customer = _visit_customer(user, data, lookups, flush)
    visit = Visit(
        id=(visit_id or str(uuidlib.uuid4())).lower(), user_id=user.id, customer=customer,
        kind=data.kind, visited_at=data.visited_at, local_date=data.local_date,
        place=data.place, latitude=data.latitude, longitude=data.longitude,
        purpose=data.purpose, notes=data.notes, outcome=data.outcome,
        amount_signed=data.amount_signed, amount_collected=data.amount_collected,
        expenses=data.expenses, materials=data.materials, next_follow_up=data.next_follow_up,
        stage_from_id=customer.stage_id, stage_to_id=data.stage_id, payload_hash=payload_hash,
    )
    for pid in data.product_line_ids:
        visit.products.append(VisitProduct(product_line_id=pid))
    if data.product_line_ids and data.amount_signed:
        visit.products[0].amount_signed = data.amount_signed
    db.session.add(visit)
    stage_history.record_move(customer, data.stage_id, data.local_date, visit.id)
    if data.stage_id is not None and data.stage_id != customer.stage_id:
        customer.stage_id = data.stage_id
        stage = db.session.get(Stage, data.stage_id)
        if stage is not None and stage.is_won and customer.first_won_on is None:
            customer.first_won_on = data.local_date
    if data.next_follow_up is not None:
        customer.next_follow_up = data.next_follow_up
    # A planned visit to this customer on this day is done.
    item = _open_plan_item(user.id, data.local_date, customer.id, lookups)
    if item is not None:
        item.visit_id = visit.id
    if flush:
        db.session.flush()
    return visit

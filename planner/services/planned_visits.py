"""The rep's day: visits planned for a day, follow-ups due, and the end-of-day plan for
the next working day (今日事今日毕)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Company, Customer, DailyPlan, DailyPlanItem, Stage, User
from ..parsing import parse_id
from ..refusal import refuse_fields
from .calendar import company_calendar

MAX_PLAN_CUSTOMERS = 30
MAX_PLAN_NOTES = 2000


def next_working_day(company: Company, day: date) -> date:
    """The first working day after `day` (the company calendar; at most 60 days on)."""
    cal = company_calendar(company)
    d = day + timedelta(days=1)
    for _i in range(60):
        if cal.is_working_day(d):
            return d
        d += timedelta(days=1)
    return day + timedelta(days=1)


def day_plan(user_id: int, day: date) -> DailyPlan | None:
    return db.session.scalar(
        select(DailyPlan).where(DailyPlan.user_id == user_id, DailyPlan.day == day)
        .options(joinedload(DailyPlan.items).joinedload(DailyPlanItem.customer))
    )


def follow_ups_due(user_id: int, day: date, limit: int = 50) -> list[Customer]:
    """The rep's customers whose next follow-up is on or before `day` (lost ones left out),
    the most overdue first."""
    return list(db.session.scalars(
        select(Customer).join(Stage, Stage.id == Customer.stage_id)
        .where(Customer.owner_id == user_id, Customer.next_follow_up.is_not(None),
               Customer.next_follow_up <= day, Stage.is_lost.is_(False))
        .order_by(Customer.next_follow_up, Customer.name).limit(limit)
        .options(joinedload(Customer.stage))
    ))


MAX_CANDIDATES = 60  # checkboxes on the plan-tomorrow form


def plan_candidates(user_id: int, limit: int = MAX_CANDIDATES,
                    planned: Iterable[int] = ()) -> list[Customer]:
    """Customers a rep may put on tomorrow's plan: their own, not lost, next follow-up
    first; the `limit` first ones plus every customer already `planned` (so saving the
    form again never drops a planned customer who was not among the first)."""
    stmt = (select(Customer).join(Stage, Stage.id == Customer.stage_id)
            .where(Customer.owner_id == user_id, Stage.is_lost.is_(False))
            .order_by(Customer.next_follow_up.is_(None), Customer.next_follow_up,
                      Customer.name, Customer.id))
    first = list(db.session.scalars(stmt.limit(limit)))
    have = {c.id for c in first}
    missing = [i for i in planned if i not in have]
    if missing:
        first += list(db.session.scalars(select(Customer).where(
            Customer.id.in_(missing), Customer.owner_id == user_id).order_by(Customer.name)))
    return first


def count_candidates(user_id: int) -> int:
    """How many customers plan_candidates could offer without a limit."""
    return int(db.session.scalar(
        select(func.count(Customer.id)).join(Stage, Stage.id == Customer.stage_id)
        .where(Customer.owner_id == user_id, Stage.is_lost.is_(False))) or 0)


@dataclass
class DayPlanInput:
    notes: str = ""
    customer_ids: list[str] = field(default_factory=list)


def save_day_plan(user: User, day: date, data: DayPlanInput) -> DailyPlan:
    """Create or replace the rep's plan for `day`: notes and the customers to see. Items
    already done (linked to a visit) stay. Bad input: Refused with the fields' messages,
    nothing written."""
    errors: dict[str, str] = {}
    notes = (data.notes or "").strip()
    if len(notes) > MAX_PLAN_NOTES:
        errors["notes"] = _("At most %(n)s characters.", n=MAX_PLAN_NOTES)
    ids: list[int] = []
    for raw in data.customer_ids:
        cid = parse_id(raw) or -1  # a huge or non-ASCII number is an unknown customer
        if cid not in ids:
            ids.append(cid)
    if len(ids) > MAX_PLAN_CUSTOMERS:
        errors["customers"] = _("At most %(n)s customers a day.", n=MAX_PLAN_CUSTOMERS)
    if ids:
        mine = set(db.session.scalars(
            select(Customer.id).where(Customer.id.in_(ids), Customer.owner_id == user.id)))
        if any(i not in mine for i in ids):
            errors["customers"] = _("Unknown customer: choose one of your customers.")
    if not notes and not ids and "notes" not in errors:
        errors["notes"] = _("Write a line or choose at least one customer to see.")
    refuse_fields(errors)
    plan = day_plan(user.id, day)
    if plan is None:
        plan = DailyPlan(user_id=user.id, day=day)
        db.session.add(plan)
    plan.notes = notes
    keep = [i for i in plan.items if i.visit_id is not None]
    have = {i.customer_id for i in keep}
    for item in list(plan.items):
        if item.visit_id is None:
            plan.items.remove(item)
    for cid in ids:
        if cid not in have:
            plan.items.append(DailyPlanItem(customer_id=cid))
    db.session.flush()
    return plan

"""Logging a visit: one validator and one writer for the form, the API and the offline sync.

`validate_visit` turns raw input (form strings or JSON values) into a `VisitData` or a
dict of field -> message; nothing is written on error. `record_visit` writes a valid
visit (and a new lead created with it) and moves the customer's stage and follow-up.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Company,
    Customer,
    DailyPlan,
    DailyPlanItem,
    ProductLine,
    Stage,
    User,
    Visit,
    VisitKind,
    VisitProduct,
)
from ..parsing import has_nul, parse_day, parse_id
from . import stage_history
from .company import company_tz

MAX_AMOUNT_FEN = 100_000_000 * 100  # 100 million CNY in one visit is absurd
MAX_EXPENSES_FEN = 1_000_000 * 100
FUTURE_SLACK = timedelta(minutes=15)  # phones' clocks drift a little
MAX_PAST = timedelta(days=366)
TEXT_LIMITS = {"place": 300, "purpose": 300, "outcome": 300, "materials": 300, "notes": 5000}
# The error key of a lead UUID already saved with other details: the sync answers "conflict".
LEAD_CONFLICT = "customer_uuid"
LEAD_LIMITS = {"new_customer_name": 200, "new_customer_contact": 120, "new_customer_phone": 40}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass
class NewLead:
    uuid: str
    name: str
    contact_name: str = ""
    phone: str = ""


@dataclass
class VisitData:
    customer_id: int | None
    new_lead: NewLead | None
    kind: VisitKind
    visited_at: datetime
    local_date: date
    place: str = ""
    latitude: float | None = None
    longitude: float | None = None
    purpose: str = ""
    notes: str = ""
    outcome: str = ""
    amount_signed: int = 0
    amount_collected: int = 0
    expenses: int = 0
    materials: str = ""
    next_follow_up: date | None = None
    stage_id: int | None = None
    product_line_ids: list[int] = field(default_factory=list)


@dataclass
class VisitLookups:
    """Per-batch caches (offline sync): the company, its active stages and product lines
    are looked up once per batch instead of once per visit. Optional everywhere."""

    company: Company | None = None
    stages: dict[str, Stage] | None = None  # code and str(id) -> active stage
    products: dict[str, int] | None = None  # code -> id of the active product lines
    lead_stage: Stage | None = None
    # Strong references: the session's identity map is weak, so a customer looked up
    # while validating would otherwise be loaded again by record_visit.
    customers: dict[int, Customer] = field(default_factory=dict)
    # (user id, day) -> {customer id: the open planned visit}, loaded once per day
    plan_items: dict[tuple[int, date], dict[int, DailyPlanItem]] = field(default_factory=dict)

    def customer(self, customer_id: int) -> Customer | None:
        if customer_id not in self.customers:
            c = db.session.get(Customer, customer_id)
            if c is None:
                return None
            self.customers[customer_id] = c
        return self.customers[customer_id]

    def open_plan_items(self, user_id: int, day: date) -> dict[int, DailyPlanItem]:
        key = (user_id, day)
        if key not in self.plan_items:
            self.plan_items[key] = {
                item.customer_id: item for item in db.session.scalars(
                    select(DailyPlanItem).join(DailyPlan).where(
                        DailyPlan.user_id == user_id, DailyPlan.day == day,
                        DailyPlanItem.visit_id.is_(None)))
            }
        return self.plan_items[key]

    def get_company(self, company_id: int) -> Company:
        if self.company is None or self.company.id != company_id:
            self.company = db.session.get(Company, company_id)
            self.stages = self.products = self.lead_stage = None
        assert self.company is not None
        return self.company

    def stage(self, company_id: int, code_or_id: str) -> Stage | None:
        if self.stages is None:
            self.stages = {}
            for st in db.session.scalars(select(Stage).where(
                    Stage.company_id == company_id, Stage.active.is_(True))):
                self.stages[st.code] = st
                self.stages[str(st.id)] = st
        return self.stages.get(code_or_id)

    def product_lines(self, company_id: int) -> dict[str, int]:
        if self.products is None:
            self.products = _product_lines(company_id)
        return self.products


def _product_lines(company_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(ProductLine.code, ProductLine.id).where(
            ProductLine.company_id == company_id, ProductLine.active.is_(True))
    ).all())


def parse_money(value: Any) -> int | None:
    """Yuan (a string like "12,345.67" or a number) -> fen. None if it is not money."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return None
    s = str(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    if len(s) > 40:  # no amount of money is written with more characters
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    if not d.is_finite() or not -30 <= d.adjusted() <= 30:  # 1e999999999: no Overflow
        return None if not d.is_finite() or d.adjusted() < -30 else (10**17 if d > 0 else -1)
    if abs(d) > Decimal(10) ** 15:  # far beyond any limit; the caller says "too large"
        return 10**17 if d > 0 else -1
    fen = d * 100
    if fen != fen.to_integral_value():  # more than two decimals
        return None
    return int(fen)


def _money(raw: Mapping[str, Any], key: str, limit: int, errors: dict[str, str]) -> int:
    fen_key = f"{key}_fen"
    if fen_key in raw and raw[fen_key] not in (None, ""):
        v = raw[fen_key]
        fen = v if isinstance(v, int) and not isinstance(v, bool) else None
    else:
        fen = parse_money(raw.get(key))
    if fen is None:
        errors[key] = _("Enter an amount in yuan, like 12800 or 12800.50.")
        return 0
    if fen < 0:
        errors[key] = _("An amount cannot be negative.")
        return 0
    if fen > limit:
        errors[key] = _("That amount is too large to be right (at most %(max)s yuan).",
                        max=f"{limit // 100:,}")
        return 0
    return fen


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return parse_day(value)
    return parse_day(value) if isinstance(value, str) else None


def _datetime(value: Any, company: Company) -> datetime | None:
    """An ISO moment (or a datetime-local value, company time) within sane years."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        s = value.strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:  # a datetime-local input is the company's local time
        dt = dt.replace(tzinfo=company_tz(company))
    return dt


def _lower_uuid(value: str) -> str:
    """UUIDs are stored lower-case; a phone may send them in either case."""
    return value.lower()


def _nul_fields(raw: Mapping[str, Any]) -> list[str]:
    bad = []
    for key, value in raw.items():
        values = value if isinstance(value, list | tuple) else [value]
        if has_nul(key) or any(has_nul(v) for v in values):
            bad.append(str(key).replace("\x00", ""))
    return bad


def validate_visit(
    raw: Mapping[str, Any], user: User, *, now: datetime, pending_leads: Mapping[str, int] = {},
    lookups: VisitLookups | None = None,
) -> tuple[VisitData | None, dict[str, str]]:
    """Check everything; return (data, {}) or (None, {field: message}). Never raises on
    bad input: every wrong type, size, date or character becomes a field's message."""
    errors: dict[str, str] = {}
    if lookups is not None:
        company = lookups.get_company(user.unit.company_id)
    else:
        company = db.session.get(Company, user.unit.company_id)
    assert company is not None

    # NUL bytes: PostgreSQL cannot store them, SQLite can; refused everywhere alike.
    for key in _nul_fields(raw):
        errors[key] = _("This field contains an invisible NUL character that cannot be "
                        "saved; retype it.")

    # Every text field is a string (a JSON number is taken as its digits).
    texts_in: dict[str, str] = {}
    for key in (*TEXT_LIMITS, *LEAD_LIMITS, "customer_uuid", "kind", "stage"):
        v = raw.get(key)
        if v is None:
            texts_in[key] = ""
        elif isinstance(v, str):
            texts_in[key] = v.replace("\x00", "").strip()
        elif isinstance(v, int | float) and not isinstance(v, bool):
            texts_in[key] = str(v)
        else:
            errors.setdefault(key, _("Enter text here."))
            texts_in[key] = ""

    # Customer: one of the rep's own, or a new lead typed in.
    customer_id: int | None = None
    new_lead: NewLead | None = None
    cid = raw.get("customer_id")
    cuuid = _lower_uuid(texts_in["customer_uuid"])
    lead_name = texts_in["new_customer_name"]
    if cid not in (None, ""):
        cid_int = parse_id(cid)
        # The whole row (not just its owner): record_visit then finds it in the session.
        if cid_int is None:
            known = None
        elif lookups is not None:
            known = lookups.customer(cid_int)
        else:
            known = db.session.get(Customer, cid_int)
        if known is None or known.owner_id != user.id:
            errors["customer_id"] = _("Unknown customer: choose one of your customers.")
        else:
            customer_id = cid_int
    elif cuuid and not lead_name:
        # A customer referred to by its UUID: an existing one of the rep's, or a lead made
        # earlier in the same offline batch.
        row = db.session.execute(
            select(Customer.id, Customer.owner_id).where(Customer.uuid == cuuid)
        ).first() if UUID_RE.match(cuuid) else None
        if row is not None and row.owner_id == user.id:
            customer_id = row.id
        elif cuuid in pending_leads:
            customer_id = pending_leads[cuuid]
        else:
            errors["customer_id"] = _("Unknown customer: choose one of your customers.")
    elif lead_name:
        for key, limit in LEAD_LIMITS.items():
            if len(texts_in[key]) > limit:
                errors[key] = _("At most %(n)s characters.", n=limit)
        if len(lead_name) > LEAD_LIMITS["new_customer_name"]:
            errors["new_customer_name"] = _("A name can have at most 200 characters.")
        lead_uuid = cuuid or str(uuidlib.uuid4())
        lead = NewLead(uuid=lead_uuid, name=lead_name,
                       contact_name=texts_in["new_customer_contact"],
                       phone=texts_in["new_customer_phone"])
        existing = None
        if not UUID_RE.match(lead_uuid):
            errors["new_customer_name"] = _("The new customer's id is not valid.")
        elif cuuid:
            existing = db.session.execute(
                select(Customer.id, Customer.owner_id, Customer.name, Customer.contact_name,
                       Customer.phone).where(Customer.uuid == lead_uuid)
            ).first()
        if existing is None and lead_uuid in pending_leads:
            c = (lookups.customer(pending_leads[lead_uuid]) if lookups is not None
                 else db.session.get(Customer, pending_leads[lead_uuid]))
            existing = c
        if existing is not None:
            # The lead was made already (an earlier visit of the same offline outbox
            # carried it too): this visit is to that lead; it is not made twice. With other
            # details it is a conflict (reported, not silently dropped).
            if existing.owner_id != user.id:
                errors["new_customer_name"] = _("The new customer's id is not valid.")
            elif (existing.name, existing.contact_name or "", existing.phone or "") != (
                    lead.name, lead.contact_name, lead.phone):
                errors[LEAD_CONFLICT] = _(
                    "A new customer with this id was already saved with other details "
                    "(%(name)s); this visit was not applied.", name=existing.name)
            else:
                customer_id = existing.id
        elif not errors:
            new_lead = lead
    else:
        errors["customer_id"] = _("Choose a customer, or type the name of a new one.")

    try:
        kind = VisitKind(texts_in["kind"])
    except ValueError:
        errors["kind"] = _("Choose the kind of visit.")
        kind = VisitKind.EXISTING

    at_raw = raw.get("visited_at")
    visited_at = now if at_raw in (None, "") else _datetime(at_raw, company)
    local_date: date | None = None
    if visited_at is None:
        errors["visited_at"] = _("Enter the time of the visit, like 2026-11-27 14:30.")
        visited_at = now
    else:
        try:
            if visited_at > now + FUTURE_SLACK:
                errors["visited_at"] = _("The visit time is in the future.")
            elif visited_at < now - MAX_PAST:
                errors["visited_at"] = _("The visit time is more than a year ago.")
            else:  # only a valid time has a local day (no overflow at year 1 or 9999)
                local_date = visited_at.astimezone(company_tz(company)).date()
        except (OverflowError, ValueError):
            errors["visited_at"] = _("Enter the time of the visit, like 2026-11-27 14:30.")

    amount_signed = _money(raw, "amount_signed", MAX_AMOUNT_FEN, errors)
    amount_collected = _money(raw, "amount_collected", MAX_AMOUNT_FEN, errors)
    expenses = _money(raw, "expenses", MAX_EXPENSES_FEN, errors)

    texts = {}
    for key, limit in TEXT_LIMITS.items():
        value = texts_in[key]
        if len(value) > limit:
            errors[key] = _("At most %(n)s characters.", n=limit)
        texts[key] = value

    lat = lng = None
    if raw.get("latitude") not in (None, "") or raw.get("longitude") not in (None, ""):
        lat, lng = _coordinate(raw.get("latitude"), 90), _coordinate(raw.get("longitude"), 180)
        if lat is None or lng is None:
            errors["place"] = _("The location from the phone is not valid.")
            lat = lng = None

    follow: date | None = None
    if raw.get("next_follow_up") not in (None, ""):
        follow = _date(raw.get("next_follow_up"))
        if follow is None:
            errors["next_follow_up"] = _("Enter a date, like 2026-12-01.")
        elif local_date is None:
            pass  # checked against the visit's day once the visit's time is right
        elif follow < local_date:
            errors["next_follow_up"] = _("The next follow-up cannot be before the visit.")
        elif follow > local_date + timedelta(days=366):
            errors["next_follow_up"] = _("The next follow-up is more than a year away.")

    stage_id: int | None = None
    stage_raw = texts_in["stage"]
    if stage_raw:
        if lookups is not None:
            stage = lookups.stage(company.id, stage_raw)
        else:
            sid = parse_id(stage_raw)
            cond = Stage.code == stage_raw
            if sid is not None:
                cond = cond | (Stage.id == sid)
            stage = db.session.scalar(
                select(Stage).where(Stage.company_id == company.id, Stage.active.is_(True), cond)
            )
        if stage is None:
            errors["stage"] = _("That stage does not exist.")
        else:
            stage_id = stage.id

    product_ids: list[int] = []
    products = raw.get("products")
    if products in (None, ""):
        products = []
    elif isinstance(products, str):
        products = [products]
    if not isinstance(products, list) or not all(
            isinstance(p, str | int) and not isinstance(p, bool) for p in products):
        errors["products"] = _("Unknown product line.")
        products = []
    if products:
        valid = (lookups.product_lines(company.id) if lookups is not None
                 else _product_lines(company.id))
        by_id = set(valid.values())
        for p in products:
            pid = valid.get(str(p)) or (_int_or(p) if _int_or(p) in by_id else None)
            if pid is None:
                errors["products"] = _("Unknown product line.")
            elif pid not in product_ids:
                product_ids.append(pid)

    if errors or local_date is None:
        return None, errors
    return VisitData(
        customer_id=customer_id, new_lead=new_lead, kind=kind, visited_at=visited_at,
        local_date=local_date, latitude=lat, longitude=lng, amount_signed=amount_signed,
        amount_collected=amount_collected, expenses=expenses, next_follow_up=follow,
        stage_id=stage_id, product_line_ids=product_ids, **texts,
    ), {}


def _coordinate(value: Any, limit: int) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        f = float(value)
    except (ValueError, OverflowError):
        return None
    return f if -limit <= f <= limit else None  # NaN and infinities fail here


def _int_or(value: Any) -> int:
    n = parse_id(value)
    return -1 if n is None else n


def record_visit(user: User, data: VisitData, visit_id: str | None = None,
                 payload_hash: str | None = None, lookups: VisitLookups | None = None,
                 flush: bool = True) -> Visit:
    """Write a validated visit (in the caller's transaction; the caller commits).
    flush=False leaves the INSERTs to the caller's next flush (a sync batch flushes once)."""
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
    else:
        customer = (lookups.customer(data.customer_id) if lookups is not None
                    else db.session.get(Customer, data.customer_id))
        assert customer is not None and customer.owner_id == user.id
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
    if lookups is not None:
        item = lookups.open_plan_items(user.id, data.local_date).pop(customer.id, None)
    else:
        item = db.session.scalar(
            select(DailyPlanItem).join(DailyPlan).where(
                DailyPlan.user_id == user.id, DailyPlan.day == data.local_date,
                DailyPlanItem.customer_id == customer.id, DailyPlanItem.visit_id.is_(None))
        )
    if item is not None:
        item.visit_id = visit.id
    if flush:
        db.session.flush()
    return visit


# Form fields that are not part of the visit: the outbox leaves them out of its payload.
FORM_ONLY = ("csrf_token", "q", "context", "id", "lead_uuid")


def form_payload(form: Any) -> dict[str, Any]:
    """The payload static/js/offline.js makes of the same form (formPayload + saveForm), so a
    form POST whose answer was lost and the same visit sent again from the outbox hash
    alike: trimmed values, empty ones left out, products as a list, and a new lead carrying
    the form's lead UUID instead of a customer id."""
    payload: dict[str, Any] = {}
    for key in form.keys():
        if key in FORM_ONLY:
            continue
        values = [str(v).strip() for v in form.getlist(key)]
        if key == "products":
            payload[key] = values
            continue
        filled = [v for v in values if v != ""]
        if filled:
            payload[key] = filled[-1]
    if payload.get("new_customer_name"):
        lead = str(form.get("lead_uuid", "")).strip().lower()
        if UUID_RE.match(lead):
            payload["customer_uuid"] = lead
        payload.pop("customer_id", None)
    return payload


def payload_hash(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a sync payload: same UUID + other hash = conflict."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()

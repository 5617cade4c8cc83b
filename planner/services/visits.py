"""Logging a visit: one validator and one writer for the form, the API and the offline sync.

`validate_visit` turns raw input (form strings or JSON values) into a `VisitData`, or
refuses it (Refused, with a message for every bad field); nothing is written on error.
`record_visit` writes a valid visit (and a new lead created with it) and moves the
customer's stage and follow-up.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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
from ..money import MoneyError, parse_fen
from ..parsing import parse_day, parse_id, printable_key, unstorable
from ..refusal import Refused
from . import stage_history
from .company import company_tz

MAX_AMOUNT_FEN = 100_000_000 * 100  # 100 million CNY in one visit is absurd
MAX_EXPENSES_FEN = 1_000_000 * 100
MONEY_FIELDS = {"amount_signed": MAX_AMOUNT_FEN, "amount_collected": MAX_AMOUNT_FEN,
                "expenses": MAX_EXPENSES_FEN}
FUTURE_SLACK = timedelta(minutes=15)  # phones' clocks drift a little
MAX_PAST = timedelta(days=366)
TEXT_LIMITS = {"place": 300, "purpose": 300, "outcome": 300, "materials": 300, "notes": 5000}
# The error key of a lead UUID already saved with other details: the sync answers "conflict".
LEAD_CONFLICT = "customer_uuid"
LEAD_LIMITS = {"new_customer_name": 200, "new_customer_contact": 120, "new_customer_phone": 40}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.I)


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
            # A customer is found by id only once it is stored (a lead made earlier in the
            # batch has its id from a flush): no flush of the batch's pending visits here,
            # so they go in together, batched, at the end.
            with db.session.no_autoflush:
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

    def get_company(self, user: User) -> Company:
        company = user.company
        if self.company is None or self.company.id != company.id:
            self.company = company
            self.stages = self.products = self.lead_stage = None
        return company

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
    """Yuan (a string like "12,345.67" or a number) -> fen, by the app's one money parser
    (planner.money). None if it is not a plain amount."""
    try:
        return parse_fen(value)
    except MoneyError:
        return None


@dataclass
class _Check:
    """What the field validators share: the input, the rep, the company and the errors."""

    raw: Mapping[str, Any]
    user: User
    company: Company
    now: datetime
    lookups: VisitLookups | None
    pending_leads: Mapping[str, int]
    errors: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # every text field, trimmed
    out: dict[str, Any] = field(default_factory=dict)  # VisitData's fields

    def customer_row(self, customer_id: int) -> Customer | None:
        # The whole row (not just its owner): record_visit then finds it in the session.
        if self.lookups is not None:
            return self.lookups.customer(customer_id)
        return db.session.get(Customer, customer_id)


def _check_nul(c: _Check) -> None:
    """NUL bytes: PostgreSQL cannot store them, SQLite can; refused everywhere alike."""
    for key in _nul_fields(c.raw):
        c.errors[key] = _("This field contains an invisible NUL character that cannot be "
                          "saved; retype it.")


def _check_texts(c: _Check) -> None:
    """Every text field is a string (a JSON number is taken as its digits)."""
    for key in (*TEXT_LIMITS, *LEAD_LIMITS, "customer_uuid", "kind", "stage"):
        v = c.raw.get(key)
        if v is None:
            c.texts[key] = ""
        elif isinstance(v, str):
            c.texts[key] = v.replace("\x00", "").strip()
        elif isinstance(v, int | float) and not isinstance(v, bool):
            c.texts[key] = str(v)
        else:
            c.errors.setdefault(key, _("Enter text here."))
            c.texts[key] = ""


def _check_limits(c: _Check) -> None:
    for key, limit in TEXT_LIMITS.items():
        if len(c.texts[key]) > limit:
            c.errors[key] = _("At most %(n)s characters.", n=limit)
        c.out[key] = c.texts[key]


def _check_customer(c: _Check) -> None:
    """One of the rep's own customers, by id or UUID, or a new lead typed in."""
    c.out["customer_id"] = c.out["new_lead"] = None
    cid = c.raw.get("customer_id")
    cuuid = _lower_uuid(c.texts["customer_uuid"])
    if cid not in (None, ""):
        cid_int = parse_id(cid)
        known = c.customer_row(cid_int) if cid_int is not None else None
        if known is None or known.owner_id != c.user.id:
            c.errors["customer_id"] = _("Unknown customer: choose one of your customers.")
        else:
            c.out["customer_id"] = cid_int
    elif cuuid and not c.texts["new_customer_name"]:
        _check_customer_uuid(c, cuuid)
    elif c.texts["new_customer_name"]:
        _check_new_lead(c, cuuid)
    else:
        c.errors["customer_id"] = _("Choose a customer, or type the name of a new one.")


def _check_customer_uuid(c: _Check, cuuid: str) -> None:
    """An existing customer of the rep's by its UUID, or a lead made earlier in the same
    offline batch."""
    row = db.session.execute(
        select(Customer.id, Customer.owner_id).where(Customer.uuid == cuuid)
    ).first() if UUID_RE.match(cuuid) else None
    if row is not None and row.owner_id == c.user.id:
        c.out["customer_id"] = row.id
    elif cuuid in c.pending_leads:
        c.out["customer_id"] = c.pending_leads[cuuid]
    else:
        c.errors["customer_id"] = _("Unknown customer: choose one of your customers.")


def _check_new_lead(c: _Check, cuuid: str) -> None:
    t = c.texts
    for key, limit in LEAD_LIMITS.items():
        if len(t[key]) > limit:
            c.errors[key] = _("At most %(n)s characters.", n=limit)
    lead = NewLead(uuid=cuuid or str(uuidlib.uuid4()), name=t["new_customer_name"],
                   contact_name=t["new_customer_contact"], phone=t["new_customer_phone"])
    existing: Any = None
    if not UUID_RE.match(lead.uuid):
        c.errors["new_customer_name"] = _("The new customer's id is not valid.")
    elif cuuid:
        existing = db.session.execute(
            select(Customer.id, Customer.owner_id, Customer.name, Customer.contact_name,
                   Customer.phone).where(Customer.uuid == lead.uuid)
        ).first()
    if existing is None and lead.uuid in c.pending_leads:
        existing = c.customer_row(c.pending_leads[lead.uuid])
    if existing is None:
        if not c.errors:
            c.out["new_lead"] = lead
        return
    # The lead was made already (an earlier visit of the same offline outbox carried it
    # too): this visit is to that lead; it is not made twice. With other details it is a
    # conflict (reported, not silently dropped).
    if existing.owner_id != c.user.id:
        c.errors["new_customer_name"] = _("The new customer's id is not valid.")
    elif (existing.name, existing.contact_name or "", existing.phone or "") != (
            lead.name, lead.contact_name, lead.phone):
        c.errors[LEAD_CONFLICT] = _(
            "A new customer with this id was already saved with other details "
            "(%(name)s); this visit was not applied.", name=existing.name)
    else:
        c.out["customer_id"] = existing.id


def _check_kind(c: _Check) -> None:
    try:
        c.out["kind"] = VisitKind(c.texts["kind"])
    except ValueError:
        c.errors["kind"] = _("Choose the kind of visit.")


def _check_time(c: _Check) -> None:
    """The time typed (or sent), else the moment the rep saved it (`logged_at`, sent by
    the phone's outbox), else now. Stored as an instant; its company-local day counts."""
    at_raw = c.raw.get("visited_at")
    if at_raw in (None, ""):
        logged = c.raw.get("logged_at")
        at = _datetime(logged, c.company) if logged not in (None, "") else None
        # A phone's save time that is not a time, or out of range, is not the rep's fault.
        ok = at is not None and c.now - MAX_PAST <= at <= c.now + FUTURE_SLACK
        visited_at: datetime | None = at if ok else c.now
    else:
        visited_at = _datetime(at_raw, c.company)
    if visited_at is None:
        c.errors["visited_at"] = _("Enter the time of the visit, like 2026-11-27 14:30.")
        return
    try:
        if visited_at > c.now + FUTURE_SLACK:
            c.errors["visited_at"] = _("The visit time is in the future.")
        elif visited_at < c.now - MAX_PAST:
            c.errors["visited_at"] = _("The visit time is more than a year ago.")
        else:  # only a valid time has a local day (no overflow at year 1 or 9999)
            c.out["visited_at"] = visited_at.astimezone(UTC)
            c.out["local_date"] = visited_at.astimezone(company_tz(c.company)).date()
    except (OverflowError, ValueError):
        c.errors["visited_at"] = _("Enter the time of the visit, like 2026-11-27 14:30.")


def _check_money(c: _Check) -> None:
    for key, limit in MONEY_FIELDS.items():
        c.out[key] = _money(c.raw, key, limit, c.errors)


def _money(raw: Mapping[str, Any], key: str, limit: int, errors: dict[str, str]) -> int:
    """Yuan in `key` (typed), or integer fen in `key_fen` (the API's JSON)."""
    fen_key = f"{key}_fen"
    try:
        if fen_key in raw and raw[fen_key] not in (None, ""):
            v = raw[fen_key]
            if not isinstance(v, int) or isinstance(v, bool):
                raise MoneyError(_("Send the amount as a whole number of fen."))
            if v < 0:
                raise MoneyError(_("An amount cannot be negative."))
            if v > limit:
                parse_fen(str(limit + 1), limit=limit)  # raises "too large"
            return v
        return parse_fen(raw.get(key), limit=limit)
    except MoneyError as exc:
        errors[key] = str(exc)
        return 0


def _check_location(c: _Check) -> None:
    c.out["latitude"] = c.out["longitude"] = None
    lat_raw, lng_raw = c.raw.get("latitude"), c.raw.get("longitude")
    if lat_raw in (None, "") and lng_raw in (None, ""):
        return
    lat, lng = _coordinate(lat_raw, 90), _coordinate(lng_raw, 180)
    if lat is None or lng is None:
        c.errors["place"] = _("The location from the phone is not valid.")
    else:
        c.out["latitude"], c.out["longitude"] = lat, lng


def _check_follow_up(c: _Check) -> None:
    c.out["next_follow_up"] = None
    if c.raw.get("next_follow_up") in (None, ""):
        return
    follow = _date(c.raw.get("next_follow_up"))
    local_date = c.out.get("local_date")
    if follow is None:
        c.errors["next_follow_up"] = _("Enter a date, like 2026-12-01.")
    elif local_date is None:
        pass  # checked against the visit's day once the visit's time is right
    elif follow < local_date:
        c.errors["next_follow_up"] = _("The next follow-up cannot be before the visit.")
    elif follow > local_date + timedelta(days=366):
        c.errors["next_follow_up"] = _("The next follow-up is more than a year away.")
    else:
        c.out["next_follow_up"] = follow


def _check_stage(c: _Check) -> None:
    c.out["stage_id"] = None
    stage_raw = c.texts["stage"]
    if not stage_raw:
        return
    if c.lookups is not None:
        stage = c.lookups.stage(c.company.id, stage_raw)
    else:
        sid = parse_id(stage_raw)
        cond = Stage.code == stage_raw
        if sid is not None:
            cond = cond | (Stage.id == sid)
        stage = db.session.scalar(
            select(Stage).where(Stage.company_id == c.company.id, Stage.active.is_(True), cond))
    if stage is None:
        c.errors["stage"] = _("That stage does not exist.")
    else:
        c.out["stage_id"] = stage.id


def _check_products(c: _Check) -> None:
    ids: list[int] = []
    c.out["product_line_ids"] = ids
    products = c.raw.get("products")
    if products in (None, ""):
        return
    if isinstance(products, str):
        products = [products]
    if not isinstance(products, list) or not all(
            isinstance(p, str | int) and not isinstance(p, bool) for p in products):
        c.errors["products"] = _("Unknown product line.")
        return
    valid = (c.lookups.product_lines(c.company.id) if c.lookups is not None
             else _product_lines(c.company.id))
    by_id = set(valid.values())
    for p in products:
        pid = valid.get(str(p)) or (_int_or(p) if _int_or(p) in by_id else None)
        if pid is None:
            c.errors["products"] = _("Unknown product line.")
        elif pid not in ids:
            ids.append(pid)


# The per-field validators, in order (the follow-up is checked against the visit's day).
FIELD_CHECKS = (_check_nul, _check_texts, _check_customer, _check_kind, _check_time,
                _check_money, _check_limits, _check_location, _check_follow_up,
                _check_stage, _check_products)


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
        if unstorable(key) or any(unstorable(v) for v in values):
            bad.append(printable_key(key))
    return bad


def validate_visit(
    raw: Mapping[str, Any], user: User, *, now: datetime, pending_leads: Mapping[str, int] = {},
    lookups: VisitLookups | None = None,
) -> VisitData:
    """Check everything; return the visit, or raise Refused with {field: message}: every
    wrong type, size, date or character becomes a field's message (nothing else is
    raised on bad input). The form, the API and the offline sync all come here (through
    services.intake)."""
    if lookups is not None:
        company = lookups.get_company(user)
    else:
        company = user.company
    c = _Check(raw=raw, user=user, company=company, now=now, lookups=lookups,
               pending_leads=pending_leads)
    for check in FIELD_CHECKS:
        check(c)
    if c.errors or "local_date" not in c.out:
        raise Refused(_("Please correct the highlighted fields."), c.errors)
    return VisitData(**c.out)


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


# Form fields that are not part of the visit: the outbox leaves them out of its payload.
FORM_ONLY = ("csrf_token", "q", "context", "id", "lead_uuid")


def form_payload(form: Any) -> dict[str, Any]:
    """The payload static/js/offline/form.js makes of the same form (formPayload +
    saveForm), so a form POST whose answer was lost and the same visit sent again from the
    outbox hash alike: trimmed values, empty ones left out, products as a list; a customer
    picked wins over a lead's name typed, and a new lead carries the form's lead UUID."""
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
    if payload.get("customer_id"):
        # A customer picked: the visit is to that customer (a lead's name typed before
        # the pick is not a new lead).
        for key in LEAD_LIMITS:
            payload.pop(key, None)
    elif payload.get("new_customer_name"):
        lead = str(form.get("lead_uuid", "")).strip().lower()
        if UUID_RE.match(lead):
            payload["customer_uuid"] = lead
    return payload


# Keys that are not part of what the visit says: the id is the key itself; `logged_at` is
# when the phone saved it (the time of a visit whose time was left empty), which a form
# POST does not carry: the same visit sent both ways must hash alike.
NOT_HASHED = (*FORM_ONLY, "logged_at", "user", "type")


_NOT_HASHED = frozenset(NOT_HASHED)
_MONEY_KEYS = tuple((key, f"{key}_fen") for key in MONEY_FIELDS)
_PLAIN_YUAN = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,2})?")  # the common case, parsed quickly


def _canon_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        v = value.strip()
        return v.lower() if key == "customer_uuid" else v
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        items = [_canon_value(key, v) for v in value]
        return sorted((v for v in items if v not in (None, "")), key=str)
    return value


def _canon_fen(value: Any) -> int | None:
    if isinstance(value, str) and _PLAIN_YUAN.fullmatch(value):
        yuan, _point, cents = value.partition(".")
        return int(yuan) * 100 + int((cents + "00")[:2])
    return parse_money(value)


def canonical_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a visit says, the same whichever way it came (form, API, outbox): trimmed
    text, numbers as their digits, empty values and the channel's own keys left out,
    products in order, and money as integer fen (`12800` yuan = `amount_signed_fen`
    1280000) where it parses."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _NOT_HASHED:
            continue
        if type(value) is str:  # nearly every value: quickly
            v: Any = value.strip()
            if key == "customer_uuid":
                v = v.lower()
        else:
            v = _canon_value(str(key), value)
        if v is not None and v != "" and v != []:
            out[str(key)] = v
    for key, fen_key in _MONEY_KEYS:
        if key not in out and fen_key not in out:
            continue
        fen_raw = payload.get(fen_key)
        if isinstance(fen_raw, int) and not isinstance(fen_raw, bool):
            fen: int | None = fen_raw
        elif fen_key in out:
            continue  # not money: hashed as sent (it is rejected anyway)
        else:
            fen = _canon_fen(out[key])
        if fen is None:
            continue
        out.pop(key, None)
        out.pop(fen_key, None)
        if fen:
            out[fen_key] = fen
    return out


def _digest(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def payload_hash(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical payload: same id + other hash = conflict."""
    return _digest(canonical_payload(payload))


def same_payload(stored: str | None, payload: Mapping[str, Any]) -> bool:
    """Whether a stored hash is this payload's: the canonical hash, or the hash of the
    payload exactly as sent (how hashes were made before the canonical form)."""
    return stored is not None and (stored == payload_hash(payload) or stored == _digest(payload))

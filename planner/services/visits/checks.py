"""Checking a visit: `validate_visit` turns raw input (form strings or JSON values) into a
`VisitData`, or refuses it (Refused, with a message for every bad field); nothing is
written on error. Small per-field validators, run in order (FIELD_CHECKS)."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Company, Customer, Stage, User, VisitKind
from ...money import MoneyError, parse_fen
from ...parsing import parse_day, parse_id, printable_key, unstorable
from ...refusal import Refused
from ..company import company_tz
from .lookups import VisitLookups, active_product_lines
from .rules import (
    FUTURE_SLACK,
    LEAD_CONFLICT,
    LEAD_LIMITS,
    MAX_PAST,
    MONEY_FIELDS,
    TEXT_LIMITS,
    UUID_RE,
    NewLead,
    VisitData,
)


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
             else active_product_lines(c.company.id))
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
    services.visits.intake)."""
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

"""A company's first set-up (the `planner setup` command) and its details page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

import holidays as holidays_pkg
from sqlalchemy import func, select

from ...extensions import db
from ...models import Company, OrgUnit, Role, UnitKind, User
from ...refusal import refuse_fields
from ...security import hash_password
from ..catalog.metrics import seed_company  # the module: catalog itself imports org
from . import audit, fields
from .fields import _
from .invitations import invite, unusable_password
from .people import username_taken

CURRENCIES = ("CNY", "HKD", "TWD", "USD", "EUR", "JPY", "SGD")


@dataclass
class Details:
    name: str
    timezone: str
    country: str
    fiscal_first_month: int
    currency: str


def check_details(form: Mapping[str, Any], errors: dict[str, str],
                  except_id: int | None = None) -> Details:
    name = fields.name(errors, "name", form.get("name"), max_len=200)
    if "name" not in errors and name_taken(name, except_id):
        errors["name"] = _("A company with this name exists already.")
    tz = str(form.get("timezone") or "").strip()
    if tz not in available_timezones():
        errors["timezone"] = _("Choose a time zone such as Asia/Shanghai.")
    country = str(form.get("country") or "").strip().upper()
    if country not in holidays_pkg.list_supported_countries():
        errors["country"] = _("Enter a two-letter country code the holiday calendar knows, "
                              "such as CN.")
    month_text = str(form.get("fiscal_first_month") or "").strip()
    month = int(month_text) if month_text.isascii() and month_text.isdigit() else 0
    if not 1 <= month <= 12:
        errors["fiscal_first_month"] = _("Choose a month from 1 to 12.")
    currency = str(form.get("currency") or "").strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = _("Choose one of: %(list)s.", list=", ".join(CURRENCIES))
    return Details(name, tz, country, month, currency)


def name_taken(name: str, except_id: int | None = None) -> bool:
    q = select(Company.id).where(func.lower(Company.name) == name.lower())
    if except_id is not None:
        q = q.where(Company.id != except_id)
    return db.session.scalar(q) is not None


@dataclass
class SetUp:
    company: Company
    admin: User
    token: str | None  # the activation link's token when no password was given


def set_up(form: Mapping[str, Any], password: str | None) -> SetUp:
    """Create a company, its root unit, its catalogue's defaults (lead stages, the seed's
    metrics) and its first administrator, with a password or (None) an activation link.
    Refused for a company name that exists already."""
    errors: dict[str, str] = {}
    d = check_details(form, errors)
    login = fields.username(errors, "username", form.get("username"))
    if "username" not in errors and username_taken(login):
        errors["username"] = _("This username is taken (usernames are unique across "
                               "every company).")
    admin_name = fields.name(errors, "display_name", form.get("display_name"))
    if password is not None:
        fields.password(errors, "password", password, password, login)
    refuse_fields(errors)
    company = Company(name=d.name, timezone=d.timezone, country=d.country,
                      fiscal_first_month=d.fiscal_first_month, currency=d.currency)
    db.session.add(company)
    db.session.flush()
    root = OrgUnit(company_id=company.id, kind=UnitKind.COMPANY, code="company",
                   name=d.name, name_en="", path="/")
    db.session.add(root)
    db.session.flush()
    root.set_path()
    admin = User(username=login, display_name=admin_name, role=Role.ADMIN, unit_id=root.id,
                 password_hash=hash_password(password) if password is not None
                 else unusable_password())
    db.session.add(admin)
    db.session.flush()
    audit.record(admin, "create", "company", company.id, None, None, d.name)
    audit.record(admin, "create", "user", admin.id, None, None, f"{login} (admin)",
                 {"unit_id": root.id})
    seed_company(company.id)
    token = invite(admin, admin) if password is None else None
    db.session.flush()
    return SetUp(company, admin, token)


def update_details(actor: User, company: Company, form: Mapping[str, Any]) -> int:
    errors: dict[str, str] = {}
    d = check_details(form, errors, except_id=company.id)
    refuse_fields(errors)
    n = audit.changes(actor, "company", company, {
        "name": d.name, "timezone": d.timezone, "country": d.country,
        "fiscal_first_month": d.fiscal_first_month, "currency": d.currency})
    db.session.flush()
    return n

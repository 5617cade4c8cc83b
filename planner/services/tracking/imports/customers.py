"""The customers import: new customers, each with its owner (a rep the importer may
see), type, channel, region and stage, and its first stage move."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from ....access import visible_users
from ....extensions import db
from ....models import (
    Channel,
    Customer,
    CustomerType,
    OrgUnit,
    Role,
    Stage,
    StageMove,
    UnitKind,
    User,
)
from ...company import local_today
from .sheet import Result, Row, _, by_name, sheet_rows

PHONE_RE = re.compile(r"[0-9+\-() ]{3,40}")


class _CustomerLookups:
    """What a customers sheet's cells name, looked up once per import."""

    def __init__(self, viewer: User) -> None:
        company = self.company = viewer.company
        self.types = by_name(CustomerType, company.id)
        self.channels = by_name(Channel, company.id)
        self.stages = {k: s for k, s in by_name(Stage, company.id).items() if s.active}
        self.first_stage = db.session.scalar(select(Stage).where(
            Stage.company_id == company.id, Stage.active.is_(True)).order_by(Stage.sort))
        self.regions = {k: u for k, u in _lookup_units(company.id).items()
                        if u.kind == UnitKind.REGION}
        self.reps = {u.username.lower(): u for u in db.session.scalars(select(User).where(
            User.id.in_(visible_users(viewer)), User.role == Role.REP))}
        self.existing = {(n.lower(), o) for n, o in db.session.execute(select(
            Customer.name, Customer.owner_id).where(Customer.company_id == company.id))}
        self.today = local_today(company)

    def named(self, row: Row, key: str, lookup: dict[str, Any], message: str) -> Any:
        """The object a cell names (None when empty; an error when unknown)."""
        if not row.text(key):
            return None
        got = lookup.get(row.text(key).lower())
        if got is None:
            row.error(key, message)
        return got

    def region(self, row: Row, owner: User | None) -> None:
        if row.text("region"):
            region = self.regions.get(row.text("region").lower())
            if region is None:
                row.error("region", _("No such region."))
            elif owner is not None and not owner.unit.path.startswith(region.path):
                row.error("region", _("The owner does not work in this region."))


def _customer_name(row: Row) -> str:
    name = row.text("name")
    if not name:
        row.error("name", _("A customer needs a name."))
    elif len(name) > 200:
        row.error("name", _("At most %(n)d characters.", n=200))
    return name


def _customer_contact(row: Row) -> tuple[str, str]:
    """(contact, phone), each checked."""
    contact = row.text("contact")
    if len(contact) > 120:
        row.error("contact", _("At most %(n)d characters.", n=120))
    phone = row.text("phone")
    if phone and not PHONE_RE.fullmatch(phone):
        row.error("phone", _("Not a phone number."))
    return contact, phone


def _customer_row(row: Row, lk: _CustomerLookups,
                  seen: dict[tuple[str, int], int]) -> tuple[Customer, Stage] | None:
    """A row checked: the new customer and its stage, or None (errors said)."""
    name = _customer_name(row)
    owner = lk.reps.get(row.text("owner").lower())
    if owner is None:
        row.error("owner", _("No rep with this username in your unit."))
    ctype = lk.named(row, "type", lk.types, _("No such customer type."))
    channel = lk.named(row, "channel", lk.channels, _("No such channel."))
    stage = lk.named(row, "stage", lk.stages, _("No such stage.")) if row.text("stage") \
        else lk.first_stage
    lk.region(row, owner)
    contact, phone = _customer_contact(row)
    if row.bad or owner is None or stage is None:
        return None
    key = (name.lower(), owner.id)
    if key in lk.existing:
        row.error("name", _("This rep already has a customer with this name."))
        return None
    if key in seen:
        row.error("name", _("The same customer is on row %(n)d too.", n=seen[key]))
        return None
    seen[key] = row.n
    return Customer(company_id=lk.company.id, owner_id=owner.id, name=name,
                    contact_name=contact, phone=phone,
                    customer_type_id=ctype.id if ctype else None,
                    channel_id=channel.id if channel else None, stage_id=stage.id,
                    first_won_on=lk.today if stage.is_won else None), stage


def import_customers(viewer: User, cols: dict[str, int], head: list[str],
                      rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    lk = _CustomerLookups(viewer)
    seen: dict[tuple[str, int], int] = {}
    new = [got for got in (_customer_row(row, lk, seen) for row in
                           sheet_rows("customers", cols, head, rows, result.errors))
           if got is not None]
    if result.errors or dry_run:
        return
    for c, _s in new:
        db.session.add(c)
    db.session.flush()
    for c, s in new:
        db.session.add(StageMove(customer_id=c.id, user_id=c.owner_id, from_stage_id=None,
                                 to_stage_id=s.id, day=lk.today))
    db.session.flush()
    result.changed = len(new)


def _lookup_units(company_id: int) -> dict[str, OrgUnit]:
    out: dict[str, OrgUnit] = {}
    for u in db.session.scalars(select(OrgUnit).where(OrgUnit.company_id == company_id)):
        for k in (u.code, u.name, u.name_en):
            if k:
                out[k.strip().lower()] = u
    return out

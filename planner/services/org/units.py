"""Regions and teams as a tree: add, rename (zh and en), move (never under itself or its
own descendant; the whole subtree's `path` follows) and close (refused while people or
open targets remain, saying what to do first). Every change is audited; the caller
commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, func, literal, select, update

from ...extensions import db
from ...models import FiscalYear, OrgUnit, Target, UnitKind, User
from ...refusal import refuse, refuse_fields
from ..company import local_today
from . import audit, fields
from .fields import _
from .scope import NotYours, company_id, get_unit, unit_in_reach

KINDS = {"region": UnitKind.REGION, "team": UnitKind.TEAM}


def _kind(errors: dict[str, str], value: Any) -> UnitKind:
    kind = KINDS.get(str(value or "").strip().lower())
    if kind is None:
        errors["kind"] = _("Choose a region or a team.")
        return UnitKind.TEAM
    return kind


def _parent_ok(errors: dict[str, str], actor: User, parent_id: int | None,
               kind: UnitKind) -> OrgUnit | None:
    try:
        parent = get_unit(actor, parent_id)
    except NotYours:
        errors["parent"] = _("Choose the unit it belongs to.")
        return None
    if not parent.active:
        errors["parent"] = _("That unit is closed.")
    elif parent.kind == UnitKind.TEAM:
        errors["parent"] = _("A team has people, not units: choose a region or the company.")
    return parent


def code_taken(company: int, code: str, except_id: int | None = None) -> bool:
    q = select(OrgUnit.id).where(OrgUnit.company_id == company,
                                 func.lower(OrgUnit.code) == code.lower())
    if except_id is not None:
        q = q.where(OrgUnit.id != except_id)
    return db.session.scalar(q) is not None


def add_unit(actor: User, parent_id: int | None, kind_text: Any, code_text: Any,
             name: Any, name_en: Any) -> OrgUnit:
    errors: dict[str, str] = {}
    kind = _kind(errors, kind_text)
    parent = _parent_ok(errors, actor, parent_id, kind)
    code = fields.code(errors, "code", code_text)
    zh = fields.name(errors, "name", name)
    en = fields.name(errors, "name_en", name_en, required=False)
    if "code" not in errors and code_taken(company_id(actor), code):
        errors["code"] = _("Another unit of the company has this code.")
    refuse_fields(errors)
    assert parent is not None
    sort = db.session.scalar(select(func.count(OrgUnit.id)).where(
        OrgUnit.parent_id == parent.id)) or 0
    unit = OrgUnit(company_id=parent.company_id, parent_id=parent.id, kind=kind, code=code,
                   name=zh, name_en=en, sort=sort, path="/")
    unit.parent = parent
    db.session.add(unit)
    db.session.flush()
    unit.set_path()
    audit.record(actor, "create", "org_unit", unit.id, None, None, f"{code} {zh}",
                 {"parent_id": parent.id, "kind": kind.value})
    db.session.flush()
    return unit


def rename_unit(actor: User, unit: OrgUnit, name: Any, name_en: Any) -> None:
    errors: dict[str, str] = {}
    zh = fields.name(errors, "name", name)
    en = fields.name(errors, "name_en", name_en, required=False)
    refuse_fields(errors)
    audit.changes(actor, "org_unit", unit, {"name": zh, "name_en": en})
    db.session.flush()


def move_unit(actor: User, unit: OrgUnit, parent_id: int | None) -> None:
    """Put `unit` under another unit: refused under itself or its own descendant; the
    paths of the unit and its whole subtree are rewritten in one statement."""
    if unit.parent_id is None:
        refuse("parent", _("The company itself cannot move."))
    target = db.session.get(OrgUnit, parent_id) if parent_id is not None else None
    if target is not None and unit_in_reach(actor, target) and \
            target.path.startswith(unit.path):
        refuse("parent", _("A unit cannot move under itself or under one of its own units."))
    errors: dict[str, str] = {}
    parent = _parent_ok(errors, actor, parent_id, unit.kind)
    refuse_fields(errors)
    assert parent is not None
    if parent.id == unit.parent_id:
        return
    old_path, old_parent = unit.path, unit.parent_id
    new_path = f"{parent.path}{unit.id}/"
    db.session.execute(
        update(OrgUnit).where(OrgUnit.company_id == unit.company_id,
                              OrgUnit.path.startswith(old_path))
        .values(path=literal(new_path, String) + func.substr(OrgUnit.path, len(old_path) + 1))
        .execution_options(synchronize_session=False))
    unit.parent_id = parent.id
    db.session.flush()
    db.session.expire_all()
    audit.record(actor, "move", "org_unit", unit.id, "parent_id", old_parent, parent.id,
                 {"old_path": old_path, "new_path": new_path})
    db.session.flush()


def _open_targets(unit: OrgUnit) -> int:
    today: date = local_today(unit.company)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    return db.session.scalar(
        select(func.count(Target.id)).join(FiscalYear, FiscalYear.id == Target.fiscal_year_id)
        .where(Target.unit_id.in_(subtree), FiscalYear.end >= today)) or 0


def close_unit(actor: User, unit: OrgUnit) -> None:
    """Close a unit with nothing left in it; else refuse, saying what to do first."""
    if unit.parent_id is None:
        refuse("unit", _("The company itself cannot be closed."))
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    people = db.session.scalar(select(func.count(User.id)).where(
        User.unit_id.in_(subtree), User.active.is_(True))) or 0
    if people:
        refuse("unit", _("Active people are still in this unit or its units (%(n)d): move them "
                         "to another unit (or let them leave) first.", n=people))
    units = db.session.scalar(select(func.count(OrgUnit.id)).where(
        OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True))) or 0
    if units:
        refuse("unit", _("Units still belong to this one (%(n)d): move or close them first.",
                         n=units))
    targets = _open_targets(unit)
    if targets:
        refuse("unit", _("This unit still has targets in a fiscal year that has not ended "
                         "(%(n)d): move them to another unit on Targets first.", n=targets))
    unit.active = False
    audit.record(actor, "close", "org_unit", unit.id, "active", True, False)
    db.session.flush()


def reopen_unit(actor: User, unit: OrgUnit) -> None:
    if unit.parent is not None and not unit.parent.active:
        refuse("unit", _("The unit it belongs to is closed: reopen that one first."))
    unit.active = True
    audit.record(actor, "reopen", "org_unit", unit.id, "active", False, True)
    db.session.flush()

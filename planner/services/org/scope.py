"""Who may administer what: an administrator the whole company; a manager only the
units below their own and the people inside their own unit (never themselves, never an
administrator). Anything else is "not found" to the caller (a 404 in the pages)."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import OrgUnit, Role, User


class NotYours(LookupError):
    """The record is not the actor's to administer (or does not exist)."""


def company_id(actor: User) -> int:
    return actor.unit.company_id


def is_admin(actor: User) -> bool:
    return actor.role == Role.ADMIN


def may_manage(actor: User) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER)


def unit_in_reach(actor: User, unit: OrgUnit | None, strict: bool = False) -> bool:
    """`unit` is the actor's company's (admin) or inside the manager's unit (`strict`:
    below it, not the manager's own unit)."""
    if unit is None or unit.company_id != company_id(actor) or not may_manage(actor):
        return False
    if is_admin(actor):
        return True
    own = actor.unit.path
    return unit.path.startswith(own) and (not strict or unit.path != own)


def user_in_reach(actor: User, user: User | None) -> bool:
    """`user` is the actor's to administer: same company (admin), or inside the manager's
    unit and neither the manager themselves nor an administrator."""
    if user is None or not may_manage(actor):
        return False
    if not unit_in_reach(actor, user.unit):
        return False
    return is_admin(actor) or (user.id != actor.id and user.role != Role.ADMIN)


def get_unit(actor: User, unit_id: int | None, strict: bool = False) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None or not unit_in_reach(actor, unit, strict):
        raise NotYours()
    return unit


def get_user(actor: User, user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user_in_reach(actor, user):
        raise NotYours()
    return user


def units(actor: User, active_only: bool = False) -> list[OrgUnit]:
    """The units the actor may see in the administration pages, in tree order."""
    q = select(OrgUnit).where(OrgUnit.company_id == company_id(actor))
    if not is_admin(actor):
        q = q.where(OrgUnit.path.startswith(actor.unit.path))
    if active_only:
        q = q.where(OrgUnit.active.is_(True))
    found = list(db.session.scalars(q))
    return sort_tree(found)


def sort_tree(found: list[OrgUnit]) -> list[OrgUnit]:
    """Parents before children, siblings by their sort then name."""
    by_parent: dict[int | None, list[OrgUnit]] = {}
    ids = {u.id for u in found}
    for u in found:
        by_parent.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[OrgUnit] = []

    def walk(parent: int | None) -> None:
        for u in sorted(by_parent.get(parent, []), key=lambda x: (x.sort, x.name, x.id)):
            out.append(u)
            walk(u.id)

    walk(None)
    return out


def depth(unit: OrgUnit) -> int:
    return unit.path.count("/") - 2

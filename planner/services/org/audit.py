"""Audit rows for every administration change (who, when, what, from and to), and the
log page's query filtered by person or unit, within the viewer's company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from ...access import visible_units, visible_users
from ...extensions import db
from ...models import AuditLog, OrgUnit, User

ENTITIES = ("company", "org_unit", "user", "invitation", "product_line", "channel",
            "customer_type", "metric")


def record(actor: User | None, action: str, entity: str, entity_id: int | None,
           field: str | None = None, old: Any = None, new: Any = None,
           details: dict[str, Any] | None = None) -> None:
    """Add one audit row (flushed with the change; the caller commits)."""
    db.session.add(AuditLog(
        user_id=actor.id if actor is not None else None, action=action, entity=entity,
        entity_id=entity_id, field=field,
        old_value=None if old is None else str(old), new_value=None if new is None else str(new),
        details=details))


def changes(actor: User, entity: str, obj: Any, new: dict[str, Any]) -> int:
    """Set each changed attribute of `obj` and write one audit row per change."""
    n = 0
    for attr, value in new.items():
        old = getattr(obj, attr)
        if old != value:
            record(actor, "update", entity, obj.id, attr, old, value)
            setattr(obj, attr, value)
            n += 1
    return n


@dataclass
class Entry:
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    field: str | None
    old: str | None
    new: str | None


def entries(viewer: User, person_id: int | None = None, unit_id: int | None = None,
            limit: int = 200) -> list[Entry]:
    """The newest audit rows made by the viewer's company's people (or by nobody), about
    a person (made by them or about them) or a unit's subtree (the units and the people
    in them) when given. Callers check the person and unit are the viewer's to see."""
    people = visible_users(viewer)
    q = (select(AuditLog, User.display_name).outerjoin(User, User.id == AuditLog.user_id)
         .where(AuditLog.user_id.in_(people), AuditLog.entity.in_(ENTITIES)))
    if person_id is not None:
        q = q.where(or_(AuditLog.user_id == person_id,
                        and_(AuditLog.entity.in_(("user", "invitation")),
                             AuditLog.entity_id == person_id)))
    if unit_id is not None:
        unit = db.session.get(OrgUnit, unit_id)
        path = unit.path if unit is not None else "/-/"
        units = select(OrgUnit.id).where(OrgUnit.path.startswith(path),
                                         OrgUnit.id.in_(visible_units(viewer)))
        members = select(User.id).where(User.unit_id.in_(units))
        q = q.where(or_(and_(AuditLog.entity == "org_unit", AuditLog.entity_id.in_(units)),
                        and_(AuditLog.entity == "user", AuditLog.entity_id.in_(members))))
    rows = db.session.execute(q.order_by(AuditLog.id.desc()).limit(limit)).all()
    return [Entry(a.at, name or "", a.action, a.entity, a.entity_id, a.field, a.old_value,
                  a.new_value) for a, name in rows]

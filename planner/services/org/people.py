"""People: add a rep or a manager, edit them, change the role, deactivate (sessions end
at once, push subscriptions go, pending reminders stop) and reactivate. Usernames are
unique across the database (they are how people log in). Audited; the caller commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select, update

from ...extensions import db
from ...models import (
    Invitation,
    OrgUnit,
    PushSubscription,
    Reminder,
    ReminderStatus,
    Role,
    User,
)
from ...models.base import utcnow
from ...parsing import parse_id
from ...refusal import refuse, refuse_fields
from . import audit, fields
from .fields import _
from .invitations import unusable_password
from .scope import NotYours, company_id, get_unit, is_admin

ROLES = {"rep": Role.REP, "manager": Role.MANAGER, "admin": Role.ADMIN}


def username_taken(name: str, except_id: int | None = None) -> bool:
    q = select(User.id).where(func.lower(User.username) == name.lower())
    if except_id is not None:
        q = q.where(User.id != except_id)
    return db.session.scalar(q) is not None


def _role(errors: dict[str, str], actor: User, value: Any) -> Role:
    role = ROLES.get(str(value or "").strip().lower())
    if role is None or (role == Role.ADMIN and not is_admin(actor)):
        errors["role"] = _("Choose a role.")
        return Role.REP
    return role


def _unit(errors: dict[str, str], actor: User, value: Any) -> OrgUnit | None:
    try:
        unit = get_unit(actor, parse_id(value))
    except NotYours:
        errors["unit"] = _("Choose a unit.")
        return None
    if not unit.active:
        errors["unit"] = _("That unit is closed.")
    return unit


def _manager(errors: dict[str, str], actor: User, value: Any,
             user: User | None = None) -> int | None:
    mid = parse_id(value) if str(value or "").strip() else None
    if mid is None:
        if str(value or "").strip():
            errors["manager"] = _("Choose a manager.")
        return None
    found = db.session.get(User, mid)
    if found is None or found.unit.company_id != company_id(actor) or not found.active \
            or found.role == Role.REP or (user is not None and found.id == user.id):
        errors["manager"] = _("Choose an active manager of the company.")
        return None
    return found.id


def _details(actor: User, form: Mapping[str, Any], user: User | None,
             errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "display_name": fields.name(errors, "display_name", form.get("display_name")),
        "phone": fields.phone(errors, "phone", form.get("phone")),
        "capability": fields.capability(errors, "capability", form.get("capability")),
        "manager_id": _manager(errors, actor, form.get("manager"), user),
    }
    unit = _unit(errors, actor, form.get("unit"))
    if unit is not None:
        out["unit_id"] = unit.id
    return out


def add_user(actor: User, form: Mapping[str, Any]) -> User:
    """Add a person (no password: they set it through an invitation)."""
    errors: dict[str, str] = {}
    login = fields.username(errors, "username", form.get("username"))
    if "username" not in errors and username_taken(login):
        errors["username"] = _("This username is taken (usernames are unique across "
                               "every company).")
    role = _role(errors, actor, form.get("role"))
    values = _details(actor, form, None, errors)
    refuse_fields(errors)
    user = User(username=login, password_hash=unusable_password(), role=role, **values)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", user.id, None, None, f"{login} ({role.value})",
                 {"unit_id": user.unit_id})
    db.session.flush()
    return user


def edit_user(actor: User, user: User, form: Mapping[str, Any]) -> int:
    """Change a person's name, phone, capability and manager (not the unit: a move is
    its own flow). Returns the number of fields changed."""
    errors: dict[str, str] = {}
    values = _details(actor, {**form, "unit": user.unit_id}, user, errors)
    values.pop("unit_id", None)
    refuse_fields(errors)
    n = audit.changes(actor, "user", user, values)
    db.session.flush()
    return n


def active_admins(company: int) -> int:
    return db.session.scalar(
        select(func.count(User.id)).join(OrgUnit, OrgUnit.id == User.unit_id).where(
            OrgUnit.company_id == company, User.role == Role.ADMIN,
            User.active.is_(True))) or 0


def _not_last_admin(user: User, field: str) -> None:
    if user.role == Role.ADMIN and user.active and active_admins(user.unit.company_id) <= 1:
        refuse(field, _("%(name)s is the company's last administrator: make somebody else "
                        "an administrator first.", name=user.display_name))


def change_role(actor: User, user: User, role_text: Any) -> None:
    errors: dict[str, str] = {}
    role = _role(errors, actor, role_text)
    refuse_fields(errors)
    if role == user.role:
        return
    if role != Role.ADMIN:
        _not_last_admin(user, "role")
    if role == Role.REP and db.session.scalar(select(User.id).where(
            User.manager_id == user.id, User.active.is_(True))) is not None:
        refuse("role", _("People report to %(name)s: give them another manager first.",
                         name=user.display_name))
    audit.changes(actor, "user", user, {"role": role})
    db.session.flush()


def deactivate_user(actor: User, user: User) -> None:
    """Deactivate `user`: their sessions end at once (the session token rotates), their
    push subscriptions are removed, their pending reminders are cancelled and their
    unused activation links stop working. Refused for the company's last administrator.
    Targets and customers are not touched (a rep's leaving flow hands those over first).
    Audited; the caller commits."""
    if not user.active:
        return
    if user.id == actor.id:
        refuse("user", _("You cannot deactivate yourself: ask another administrator."))
    _not_last_admin(user, "user")
    user.active = False
    user.rotate_session()
    subs = len(db.session.scalars(delete(PushSubscription).where(
        PushSubscription.user_id == user.id).returning(PushSubscription.id)).all())
    stopped = len(db.session.scalars(update(Reminder).where(
        Reminder.user_id == user.id, Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED).returning(Reminder.id)).all())
    now = utcnow()
    db.session.execute(update(Invitation).where(
        Invitation.user_id == user.id, Invitation.used_at.is_(None),
        Invitation.expires_at > now).values(expires_at=now))
    audit.record(actor, "deactivate", "user", user.id, "active", True, False,
                 {"push_subscriptions_removed": subs, "reminders_cancelled": stopped})
    db.session.flush()


def reactivate_user(actor: User, user: User) -> None:
    if user.active:
        return
    if not user.unit.active:
        refuse("user", _("Their unit is closed: reopen it or move them first."))
    user.active = True
    user.rotate_session()
    audit.record(actor, "reactivate", "user", user.id, "active", False, True)
    db.session.flush()


def people(actor: User, unit: OrgUnit | None = None) -> list[User]:
    """The people the actor administers (a unit's subtree when given), by unit and name."""
    path = unit.path if unit is not None else (None if is_admin(actor) else actor.unit.path)
    q = (select(User).join(OrgUnit, OrgUnit.id == User.unit_id)
         .where(OrgUnit.company_id == company_id(actor)))
    if path is not None:
        q = q.where(OrgUnit.path.startswith(path))
    if not is_admin(actor):
        q = q.where(User.role != Role.ADMIN, User.id != actor.id)
    return list(db.session.scalars(q.order_by(OrgUnit.path, User.display_name, User.id)))


def managers(actor: User) -> list[User]:
    """The active managers and administrators someone may report to."""
    return list(db.session.scalars(
        select(User).join(OrgUnit, OrgUnit.id == User.unit_id).where(
            OrgUnit.company_id == company_id(actor), User.active.is_(True),
            User.role != Role.REP).order_by(User.display_name, User.id)))

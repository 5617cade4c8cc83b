"""The one place that decides who may see which record.

A rep sees their own records, a manager those of everybody in their unit's subtree, an
admin the whole company. Views and the API ask here; a record outside the viewer's
reach is answered with 404, never 403, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select
from sqlalchemy import inspect as sa_inspect

from .extensions import db
from .models import Customer, OrgUnit, Role, User, Visit
from .parsing import has_nul, parse_id

T = TypeVar("T")


def visible_users(viewer: User) -> Select[int]:
    """A SELECT of the ids of users whose records `viewer` may see."""
    if viewer.role == Role.ADMIN:
        return select(User.id).join(OrgUnit, User.unit_id == OrgUnit.id).where(
            OrgUnit.company_id == viewer.unit.company_id
        )
    if viewer.role == Role.MANAGER:
        return select(User.id).join(OrgUnit, User.unit_id == OrgUnit.id).where(
            OrgUnit.path.startswith(viewer.unit.path)
        )
    return select(User.id).where(User.id == viewer.id)


def visible_units(viewer: User) -> Select[int]:
    """Units `viewer` may see and (for managers and admins) decompose into."""
    if viewer.role == Role.ADMIN:
        return select(OrgUnit.id).where(OrgUnit.company_id == viewer.unit.company_id)
    if viewer.role == Role.MANAGER:
        return select(OrgUnit.id).where(OrgUnit.path.startswith(viewer.unit.path))
    return select(OrgUnit.id).where(OrgUnit.id == -1)


def can_see_user(viewer: User, user_id: int) -> bool:
    if viewer.id == user_id:
        return True
    return bool(
        db.session.execute(visible_users(viewer).where(User.id == user_id)).first()
    )


def can_see_unit(viewer: User, unit_id: int) -> bool:
    return bool(db.session.execute(visible_units(viewer).where(OrgUnit.id == unit_id)).first())


def customers(viewer: User) -> Select[Customer]:
    return select(Customer).where(Customer.owner_id.in_(visible_users(viewer)))


def visits(viewer: User) -> Select[Visit]:
    return select(Visit).where(Visit.user_id.in_(visible_users(viewer)))


_OWNER = {Customer: "owner_id", Visit: "user_id"}


MAX_KEY_TEXT = 64  # a text primary key (a visit's UUID) is never longer


def _key(model: type[Any], ident: Any) -> int | str | None:
    """The primary key `ident` as the model's key type, or None if it cannot be one.

    Integer keys go through parse_id (a huge number, "0", "²" or "٣" is no id); text keys
    (a visit's UUID) must be short, printable strings."""
    col = next(iter(sa_inspect(model).primary_key))
    try:
        python_type = col.type.python_type
    except NotImplementedError:  # pragma: no cover
        python_type = str
    if python_type is int:
        return parse_id(ident)
    if not isinstance(ident, str) or not ident or len(ident) > MAX_KEY_TEXT:
        return None
    if has_nul(ident) or not ident.isprintable():
        return None
    return ident


def get_or_404(viewer: User, model: type[T], ident: Any) -> T:
    """Fetch one record the viewer may see, else abort(404). `ident` may come straight
    from the request: anything that cannot be the model's key is a 404, never a 500."""
    key = _key(model, ident)
    if key is None:
        abort(404)
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    if model is User:
        owner = obj.id  # type: ignore[attr-defined]
    elif model in _OWNER:
        owner = getattr(obj, _OWNER[model])
    elif hasattr(obj, "user_id"):
        owner = obj.user_id
    else:
        raise TypeError(f"access rule for {model.__name__} is not defined")
    if not can_see_user(viewer, owner):
        abort(404)
    return obj

"""The administration pages: the set-up checklist, company details, units, people,
invitations (and the activation page), the people import, the catalogue and metrics, and
the audit log. Administrators manage the company; a manager manages the units and people
inside their own unit. Anything out of reach answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort
from flask_login import current_user

from ...models import Role, User
from ...services.org import NotYours
from .. import roles_required

bp = Blueprint("admin", __name__)

ADMIN = roles_required(Role.ADMIN)
MANAGERS = roles_required(Role.ADMIN, Role.MANAGER)


def actor() -> User:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def found(fn: Callable[[], Any]) -> Any:
    """The record `fn` looks up, or 404 when it is not the viewer's to administer."""
    try:
        return fn()
    except (NotYours, LookupError):
        abort(404)


from . import (  # noqa: E402,F401
    activate,  # the activation page (a link's token, no session needed)
    catalog,  # product lines, channels, customer types, metrics
    company,  # the set-up checklist and the company's details
    people,  # people, roles, invitations, deactivation
    people_io,  # units and people from Excel/CSV
    units,  # regions and teams
)

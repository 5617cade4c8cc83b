"""Each role's home page. Later issues fill them in."""

from __future__ import annotations

from flask_login import current_user, login_required

from ..models import Role
from . import bp, roles_required
from .render import render


@bp.get("/today")
@login_required
def today():  # type: ignore[no-untyped-def]
    return render("web/today.html", user=current_user)


@bp.get("/team")
@roles_required(Role.MANAGER, Role.ADMIN)
def team():  # type: ignore[no-untyped-def]
    return render("web/team.html", user=current_user)


# The targets and calendar pages live in their own modules.
from . import calendar, targets  # noqa: E402,F401

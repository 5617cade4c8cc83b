"""The manager's home: progress of every rep and team in the manager's unit."""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..models import Role
from ..parsing import parse_id
from ..services.company import local_today
from ..services.tracking import team_progress
from ..services.years import year_notice
from . import bp, roles_required
from .render import render


@bp.get("/team")
@roles_required(Role.MANAGER, Role.ADMIN)
def team() -> ResponseReturnValue:
    """The viewer's unit, or `?unit=<id>` inside it: a row per child unit (each opens
    the same page one level down) and, in a team, a row per rep."""
    raw = request.args.get("unit")
    unit_id = parse_id(raw) if raw else None
    if raw and unit_id is None:
        abort(404)
    try:
        progress = team_progress(current_user, unit_id=unit_id)
    except LookupError:
        abort(404)
    # No published year holds today: why the figures are empty, and who can fix it.
    notice = year_notice(current_user, local_today(current_user.company))
    return render("web/team.html", user=current_user, progress=progress, notice=notice)

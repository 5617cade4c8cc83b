"""The manager's home: progress of every rep and team in the manager's unit."""

from __future__ import annotations

from flask_login import current_user

from ..models import Role
from ..services.progress import team_progress
from . import bp, roles_required
from .render import render


@bp.get("/team")
@roles_required(Role.MANAGER, Role.ADMIN)
def team():  # type: ignore[no-untyped-def]
    return render("web/team.html", user=current_user, progress=team_progress(current_user))

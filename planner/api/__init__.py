"""The JSON API under /api/v1: the blueprint. The endpoint modules are listed in
endpoints.py, which create_app imports (this module imports none of them: no cycle)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/me")
@login_required
def me() -> ResponseReturnValue:
    u = current_user
    return jsonify(
        {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role.value}
    )

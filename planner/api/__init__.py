"""The JSON API under /api/v1: the blueprint. The endpoint modules are listed in
endpoints.py, which create_app imports (this module imports none of them: no cycle)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The API checks the login before the CSRF token: a client that is not logged in gets 401
# (the API's error shape, "Please log in."), as for a GET, not the CSRF token's 400.
# A logged-in state change still needs the session's token (X-CSRFToken), checked here.
csrf.exempt(bp)


@bp.before_request
def _login_then_csrf() -> ResponseReturnValue | None:
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    csrf.protect()
    return None


@bp.get("/me")
@login_required
def me() -> ResponseReturnValue:
    u = current_user
    return jsonify(
        {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role.value}
    )

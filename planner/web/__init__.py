"""Pages for people (thin views: parse, call a service, render): the blueprint and what
every page module shares. The page modules are listed in pages.py, which create_app
imports: this module imports none of them, so the package has no import cycle."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..assets import VENDOR
from ..models import Role

bp = Blueprint("web", __name__)

def roles_required(*roles: Role) -> Callable[..., Any]:
    def deco(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return deco


@bp.get("/")
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    from ..auth import home_url

    return redirect(home_url(current_user))


@bp.get("/vendor/<name>")
def vendor(name: str) -> ResponseReturnValue:
    """Third-party browser files, served from node_modules (installed from package-lock)."""
    folder = VENDOR.get(name)
    if folder is None:
        abort(404)
    return send_from_directory(folder, name, max_age=3600)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """A bare answer for load balancers (and bench-pages' bare route). It says which
    scheme the app saw, so `flask planner doctor` can tell that a request that came in
    over HTTPS is believed to be HTTPS (the proxy and TRUSTED_PROXIES agree)."""
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store",
                       "X-Planner-Scheme": request.scheme}


@bp.get("/ping")
@login_required
def ping() -> ResponseReturnValue:
    """A bare logged-in answer: what a page costs before it does anything (bench-pages)."""
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}


@bp.app_context_processor
def _base_values() -> dict[str, Any]:
    """What base.html shows around every page of a logged-in user, as values: the
    navigation, Today's badges (declared in services/cache/badges.py, which Today's
    page-cache key carries too; counted once per request, in one query) and the bell's
    push key."""
    from ..services import cache, reminders
    from .nav import nav_items

    if not has_request_context() or not current_user.is_authenticated:
        return {}
    found = g.get("planner_badges")
    if found is None:
        found = g.planner_badges = cache.badges.values(current_user)
    return {"nav_items": nav_items(current_user.role), "bell_unread": found.bell_unread,
            "reviews_waiting": found.reviews_waiting,
            "offline_day": {"day": found.day, "tz": found.tz},
            "push_public_key": reminders.public_key(reminders.app_key(current_app))}


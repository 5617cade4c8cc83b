"""Pages for people (thin views: parse, call a service, render)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, redirect, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..models import Role

bp = Blueprint("web", __name__)

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VENDOR = {"htmx.min.js": NODE_MODULES / "htmx.org" / "dist"}


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
def _nav() -> dict[str, Any]:
    from .nav import nav_items

    return {"nav_items": nav_items}


# Every page module, in one list: importing one registers its routes on `bp`.
from . import (  # noqa: E402,F401
    calendar,  # the company calendar (admins)
    customers,  # the rep's customers and a customer's page
    notifications,  # the bell and reminder preferences
    plans,  # week and month plans, action plans
    reviews,  # the weekly review and the manager's approval
    targets,  # Targets: the decomposition tree (the admin's home)
    team,  # Team: the manager's home
    today,  # Today: the rep's home
    tracking,  # Tracking, with its charts, Excel in and out (tracking_more, tracking_io)
    visits,  # logging a visit
)

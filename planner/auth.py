"""Login and logout."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import delete, func, select

from .extensions import db
from .models import LoginFailure, Role, User
from .models.base import utcnow
from .security import verify_password

bp = Blueprint("auth", __name__)

HOME = {Role.REP: "web.today", Role.MANAGER: "web.team", Role.ADMIN: "web.targets"}


def home_url(user: User) -> str:
    return url_for(HOME[user.role])


def _throttled(username: str, addr: str) -> bool:
    """Too many recent failures for this username from this address, or from this address
    for any username. A lock-out per username alone would let anyone lock a rep out."""
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW"])
    recent = select(func.count(LoginFailure.id)).where(LoginFailure.at >= since)
    per_user = db.session.scalar(
        recent.where(LoginFailure.username == username, LoginFailure.remote_addr == addr)
    ) or 0
    per_addr = db.session.scalar(recent.where(LoginFailure.remote_addr == addr)) or 0
    return (
        per_user >= cfg["LOGIN_MAX_FAILURES"] or per_addr >= cfg["LOGIN_MAX_FAILURES_PER_ADDR"]
    )


def _safe_next(target: str | None) -> str | None:
    """A local path to go back to after login, or None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None  # browsers drop tabs and newlines: "/\t/evil" would become "//evil"
    cleaned = target.replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:80]
        password = request.form.get("password") or ""
        if not username or not password:
            error, status = _("Enter your username and password."), 422
        elif _throttled(username, request.remote_addr or ""):
            error = _("Too many failed attempts. Please wait 15 minutes and try again.")
            status = 429
        else:
            user = db.session.scalar(select(User).where(User.username == username))
            ok = verify_password(user.password_hash if user else None, password)
            if ok and user is not None and user.active:
                old = utcnow() - timedelta(days=1)
                db.session.execute(delete(LoginFailure).where(
                    (LoginFailure.username == username) | (LoginFailure.at < old)))
                db.session.commit()
                lang = session.get("lang")
                session.clear()  # a new session at login
                if lang:
                    session["lang"] = lang
                login_user(user)
                session.permanent = True
                nxt = _safe_next(request.args.get("next"))
                return redirect(nxt or home_url(user))
            db.session.add(LoginFailure(username=username, remote_addr=request.remote_addr or ""))
            db.session.commit()
            # One message for an unknown user and a wrong password.
            error, status = _("Wrong username or password."), 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    user = db.session.get(User, current_user.id)
    if user is not None:
        user.rotate_session()  # every session of this user ends
        db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))

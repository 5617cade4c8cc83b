"""Login and logout."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import delete, func, select, text

from .db import reading
from .extensions import db
from .models import LoginFailure, Role, User
from .models.base import utcnow
from .security import PasswordCheckBusy, verify_password

bp = Blueprint("auth", __name__)

HOME = {Role.REP: "web.today", Role.MANAGER: "web.team", Role.ADMIN: "web.targets"}


def home_url(user: User) -> str:
    from .services.org import checklist

    if checklist.lands_on_checklist(user):  # an administrator's company is being set up
        return url_for("admin.home")
    return url_for(HOME[user.role])


def _lock_address(addr: str) -> None:
    """Serialize the throttle's count-and-record for one address. SQLite needs nothing (a
    write transaction already holds the database's one write lock, BEGIN IMMEDIATE); on
    PostgreSQL a transaction-scoped advisory lock keyed by the address."""
    if db.session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"login:{addr}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _reserve_attempt(username: str, addr: str) -> int | None:
    """Count and record an attempt in one short transaction, before the password is checked.

    The attempt is written as a failure first (a success deletes it), and the count and the
    write happen under one lock per address: 30 parallel guesses get exactly the limit
    checked, not as many as read the count before the others wrote theirs.

    Limits (config): LOGIN_MAX_FAILURES per username and address, for every username; and
    LOGIN_MAX_FAILURES_PER_ADDR per address, for usernames that do not exist. So one person
    behind an office NAT trying made-up names cannot lock the office's reps out; a rep's own
    budget of guesses from that address still stands (README "Login throttling").

    Returns the recorded attempt's id, or None if the attempt is refused (nothing written)."""
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW"])
    try:
        _lock_address(addr)
        recent = select(func.count(LoginFailure.id)).where(
            LoginFailure.at >= since, LoginFailure.remote_addr == addr)
        per_user = db.session.scalar(recent.where(LoginFailure.username == username)) or 0
        refused = per_user >= cfg["LOGIN_MAX_FAILURES"]
        if not refused:
            known = db.session.scalar(select(User.id).where(User.username == username))
            if known is None:
                per_addr = db.session.scalar(recent) or 0
                refused = per_addr >= cfg["LOGIN_MAX_FAILURES_PER_ADDR"]
        if refused:
            db.session.rollback()
            return None
        attempt = LoginFailure(username=username, remote_addr=addr)
        db.session.add(attempt)
        db.session.flush()
        attempt_id = attempt.id  # read before the commit: after it, a read would begin
        db.session.commit()      # a new (write) transaction and hold it through the hash
        return attempt_id
    except Exception:
        db.session.rollback()
        raise


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
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:80]
        password = request.form.get("password") or ""
        addr = (request.remote_addr or "")[:64]
        if not username or not password:
            error, status = _("Enter your username and password."), 422
        elif (attempt := _reserve_attempt(username, addr)) is None:
            error = _("Too many failed attempts. Please wait 15 minutes and try again.")
            status = 429
        else:
            # No write transaction (no SQLite write lock) while the hash is checked: argon2id
            # takes 64 MiB and a good part of a second.
            with reading():
                user = db.session.scalar(select(User).where(User.username == username))
                stored = user.password_hash if user is not None else None
                active = user is not None and user.active
                db.session.rollback()
            try:
                ok = verify_password(stored, password)
            except PasswordCheckBusy:
                # Not checked: the attempt is no failure. The phone or browser tries again.
                db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt))
                db.session.commit()
                error = _("The server is busy checking other logins; please try again in a "
                          "moment.")
                resp = make_response(render_template("auth/login.html", error=error,
                                                     username=username), 503)
                resp.headers["Retry-After"] = "5"
                return resp
            if ok and user is not None and active:
                # The attempt was no failure; this user's failures from this address are
                # forgiven. Failures from other addresses stay (they may be an attack).
                old = utcnow() - timedelta(days=1)
                db.session.execute(delete(LoginFailure).where(
                    (LoginFailure.id == attempt)
                    | ((LoginFailure.username == username) & (LoginFailure.remote_addr == addr))
                    | (LoginFailure.at < old)))
                db.session.commit()
                lang = session.get("lang")
                session.clear()  # a new session at login
                if lang:
                    session["lang"] = lang
                login_user(user)
                session.permanent = True
                nxt = _safe_next(request.args.get("next"))
                return redirect(nxt or home_url(user))
            # The failure was recorded before the check.
            # One message for an unknown user and a wrong password.
            error, status = _("Wrong username or password."), 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
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

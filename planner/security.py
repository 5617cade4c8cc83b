"""Password hashing (argon2id), security headers, and the user loader."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app
from flask.typing import ResponseReturnValue

from .extensions import db, login_manager

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"], parallelism=1
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# A real hash to verify against for unknown users, so both answers take the same time.
_DUMMY: dict[str, str] = {}


class PasswordCheckBusy(Exception):
    """No password-check thread of this process was free within ARGON2_WAIT_SECONDS."""


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _lower_priority(nice: int) -> None:
    """Run this (hashing) thread at a lower CPU priority, so requests that hold SQLite's
    write lock are scheduled first. Linux sets it per thread; elsewhere nothing happens."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):  # pragma: no cover (not Linux, or not allowed)
        pass


def _pool() -> ThreadPoolExecutor:
    cfg = current_app.config
    key = (max(1, int(cfg["ARGON2_MAX_PARALLEL"])), int(cfg["ARGON2_NICE"]))
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = ThreadPoolExecutor(
                max_workers=key[0], thread_name_prefix="argon2",
                initializer=_lower_priority, initargs=(key[1],))
        return _POOLS[key]


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password on one of this process's ARGON2_MAX_PARALLEL hashing threads (run
    at nice ARGON2_NICE). Each check holds ARGON2_MEMORY_COST and a CPU for a good part of
    a second: a burst of wrong passwords queues here instead of taking every CPU (and
    gigabytes) from the requests that write. Raises PasswordCheckBusy if the check could
    not start within ARGON2_WAIT_SECONDS."""
    hasher = _hasher()
    job = _pool().submit(_verify, hasher, stored, password)
    try:
        return job.result(timeout=float(current_app.config["ARGON2_WAIT_SECONDS"]))
    except FuturesTimeout:
        if job.cancel():  # still queued: it never runs
            raise PasswordCheckBusy() from None
        return job.result()  # running already: its answer is a second away


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    if stored is None:
        key = f"{hasher.time_cost}:{hasher.memory_cost}"
        if key not in _DUMMY:
            _DUMMY[key] = hasher.hash("not-a-password")
        stored = _DUMMY[key]
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


def init_app(app: Flask) -> None:
    from .models import User
    from .parsing import parse_id

    @login_manager.user_loader
    def load_user(alt_id: str) -> User | None:
        uid, _, token = alt_id.partition(":")
        user_id = parse_id(uid)  # the one id parser ("²".isdigit() is True)
        if user_id is None or not token:
            return None
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        from flask import redirect, request, url_for
        from flask_babel import gettext as _

        from .errors import render_error, wants_json

        if wants_json():
            return render_error(401, _("Please log in."))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.after_request(_headers)

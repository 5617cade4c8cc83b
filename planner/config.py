"""Configuration read from the environment; secrets live in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .jsonable import dumps as jsonable_dumps


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(Path(instance_path) / "planner.sqlite3")


def _count(name: str, default: int) -> int:
    """A non-negative whole number from the environment; a bad value stops the start-up
    with a message that names the variable (rather than a server that ignores it)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise SystemExit(f"{name} must be a whole number of 0 or more, not {raw!r}")
    return int(raw)


def load_config(instance_path: str) -> dict[str, object]:
    debug = os.environ.get("FLASK_DEBUG", "") in {"1", "true", "True"}
    return {
        "SECRET_KEY": _secret_key(instance_path),
        # How long an activation link works (services/org/invitations.py).
        "INVITATION_HOURS": int(os.environ.get("INVITATION_HOURS", "72")),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "json_serializer": jsonable_dumps},
        "COMPANY_TIMEZONE": os.environ.get("COMPANY_TIMEZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("COMPANY_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": {"zh_Hans_CN": "中文", "en": "English"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not debug and os.environ.get("SESSION_COOKIE_SECURE", "1") != "0",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "WTF_CSRF_TIME_LIMIT": None,  # an offline outbox can be days old; the token is per session
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        # argon2id, OWASP ASVS: m=19 MiB, t=2, p=1 is the floor; we use 64 MiB, t=3, p=1.
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", str(64 * 1024))),
        # Password checks at once per process (each holds 64 MiB and a CPU), their threads'
        # nice value, and how long a login waits for one before answering 503 (README
        # "Login and the SQLite write lock").
        "ARGON2_MAX_PARALLEL": int(os.environ.get("ARGON2_MAX_PARALLEL", "1")),
        "ARGON2_NICE": int(os.environ.get("ARGON2_NICE", "10")),
        "ARGON2_WAIT_SECONDS": float(os.environ.get("ARGON2_WAIT_SECONDS", "15")),
        "LOGIN_MAX_FAILURES": 5,  # per username and address
        "LOGIN_MAX_FAILURES_PER_ADDR": 50,  # per address, any username (an office NAT)
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # 200 synced visits with long notes fit
        "LOGIN_FAILURE_WINDOW": 15 * 60,
        # The address people reach the app at (https://planner.example.com): absolute links
        # made outside a request (invitations, push messages) are built against it.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
        # How many reverse proxies stand in front of the app (Caddy: 1). Their
        # X-Forwarded-For/-Proto/-Host are trusted that many hops deep (Werkzeug's ProxyFix);
        # 0, the default, trusts none, so a forged header changes nothing.
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES", 0),
        # Nightly backups by the reminder worker (README "Backups"): the hour (company
        # time), the folder (default instance/backups) and how many are kept.
        "BACKUP_HOUR": _count("BACKUP_HOUR", 2),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(Path(instance_path) / "backups"),
        "BACKUP_KEEP": _count("BACKUP_KEEP", 14),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@example.com"),
        # Push services' domains a subscription may name (comma-separated; empty: any
        # public host), and the switch for a fake push service on 127.0.0.1 (tests, dev).
        "PUSH_SERVICE_DOMAINS": os.environ.get("PUSH_SERVICE_DOMAINS", ""),
        "PUSH_ALLOW_LOOPBACK": os.environ.get("PUSH_ALLOW_LOOPBACK", "") in {"1", "true"},
    }

"""`flask planner doctor`: checks a deployment and says, a line per finding, what is
right and what is wrong. Each check reads the configuration, the instance folder, the
database and what the workers report (services/ops.py); none changes anything."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..engine.calendar import official_through
from ..extensions import db
from . import backup, ops

OK, WARN, ERROR = "ok", "warn", "error"
EXAMPLE_SUBJECT = "mailto:admin@example.com"
WORKER_SILENCE = timedelta(minutes=5)
BACKUP_AGE = timedelta(hours=26)  # a nightly backup, with an hour's slack


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    check: str
    message: str

    def line(self) -> str:
        return f"{self.level:<5}  {self.check}: {self.message}"


@dataclass(frozen=True)
class Setting:
    """What the checks read: the app's configuration, its instance folder and its
    migrations folder (passed in: the doctor reads no request or app global)."""

    config: Mapping[str, Any]
    instance_path: Path
    migrations: Path
    now: datetime
    env: Mapping[str, str]  # the process environment
    probe: Callable[[str], str | None] | None = None  # URL -> the scheme the app saw


def _kept(name: str, env_key: str, file: str) -> Callable[[Setting], Finding]:
    """A key that must be the same after a restart: set in the environment, or kept in
    the instance folder (where the app writes the one it generates)."""

    def check(s: Setting) -> Finding:
        if s.env.get(env_key):
            return Finding(OK, name, f"{env_key} is set in the environment")
        path = s.instance_path / file
        if not path.is_file() or not path.read_bytes().strip():
            return Finding(ERROR, name, f"{path} does not exist yet: {_make[file]}, or set "
                           f"{env_key}")
        fs = _filesystem(path)
        if fs in VOLATILE:
            return Finding(ERROR, name, f"{path} is on {fs}, lost at a reboot "
                           f"({_loss[file]}): keep the instance folder on lasting storage")
        return Finding(OK, name, f"kept in {path}")

    return check


VOLATILE = {"tmpfs", "ramfs"}
_make = {"secret_key": "start the app once to make it",
         "vapid_private.pem": "`flask --app wsgi planner vapid` makes it"}


def _filesystem(path: Path) -> str | None:
    """The type of the filesystem holding `path` (Linux's /proc/mounts), if known."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1]
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, parts[2]
    return kind


_loss = {"secret_key": "everybody would be logged out",
         "vapid_private.pem": "every phone's push subscription would stop"}


def _vapid_subject(s: Setting) -> Finding:
    subject = str(s.config.get("VAPID_SUBJECT") or "")
    if not subject or subject == EXAMPLE_SUBJECT:
        return Finding(ERROR, "VAPID_SUBJECT", f"still {subject or 'empty'}: set your own "
                       "mailto: address, which push services use to reach you")
    if not subject.startswith(("mailto:", "https://")):
        return Finding(ERROR, "VAPID_SUBJECT", f"{subject!r} must start with mailto: or https://")
    return Finding(OK, "VAPID_SUBJECT", subject)


def _migrated(s: Setting) -> Finding:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(s.migrations))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    if current != heads:
        return Finding(ERROR, "database", f"at revision {', '.join(sorted(current)) or 'none'}, "
                       f"the code needs {', '.join(sorted(heads))}: run "
                       "`flask --app wsgi db upgrade`")
    return Finding(OK, "database", f"migrated to head ({', '.join(sorted(heads))})")


def _worker(s: Setting) -> Finding:
    seen = ops.last_beat()
    if seen is None:
        return Finding(ERROR, "reminder worker", "has never run: start it "
                       "(deploy/planner-reminders.service)")
    ago = s.now - seen
    if ago > WORKER_SILENCE:
        return Finding(ERROR, "reminder worker", f"last ran {int(ago.total_seconds() // 60)} "
                       "minutes ago: is it running?")
    return Finding(OK, "reminder worker", f"ran {int(ago.total_seconds())} s ago")


def _holidays(s: Setting) -> Finding:
    year = s.now.year + 1
    known = official_through("CN")
    if known is not None and known < year:
        return Finding(WARN, "holidays", f"the holidays package knows China's official "
                       f"calendar up to {known}, not {year}: upgrade it when the State "
                       "Council publishes it (usually in November), or enter the days on "
                       "/calendar")
    return Finding(OK, "holidays", f"China's official calendar is known for {year}")


def _backups(s: Setting) -> Finding:
    folder = Path(str(s.config.get("BACKUP_DIR") or s.instance_path / "backups"))
    failed = ops.status(ops.BACKUP_ERROR)
    good = ops.status(ops.BACKUP_OK)
    if failed is not None and (good is None or failed.at > good.at):
        return Finding(ERROR, "backups", f"the last backup failed ({failed.at:%Y-%m-%d %H:%M} "
                       f"UTC): {failed.value}")
    newest = backup.latest(folder)
    if newest is None:
        return Finding(ERROR, "backups", f"none in {folder}: the reminder worker takes one "
                       "nightly; `flask --app wsgi planner backup` takes one now")
    taken = backup.read_manifest(newest).taken_at
    age = s.now - datetime.fromisoformat(taken)
    if age > BACKUP_AGE:
        return Finding(ERROR, "backups", f"the newest ({newest.name}) is "
                       f"{age.days} days {age.seconds // 3600} hours old")
    return Finding(OK, "backups", f"the newest is {newest.name}")


def _https(s: Setting) -> Finding:
    public = str(s.config.get("PUBLIC_URL") or "")
    if not public:
        return Finding(WARN, "https", "PUBLIC_URL is not set: invitation links cannot be made "
                       "outside a request, and phones need https:// for offline use and push")
    parts = urlsplit(public)
    if parts.scheme != "https":
        return Finding(ERROR, "https", f"PUBLIC_URL {public} is not https://: service workers "
                       "and Web Push only work over HTTPS")
    if not s.config.get("SESSION_COOKIE_SECURE"):
        return Finding(ERROR, "https", "SESSION_COOKIE_SECURE is off while served over HTTPS")
    if not s.config.get("TRUSTED_PROXIES"):
        return Finding(ERROR, "https", "TRUSTED_PROXIES is 0: behind Caddy the app sees plain "
                       "http and the proxy's address (set TRUSTED_PROXIES=1)")
    if s.probe is not None:
        seen = s.probe(public.rstrip("/") + "/healthz")
        if seen is None:
            return Finding(WARN, "https", f"could not reach {public} from here to check it")
        if seen != "https":
            return Finding(ERROR, "https", f"a request to {public} reached the app as {seen}: "
                           "check the proxy's X-Forwarded-Proto and TRUSTED_PROXIES")
    return Finding(OK, "https", f"served at {public}")


CHECKS: list[Callable[[Setting], Finding]] = [
    _kept("SECRET_KEY", "SECRET_KEY", "secret_key"),
    _kept("VAPID key", "VAPID_PRIVATE_KEY", "vapid_private.pem"),
    _vapid_subject, _migrated, _worker, _holidays, _backups, _https,
]


def probe_scheme(url: str) -> str | None:
    """The scheme the app saw for a request to `url` (its /healthz says), or None."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (our own URL)
            return str(resp.headers.get("X-Planner-Scheme") or "") or None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def run(setting: Setting) -> list[Finding]:
    return [check(setting) for check in CHECKS]

"""The deployment's own status (models/ops.py): reminder workers' heartbeats and the
nightly backup, which the reminder worker takes at BACKUP_HOUR (company time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import OpsStatus
from . import backup

WORKER = "worker:"
BACKUP_OK = "backup:ok"
BACKUP_ERROR = "backup:error"


def _put(key: str, at: datetime, value: str = "") -> None:
    row = db.session.get(OpsStatus, key)
    if row is None:
        db.session.add(OpsStatus(key=key, at=at, value=value))
    else:
        row.at, row.value = at, value


def beat(worker: str, now: datetime) -> None:
    """A reminder worker ran a pass (the caller commits)."""
    _put(WORKER + worker, now)


def last_beat() -> datetime | None:
    return db.session.scalar(select(OpsStatus.at).where(OpsStatus.key.like(WORKER + "%"))
                             .order_by(OpsStatus.at.desc()).limit(1))


def status(key: str) -> OpsStatus | None:
    return db.session.get(OpsStatus, key)


@dataclass(frozen=True)
class NightlyResult:
    file: Path | None
    error: str | None
    pruned: int


def nightly_due(config: dict[str, Any], now: datetime) -> bool:
    """Whether tonight's backup is due: past BACKUP_HOUR in the company's time zone and
    none taken (nor failed) since that hour today."""
    tz = ZoneInfo(str(config.get("COMPANY_TIMEZONE") or "Asia/Shanghai"))
    local = now.astimezone(tz)
    hour = int(config.get("BACKUP_HOUR", 2))
    since = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < since:
        since -= timedelta(days=1)
    for key in (BACKUP_OK, BACKUP_ERROR):
        row = status(key)
        if row is not None and row.at >= since:
            return False
    return True


def nightly_backup(config: dict[str, Any], now: datetime) -> NightlyResult:
    """Take the backup, keep the newest BACKUP_KEEP, and record the outcome (the caller
    commits; a failure is returned, never raised, so the reminders go on)."""
    folder = Path(str(config["BACKUP_DIR"]))
    try:
        path, _manifest = backup.take(str(config["SQLALCHEMY_DATABASE_URI"]), folder, now)
    except (backup.BackupError, OSError) as exc:
        message = exc.message if isinstance(exc, backup.BackupError) else str(exc)
        _put(BACKUP_ERROR, now, message[:2000])
        return NightlyResult(None, message, 0)
    pruned = backup.prune(folder, int(config.get("BACKUP_KEEP", 14)))
    _put(BACKUP_OK, now, str(path))
    return NightlyResult(path, None, len(pruned))

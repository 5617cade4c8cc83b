"""The reminder worker: its pass and its loop are that process's entry point, so they
commit (before and after sending: no transaction stays open during network calls)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import select

from ...db import refresh_statistics
from ...extensions import db
from ...models import Role, User
from . import channels as webpush
from .bell import enqueue
from .dispatch import PassResult, dispatch_all, dispatch_once, worker_name
from .schedule import generate

BACKUP_FAILED = "backup_failed"  # told to the administrators

log = logging.getLogger("planner.reminders")


STATS_EVERY_S = 3600.0  # the worker refreshes SQLite's planner statistics hourly


def run_pass(sender: webpush.Sender, now: datetime | None = None,
             worker: str | None = None) -> tuple[dict[str, int], PassResult]:
    """One pass: create what is due, then dispatch every due reminder."""
    created = generate(now)
    return created, dispatch_all(sender, worker, now=now)


def worker_loop(sender: webpush.Sender, stop: threading.Event, idle_s: float = 5.0,
                generate_every_s: float | None = 60.0) -> None:
    """Loop until `stop` is set: create due reminders every minute (None: never), dispatch
    whenever rows are due, sleep `idle_s` when there is nothing to do."""
    import time as _time

    last_gen: float | None = None
    last_stats: float | None = None
    worker = worker_name()
    while not stop.is_set():
        try:
            if last_gen is None or _time.monotonic() - last_gen >= (generate_every_s or 60.0):
                if generate_every_s is not None:
                    generate()
                last_gen = _time.monotonic()
                housekeeping(worker, nightly=generate_every_s is not None)
            res = dispatch_once(sender, worker)
        except Exception:
            db.session.rollback()
            log.exception("reminder pass failed; trying again shortly")
            res = PassResult()
        finally:
            db.session.remove()
        if not res.claimed and (last_stats is None
                                or _time.monotonic() - last_stats >= STATS_EVERY_S):
            last_stats = _time.monotonic()  # an hour to the next try, even after a failure
            _refresh_statistics()
        if not res.claimed:
            stop.wait(idle_s)


def housekeeping(worker: str, nightly: bool, now: datetime | None = None) -> None:
    """Once a minute: this worker says it is alive (`flask planner doctor` reads it), and
    a generating worker takes the nightly backup when it is due. A failed backup is
    recorded and told to the administrators (bell and push); the reminders go on."""
    from flask import current_app

    from .. import ops

    now = now or datetime.now(UTC)
    ops.beat(worker, now)
    db.session.commit()
    if not nightly or not ops.nightly_due(current_app.config, now):
        return
    result = ops.nightly_backup(current_app.config, now)
    if result.error is not None:
        admins = db.session.scalars(select(User.id).where(
            User.role == Role.ADMIN, User.active.is_(True))).all()
        for uid in admins:
            enqueue(uid, BACKUP_FAILED, now.strftime("%Y-%m-%d"), now,
                    title="Backup failed", body=result.error[:200], url="/")
        log.error("the nightly backup failed: %s", result.error)
    db.session.commit()


def _refresh_statistics() -> None:
    """SQLite's planner statistics, between passes when nothing is due: optional work, so
    a failure (the database busy for longer than the lock timeout) is logged and the
    reminders go on."""
    try:
        refresh_statistics(db.session.connection())
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("refreshing the database statistics failed; next try in an hour",
                    exc_info=True)
    finally:
        db.session.remove()


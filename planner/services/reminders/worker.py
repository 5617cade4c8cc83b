"""The reminder worker: its pass and its loop are that process's entry point, so they
commit (before and after sending: no transaction stays open during network calls)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from ...db import refresh_statistics
from ...extensions import db
from . import channels as webpush
from .dispatch import PassResult, dispatch_all, dispatch_once, worker_name
from .schedule import generate

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
            if generate_every_s is not None and (
                    last_gen is None or _time.monotonic() - last_gen >= generate_every_s):
                generate()
                last_gen = _time.monotonic()
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


"""The dispatcher: it pushes due rows of `reminder` exactly once (a leased queue).

Dispatching (`dispatch_once`), in three steps so no transaction is open while a push
service is called:

1. claim: one statement marks up to `limit` due rows `sending`, with this worker's name
   and a lease (`claimed_until`), and returns them. On PostgreSQL the rows are picked
   with `FOR UPDATE SKIP LOCKED`, so workers never wait for or take each other's rows;
   on SQLite the same single conditional UPDATE runs inside one `BEGIN IMMEDIATE`
   transaction. A row whose lease ran out (its worker died) is due again. The
   subscriptions and preferences of those users are read in the same transaction, then
   it commits.
2. send, with no transaction open: each reminder to each of its user's devices
   (`webpush.Sender`, a thread pool).
3. record, in one transaction: sent, retried later (429 Retry-After; 5xx and timeouts
   back off 30 s, 1 min, 2 min ... up to `MAX_ATTEMPTS`, then failed with the reason),
   failed (400/401/403: a configuration problem, logged), deferred (quiet hours) or
   cancelled (kind turned off). 404/410 delete the subscription. Each update is
   conditional on this worker still holding the row.

A reminder for a user with no device is marked sent: the bell (the in-app list) shows
every due reminder, whether or not a push went out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, delete, or_, select, update

from ...extensions import db
from ...models import (
    Company,
    OrgUnit,
    PushSubscription,
    Reminder,
    ReminderStatus,
    User,
)
from . import channels as webpush
from .bell import _rowcount
from .endpoints import EndpointPolicy
from .preferences import (
    BACKOFF_BASE_S,
    BACKOFF_MAX_S,
    DEFAULT_DELIVERY,
    DELIVERY,
    LEASE_S,
    MAX_ATTEMPTS,
    Prefs,
    load_prefs,
    quiet_until,
    utcnow,
)

log = logging.getLogger("planner.reminders")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"



# ------------------------------------------------------------------ dispatching
@dataclass
class Claimed:
    id: int
    user_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    prefs: Prefs = field(default_factory=Prefs)
    subs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PassResult:
    claimed: int = 0
    sent: int = 0  # pushed to at least one device
    in_app: int = 0  # no device: the bell has it
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    lost: int = 0  # the lease ran out and another worker took the row
    subscriptions_removed: int = 0


def _due_filter(now: datetime) -> Any:
    t = Reminder.__table__.c
    return or_(
        and_(t.status == ReminderStatus.PENDING, t.due_at <= now,
             or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now)),
        and_(t.status == ReminderStatus.SENDING, t.claimed_until < now),
    )


def claim(worker: str, limit: int = 100, lease_s: int = LEASE_S,
          now: datetime | None = None) -> list[Claimed]:
    """Mark up to `limit` due rows as ours (see the module doc); the caller commits."""
    now = now or utcnow()
    table = Reminder.__table__
    t = table.c
    pick = select(t.id).where(_due_filter(now)).order_by(t.due_at, t.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(table).where(t.id.in_(pick.scalar_subquery()))
        .values(status=ReminderStatus.SENDING, claimed_by=worker,
                claimed_until=now + timedelta(seconds=lease_s), attempts=t.attempts + 1)
        .returning(t.id, t.user_id, t.kind, t.payload, t.attempts)
    )
    rows = db.session.execute(stmt).all()
    return [Claimed(r.id, r.user_id, r.kind, dict(r.payload or {}), r.attempts) for r in rows]


def _context_for(claimed: list[Claimed]) -> None:
    """Fill in each claimed reminder's devices, preferences and timezone."""
    ids = sorted({c.user_id for c in claimed})
    subs: dict[int, list[dict[str, Any]]] = {}
    tzs: dict[int, ZoneInfo] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        for s in db.session.execute(select(
                PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
                PushSubscription.p256dh, PushSubscription.auth)
                .where(PushSubscription.user_id.in_(part))):
            subs.setdefault(s.user_id, []).append(
                {"id": s.id, "endpoint": s.endpoint,
                 "keys": {"p256dh": s.p256dh, "auth": s.auth}})
        for uid, tzname in db.session.execute(
                select(User.id, Company.timezone).join(OrgUnit, OrgUnit.id == User.unit_id)
                .join(Company, Company.id == OrgUnit.company_id).where(User.id.in_(part))):
            tzs[uid] = ZoneInfo(tzname or "Asia/Shanghai")
    prefs = load_prefs(ids)
    for c in claimed:
        c.subs = subs.get(c.user_id, [])
        c.tz = tzs.get(c.user_id, ZoneInfo("Asia/Shanghai"))
        c.prefs = prefs.get(c.user_id, Prefs())


def backoff_s(attempts: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)))


def push_data(c: Claimed) -> bytes:
    """What the service worker gets: the payload plus the reminder's id, the link that
    marks it read, and a tag per kind (a newer one replaces an older one of its kind)."""
    data = dict(c.payload)
    data.setdefault("kind", c.kind)
    data["id"] = c.id
    data["tag"] = c.kind
    data["open"] = f"/notifications/{c.id}/open"
    return webpush.encode_payload(data)


@dataclass
class _Decision:
    reminder: Claimed
    action: str  # sent | in_app | retry | failed | defer | cancel
    at: datetime | None = None
    reason: str | None = None
    outcomes: list[tuple[int, webpush.Outcome]] = field(default_factory=list)


def _deliver(c: Claimed, sender: webpush.Sender, now: datetime) -> _Decision:
    if not c.prefs.wants(c.kind):
        return _Decision(c, "cancel", reason="turned off in the user's preferences")
    quiet = quiet_until(c.prefs, now.astimezone(c.tz))
    if quiet is not None:
        return _Decision(c, "defer", at=quiet.astimezone(UTC), reason="quiet hours")
    if not c.subs:
        return _Decision(c, "in_app", reason="no device subscribed: in the app only")
    ttl, urgency = DELIVERY.get(c.kind, DEFAULT_DELIVERY)
    try:
        data = push_data(c)
    except ValueError as exc:
        return _Decision(c, "failed", reason=str(exc))
    outcomes = []
    for sub in c.subs:
        out = sender.send(sub, data, ttl=ttl, urgency=urgency, topic=c.kind.replace("_", "-"))
        outcomes.append((sub["id"], out))
    kinds = {o.status for _i, o in outcomes}
    reasons = "; ".join(f"{o.status}: {o.detail}" for _i, o in outcomes if o.status != "ok")
    if "ok" in kinds:
        # Delivered: the reminder keeps no error. A device that failed on the way is
        # accounted on its own subscription (deleted when gone, else its failures).
        return _Decision(c, "sent", outcomes=outcomes)
    if "retry" in kinds:
        if c.attempts >= MAX_ATTEMPTS:
            return _Decision(c, "failed", reason=f"gave up after {c.attempts} attempts: "
                             + reasons, outcomes=outcomes)
        wait = max([o.retry_after or 0.0 for _i, o in outcomes if o.status == "retry"]
                   + [backoff_s(c.attempts)])
        return _Decision(c, "retry", at=now + timedelta(seconds=wait), reason=reasons,
                         outcomes=outcomes)
    if kinds == {"gone"}:
        return _Decision(c, "in_app", reason="every device unsubscribed: in the app only",
                         outcomes=outcomes)
    return _Decision(c, "failed", reason=reasons, outcomes=outcomes)


def _record(decisions: list[_Decision], worker: str, now: datetime) -> PassResult:
    table = Reminder.__table__
    t = table.c
    res = PassResult(claimed=len(decisions))
    status = {"sent": ReminderStatus.SENT, "in_app": ReminderStatus.SENT,
              "retry": ReminderStatus.PENDING, "defer": ReminderStatus.PENDING,
              "failed": ReminderStatus.FAILED, "cancel": ReminderStatus.CANCELLED}
    params = []
    for d in decisions:
        params.append({
            "rid": d.reminder.id, "me": worker, "st": status[d.action],
            "sent": now if d.action in ("sent", "in_app") else None,
            "next": d.at, "err": (d.reason or None) and d.reason[:2000],
            # a deferral (quiet hours) is not an attempt
            "att": d.reminder.attempts - (1 if d.action == "defer" else 0),
        })
    if params:
        stmt = (update(table)
                .where(t.id == bindparam("rid"), t.claimed_by == bindparam("me"),
                       t.status == ReminderStatus.SENDING)
                .values(status=bindparam("st"), sent_at=bindparam("sent"),
                        next_attempt_at=bindparam("next"), last_error=bindparam("err"),
                        attempts=bindparam("att"), claimed_by=None, claimed_until=None))
        conn = db.session.connection()
        done = conn.execute(stmt, params).rowcount
        if done is not None and done >= 0:
            res.lost = len(params) - done
    gone: set[int] = set()
    ok: set[int] = set()
    bad: set[int] = set()
    for d in decisions:
        for sid, o in d.outcomes:
            (gone if o.status == "gone" else ok if o.status == "ok" else bad).add(sid)
        field_name = {"sent": "sent", "in_app": "in_app", "retry": "retried", "failed": "failed",
                      "defer": "deferred", "cancel": "cancelled"}[d.action]
        setattr(res, field_name, getattr(res, field_name) + 1)
    if gone:
        res.subscriptions_removed = _rowcount(
            delete(PushSubscription).where(PushSubscription.id.in_(gone)))
    if ok:
        db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(ok))
                           .values(failures=0, last_success_at=now))
    if bad - ok - gone:
        db.session.execute(update(PushSubscription)
                           .where(PushSubscription.id.in_(bad - ok - gone))
                           .values(failures=PushSubscription.failures + 1))
    return res


def dispatch_once(sender: webpush.Sender, worker: str | None = None, limit: int = 100,
                  lease_s: int = LEASE_S, now: datetime | None = None,
                  threads: int = 8) -> PassResult:
    """Claim, send and record one batch of due reminders (see the module doc)."""
    worker = worker or worker_name()
    now = now or utcnow()
    try:
        claimed = claim(worker, limit, lease_s, now)
        if claimed:
            _context_for(claimed)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if not claimed:
        return PassResult()
    # No transaction is open from here until the results are written.
    if threads > 1 and len(claimed) > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(claimed))) as pool:
            decisions = list(pool.map(lambda c: _deliver(c, sender, now), claimed))
    else:
        decisions = [_deliver(c, sender, now) for c in claimed]
    try:
        res = _record(decisions, worker, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for d in decisions:
        if d.action == "failed":
            log.warning("reminder %s (%s) failed: %s", d.reminder.id, d.reminder.kind, d.reason)
    return res



def app_sender(app: Flask | None = None) -> webpush.Sender:
    # The app itself, not the proxy (Flask types current_app as the app).
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return webpush.Sender(webpush.app_key(app), app.config["VAPID_SUBJECT"],
                          timeout=float(app.config.get("PUSH_TIMEOUT", 10)),
                          policy=EndpointPolicy.from_config(app.config))


def dispatch_all(sender: webpush.Sender, worker: str | None = None, limit: int = 100,
                 now: datetime | None = None, threads: int = 8) -> PassResult:
    """Dispatch batches until no due row is left to claim; the sum of the passes."""
    total = PassResult()
    while True:
        res = dispatch_once(sender, worker, limit=limit, now=now, threads=threads)
        if not res.claimed:
            return total
        for name in total.__dataclass_fields__:
            setattr(total, name, getattr(total, name) + getattr(res, name))



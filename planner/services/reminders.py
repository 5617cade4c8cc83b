"""Reminders: the dispatcher that pushes due rows of `reminder` exactly once, and the
passes that create them (morning plan, follow-ups, end of day, weekly review, behind
target, the manager's daily digest).

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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.expression import UpdateBase

from ..db import refresh_statistics
from ..extensions import db
from ..models import (
    Company,
    Customer,
    OrgUnit,
    PushSubscription,
    Reminder,
    ReminderPreference,
    ReminderStatus,
    ReviewStatus,
    Role,
    Stage,
    User,
    Visit,
    WeeklyReview,
)
from . import webpush
from .notify import dedupe_key, enqueue

log = logging.getLogger("planner.reminders")

# ------------------------------------------------------------------ kinds
MORNING_PLAN = "morning_plan"
FOLLOW_UP = "follow_up"
END_OF_DAY = "end_of_day"
WEEKLY_REVIEW = "weekly_review"
BEHIND_TARGET = "behind_target"
TEAM_DIGEST = "team_digest"
REVIEW_GROUP = "review"  # review_submitted, review_returned ... in one switch
STATS_EVERY_S = 3600.0  # the worker refreshes SQLite's planner statistics hourly

# What a user can switch off, in the order the settings list them.
REP_KINDS = (MORNING_PLAN, FOLLOW_UP, END_OF_DAY, WEEKLY_REVIEW, BEHIND_TARGET, REVIEW_GROUP)
MANAGER_KINDS = (TEAM_DIGEST, REVIEW_GROUP)

# TTL (how long a push service keeps the message for a phone that is off) and Urgency.
DELIVERY: dict[str, tuple[int, str]] = {
    MORNING_PLAN: (4 * 3600, "normal"),
    FOLLOW_UP: (8 * 3600, "normal"),
    END_OF_DAY: (4 * 3600, "normal"),
    WEEKLY_REVIEW: (24 * 3600, "normal"),
    BEHIND_TARGET: (12 * 3600, "normal"),
    TEAM_DIGEST: (12 * 3600, "low"),
}
DEFAULT_DELIVERY = (24 * 3600, "normal")

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
LEASE_S = 120
MAX_LATE = timedelta(hours=3)  # a morning plan is not worth sending in the afternoon
FOLLOW_UP_DELAY = timedelta(hours=1)  # after the morning plan
BEHIND_AT = time(12, 0)
WEEKLY_REVIEW_AT = time(17, 0)
BEHIND_FACTOR = 1.5  # needed run rate > 1.5 x the pace so far
BEHIND_MIN_DAYS = 3  # working days gone before the pace says anything


def kind_group(kind: str) -> str:
    return REVIEW_GROUP if kind.startswith("review") and kind != REVIEW_GROUP else kind


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands DateTime(timezone=True) back naive: it was stored as UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


# ------------------------------------------------------------------ preferences
@dataclass
class Prefs:
    kinds_off: frozenset[str] = frozenset()
    morning: time = time(8, 30)
    evening: time = time(17, 30)
    quiet_start: time | None = time(22, 0)  # QUIET
    quiet_end: time | None = time(7, 0)
    locale: str | None = None

    def wants(self, kind: str) -> bool:
        return kind_group(kind) not in self.kinds_off


def parse_hhmm(value: str | None) -> time | None:
    if not value:
        return None
    try:
        h, m = value.split(":")
        return time(int(h), int(m))
    except ValueError:
        return None


# The quiet hours of a user who chose none yet (Prefs' defaults say the same).
QUIET = ("22:00", "07:00")


def prefs_of(row: ReminderPreference | None) -> Prefs:
    if row is None:
        return Prefs()
    return Prefs(
        kinds_off=frozenset(row.kinds_off or ()),
        morning=parse_hhmm(row.morning_time) or time(8, 30),
        evening=parse_hhmm(row.evening_time) or time(17, 30),
        quiet_start=parse_hhmm(row.quiet_start),
        quiet_end=parse_hhmm(row.quiet_end),
        locale=row.locale,
    )


def load_prefs(user_ids: Iterable[int]) -> dict[int, Prefs]:
    ids = list(set(user_ids))
    out = {uid: Prefs() for uid in ids}
    for i in range(0, len(ids), 500):
        for row in db.session.scalars(select(ReminderPreference).where(
                ReminderPreference.user_id.in_(ids[i:i + 500]))):
            out[row.user_id] = prefs_of(row)
    return out


def quiet_until(prefs: Prefs, local: datetime) -> datetime | None:
    """The local end of the quiet hours `local` falls in, or None when it is not quiet."""
    qs, qe = prefs.quiet_start, prefs.quiet_end
    if qs is None or qe is None or qs == qe:
        return None
    t = local.time()
    if qs < qe:  # e.g. 12:00-14:00
        inside = qs <= t < qe
        end_day = local.date()
    else:  # over midnight, e.g. 22:00-07:00
        inside = t >= qs or t < qe
        end_day = local.date() + timedelta(days=1) if t >= qs else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, qe, tzinfo=local.tzinfo)


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
        return _Decision(c, "sent", reason=reasons or None, outcomes=outcomes)
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


def _rowcount(stmt: UpdateBase) -> int:
    """Run an UPDATE or DELETE; the rows it matched. (The session types every result as
    a Result; a DML statement's is a CursorResult, which has the count.)"""
    return cast("CursorResult[Any]", db.session.execute(stmt)).rowcount or 0


def app_sender(app: Flask | None = None) -> webpush.Sender:
    # The app itself, not the proxy (Flask types current_app as the app).
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return webpush.Sender(webpush.app_key(app), app.config["VAPID_SUBJECT"],
                          timeout=float(app.config.get("PUSH_TIMEOUT", 10)))


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


# ------------------------------------------------------------------ creating reminders
# Checks that found nothing to say ("no follow-up due", "not behind"): not asked again
# by this process on the same day. A reminder that was created is found by its key.
_checked: set[tuple[int, str, str]] = set()
_checked_day: list[date] = []


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def review_day(cal: Any, day: date) -> date | None:
    """The week's self-review is due on its last working day from Monday to Friday."""
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=i) for i in range(5) if cal.is_working_day(
        monday + timedelta(days=i))]
    return days[-1] if days else None


def previous_working_day(cal: Any, day: date) -> date:
    d = day - timedelta(days=1)
    for _i in range(30):
        if cal.is_working_day(d):
            return d
        d -= timedelta(days=1)
    return day - timedelta(days=1)


def _path(endpoint: str, fallback: str, **values: Any) -> str:
    """A local link built without a request (the worker has none)."""
    app = current_app
    if endpoint not in app.view_functions:
        return fallback
    return app.url_map.bind("localhost").build(endpoint, values)


def _sep(locale: str) -> str:
    return "、" if locale.startswith("zh") else ", "


def _join(locale: str, sentences: list[str]) -> str:
    return ("" if locale.startswith("zh") else " ").join(sentences)


@dataclass
class Text:
    title: str
    body: str
    url: str


def _fmt(value: int, metric: Any) -> str:
    """As Today's figure tiles show it (the app's one formatter, short style)."""
    from .. import fmt

    return fmt.value(value, getattr(metric, "unit", None), "short")


def _name(obj: Any) -> str:
    from .. import fmt

    return fmt.name(obj)


def morning_plan_text(user: User, day: date, locale: str) -> Text | None:
    from .planned_visits import day_plan, follow_ups_due
    from .rep_plan import rep_plan

    plan = rep_plan(user, day)
    run = [m for m in plan.metrics if m.run is not None and m.target > 0]
    dp = day_plan(user.id, day)
    planned = [i.customer.name for i in dp.items] if dp else []
    due = follow_ups_due(user.id, day)
    from .years import year_notice  # a day with no published targets says why

    notice = year_notice(user, day) if not plan.metrics else None
    if not run and not planned and not due and notice is None:
        return None
    sep = _sep(locale)
    lines = [notice.text] if notice is not None else []
    if run:
        lines.append(_("Today's targets: %(targets)s.", targets=sep.join(
            f"{_name(m.metric)} {_fmt(m.today_target, m.metric)}" for m in run)))
    if planned:
        lines.append(_("Visits planned: %(n)s (%(names)s).", n=len(planned),
                       names=sep.join(planned[:5]) + ("…" if len(planned) > 5 else "")))
    else:
        lines.append(_("No visits planned yet."))
    if due:
        overdue = sum(1 for c in due if c.next_follow_up and c.next_follow_up < day)
        lines.append(_("Follow-ups due: %(n)s (%(overdue)s overdue).", n=len(due),
                       overdue=overdue))
    return Text(_("Today's plan"), _join(locale, lines), _path("web.today", "/today"))


def follow_up_text(user: User, day: date, locale: str) -> Text | None:
    from .planned_visits import follow_ups_due

    due = follow_ups_due(user.id, day)
    if not due:
        return None
    overdue = [c for c in due if c.next_follow_up and c.next_follow_up < day]
    names = _sep(locale).join(c.name for c in due[:5]) + ("…" if len(due) > 5 else "")
    return Text(_("Follow-ups due"),
                _("%(today)s due today, %(overdue)s overdue: %(names)s.",
                  today=len(due) - len(overdue), overdue=len(overdue), names=names),
                _path("web.today", "/today"))


def end_of_day_text(user: User, day: date, locale: str) -> Text | None:
    from .rep_plan import rep_plan

    logged = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id == user.id, Visit.local_date == day)) or 0
    if logged:
        return None
    plan = rep_plan(user, day)
    run = [m for m in plan.metrics if m.run is not None and m.remaining_today > 0]
    lines = [_("Nothing logged today yet.")]
    if run:
        lines.append(_("Still to go today: %(figures)s.", figures=_sep(locale).join(
            f"{_name(m.metric)} {_fmt(m.remaining_today, m.metric)}" for m in run)))
    lines.append(_("Log today's visits and plan tomorrow."))
    return Text(_("End of the day"), _join(locale, lines), _path("web.today", "/today"))


def weekly_review_text(user: User, day: date, locale: str) -> Text | None:
    monday = day - timedelta(days=day.weekday())
    done = db.session.scalar(select(WeeklyReview.id).where(
        WeeklyReview.user_id == user.id, WeeklyReview.week_start == monday,
        WeeklyReview.status.in_([ReviewStatus.SUBMITTED, ReviewStatus.APPROVED])))
    if done:
        return None
    visits = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id == user.id, Visit.local_date >= monday, Visit.local_date <= day)) or 0
    return Text(_("Weekly review due"),
                _("Your self-review of the week from %(start)s is due today at 17:00. "
                  "Visits logged this week: %(n)s.", start=monday.isoformat(), n=visits),
                _path("web.reviews", "/plans/week"))


def behind(m: Any, cal: Any, day: date) -> tuple[int, float] | None:
    """(run rate now needed per working day, pace so far per working day) when the
    needed rate is more than BEHIND_FACTOR times the pace; None otherwise. Only after
    BEHIND_MIN_DAYS working days of the month have gone (before that the pace says
    little)."""
    if m.run is None or m.target <= 0 or m.run.working_days_left <= 0:
        return None
    gone = cal.count(m.period.start, day - timedelta(days=1)) if day > m.period.start else 0
    if gone < BEHIND_MIN_DAYS:
        return None
    before = m.achieved - m.achieved_today
    left = m.target - before
    if left <= 0:
        return None
    needed = left / m.run.working_days_left
    pace = before / gone
    if needed > BEHIND_FACTOR * pace:
        return m.run.today_target, pace
    return None


def _pace(pace: float, metric: Any) -> str:
    """Money to the fen; counts with one decimal (0.6 visits a day, not 1)."""
    if str(getattr(metric, "unit", "")) == "money":
        return _fmt(int(round(pace)), metric)
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    return format_decimal(round(pace, 1), locale=str(get_locale() or "zh_Hans_CN"))


def behind_target_text(user: User, day: date, locale: str) -> Text | None:
    from .calendar import company_calendar
    from .rep_plan import rep_plan

    company = user.company
    cal = company_calendar(company)
    plan = rep_plan(user, day)
    for m in plan.metrics:
        hit = behind(m, cal, day)
        if hit is None or m.run is None:  # behind() is None without a run rate
            continue
        need, pace = hit
        return Text(
            _("Behind target: %(metric)s", metric=_name(m.metric)),
            ngettext("%(metric)s: %(achieved)s of %(target)s this month. You now need "
                     "%(need)s per working day for %(num)d day; your pace so far is %(pace)s "
                     "per day.",
                     "%(metric)s: %(achieved)s of %(target)s this month. You now need "
                     "%(need)s per working day for %(num)d days; your pace so far is %(pace)s "
                     "per day.",
                     m.run.working_days_left, metric=_name(m.metric),
                     achieved=_fmt(m.achieved - m.achieved_today, m.metric),
                     target=_fmt(m.target, m.metric), need=_fmt(need, m.metric),
                     pace=_pace(pace, m.metric)),
            _path("web.today", "/today"))
    return None


def team_digest_text(user: User, day: date, locale: str) -> Text | None:
    from .calendar import company_calendar
    from .progress import team_progress

    tp = team_progress(user, day)
    if not tp.reps:
        return None
    company = user.company
    prev = previous_working_day(company_calendar(company), day)
    ids = [r.user.id for r in tp.reps if r.user is not None]
    visits = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id.in_(ids), Visit.local_date == prev)) or 0
    overdue = db.session.scalar(
        select(func.count(Customer.id)).join(Stage, Stage.id == Customer.stage_id)
        .where(Customer.owner_id.in_(ids), Customer.next_follow_up < day,
               Stage.is_lost.is_(False))) or 0
    lines = [ngettext("%(num)d rep. Visits on %(day)s: %(visits)s; follow-ups overdue: "
                      "%(overdue)s.",
                      "%(num)d reps. Visits on %(day)s: %(visits)s; follow-ups overdue: "
                      "%(overdue)s.",
                      len(ids), visits=visits, day=prev.isoformat(), overdue=overdue)]
    if tp.metrics:
        m = tp.metrics[0]
        behind_n = sum(1 for r in tp.reps if r.cells[m.code].target > 0
                       and r.cells[m.code].share + 0.0001 < tp.time_elapsed)
        total = tp.units[-1].cells.get(m.code) if tp.units else None
        lines.append(ngettext(
            "%(metric)s: %(achieved)s of %(target)s this month; %(num)d rep behind the "
            "share of working days gone (%(pct)s%%).",
            "%(metric)s: %(achieved)s of %(target)s this month; %(num)d reps behind the "
            "share of working days gone (%(pct)s%%).",
            behind_n, metric=_name(m), achieved=_fmt(total.achieved if total else 0, m),
            target=_fmt(total.target if total else 0, m),
            pct=int(round(tp.time_elapsed * 100))))
    return Text(_("Team digest"), _join(locale, lines), _path("web.team", "/team"))


BUILDERS = {
    MORNING_PLAN: morning_plan_text,
    FOLLOW_UP: follow_up_text,
    END_OF_DAY: end_of_day_text,
    WEEKLY_REVIEW: weekly_review_text,
    BEHIND_TARGET: behind_target_text,
    TEAM_DIGEST: team_digest_text,
}


def schedule(role: Role, prefs: Prefs, day: date, cal: Any) -> list[tuple[str, time, str]]:
    """(kind, local time, when-key) of the reminders a user may get on a working day."""
    d = day.isoformat()
    if role == Role.MANAGER:
        return [(TEAM_DIGEST, prefs.morning, d)]
    if role != Role.REP:
        return []
    morning_next = (datetime.combine(day, prefs.morning) + FOLLOW_UP_DELAY).time()
    out = [(MORNING_PLAN, prefs.morning, d), (FOLLOW_UP, morning_next, d),
           (END_OF_DAY, prefs.evening, d), (BEHIND_TARGET, BEHIND_AT, week_key(day))]
    if review_day(cal, day) == day:
        out.append((WEEKLY_REVIEW, WEEKLY_REVIEW_AT, week_key(day)))
    return out


def locale_of(user: User, prefs: Prefs) -> str:
    return str(user.locale or prefs.locale or current_app.config["BABEL_DEFAULT_LOCALE"])


def generate(now: datetime | None = None, only: Iterable[int] | None = None) -> dict[str, int]:
    """Create the reminders whose time has come (up to MAX_LATE late), on the company's
    working days, for kinds the user has not turned off. Idempotent: `notify.enqueue`
    keeps one row per (user, kind, day or week). Commits per company. `only` limits it
    to some user ids (tests)."""
    from .calendar import company_calendar

    now = now or utcnow()
    created: dict[str, int] = {}
    for company in db.session.scalars(select(Company).order_by(Company.id)).all():
        tz = ZoneInfo(company.timezone or "Asia/Shanghai")
        local = now.astimezone(tz)
        today = local.date()
        if _checked_day != [today]:
            _checked.clear()
            _checked_day[:] = [today]
        cal = company_calendar(company)
        if not cal.is_working_day(today):
            continue
        q = (select(User).join(OrgUnit, OrgUnit.id == User.unit_id)
             .where(OrgUnit.company_id == company.id, User.active.is_(True),
                    User.role.in_([Role.REP, Role.MANAGER])).order_by(User.id))
        if only is not None:
            q = q.where(User.id.in_(list(only)))
        users = db.session.scalars(q).all()
        prefs = load_prefs(u.id for u in users)
        wanted: list[tuple[User, str, str, datetime]] = []
        for u in users:
            p = prefs[u.id]
            for kind, at, when in schedule(u.role, p, today, cal):
                sched = datetime.combine(today, at, tzinfo=tz)
                if not (sched <= local < sched + MAX_LATE) or not p.wants(kind):
                    continue
                if (u.id, kind, when) in _checked:
                    continue
                wanted.append((u, kind, when, sched))
        keys = [dedupe_key(u.id, k, w) for u, k, w, _s in wanted]
        have: set[str] = set()
        for i in range(0, len(keys), 500):
            have.update(db.session.scalars(select(Reminder.dedupe_key).where(
                Reminder.dedupe_key.in_(keys[i:i + 500]))))
        for (u, kind, when, sched), key in zip(wanted, keys, strict=True):
            if key in have:
                continue
            loc = locale_of(u, prefs[u.id])
            with force_locale(loc):
                text = BUILDERS[kind](u, today, loc)
            if text is None:
                _checked.add((u.id, kind, when))
                continue
            if enqueue(u.id, kind, when, sched.astimezone(UTC), title=text.title,
                       body=text.body, url=text.url):
                created[kind] = created.get(kind, 0) + 1
        from .years import NEXT_YEAR, next_year_reminders  # December: plan next year

        if n := next_year_reminders(company, local, cal, only):
            created[NEXT_YEAR] = created.get(NEXT_YEAR, 0) + n
        db.session.commit()
    return created


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


def unread_query(user_id: Any, now: Any = None) -> Select[Any]:
    """SELECT the number of the user's unread due reminders (the bell's count); the
    arguments may be bind parameters (a statement built once)."""
    if now is None:
        now = utcnow()
    return select(func.count(Reminder.id)).where(
        Reminder.user_id == user_id, Reminder.due_at <= now, Reminder.read_at.is_(None),
        Reminder.status != ReminderStatus.CANCELLED)


def unread_count(user_id: int, now: datetime | None = None) -> int:
    return int(db.session.scalar(unread_query(user_id, now)) or 0)


def inbox(user_id: int, limit: int = 50, now: datetime | None = None) -> list[Reminder]:
    """The bell's list: due reminders of any kind, newest first (pushed or not)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Reminder).where(Reminder.user_id == user_id, Reminder.due_at <= now,
                               Reminder.status != ReminderStatus.CANCELLED)
        .order_by(Reminder.due_at.desc(), Reminder.id.desc()).limit(limit)))


def mark_read(user_id: int, reminder_id: int | None = None,
              now: datetime | None = None) -> int:
    """Mark one (or every) due reminder of the user read; the caller commits."""
    now = now or utcnow()
    stmt = update(Reminder).where(Reminder.user_id == user_id, Reminder.read_at.is_(None),
                                  Reminder.due_at <= now)
    if reminder_id is not None:
        stmt = stmt.where(Reminder.id == reminder_id)
    return _rowcount(stmt.values(read_at=now).execution_options(synchronize_session=False))

"""When reminders are created: each working day's schedule of a user, and the pass that
queues the ones whose time has come (idempotent)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from ...extensions import db
from ...models import (
    Company,
    OrgUnit,
    Reminder,
    Role,
    User,
)
from .bell import dedupe_key, enqueue
from .preferences import (
    BEHIND_AT,
    BEHIND_TARGET,
    END_OF_DAY,
    FOLLOW_UP,
    FOLLOW_UP_DELAY,
    MAX_LATE,
    MORNING_PLAN,
    TEAM_DIGEST,
    WEEKLY_REVIEW,
    WEEKLY_REVIEW_AT,
    Prefs,
    load_prefs,
    utcnow,
)
from .texts import (
    behind_target_text,
    end_of_day_text,
    follow_up_text,
    morning_plan_text,
    team_digest_text,
    weekly_review_text,
)

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
    from ..calendar import company_calendar

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
        from ..years import NEXT_YEAR, next_year_reminders  # December: plan next year

        if n := next_year_reminders(company, local, cal, only):
            created[NEXT_YEAR] = created.get(NEXT_YEAR, 0) + n
        db.session.commit()
    return created



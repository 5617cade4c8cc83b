"""The review's notifications, through the reminders' queue and worded in each
recipient's language: submitted (to the approvers), approved or returned (to the author),
and the overdue reminders of last week's review (to the rep and their managers)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    Company,
    OrgUnit,
    Reminder,
    ReviewStatus,
    Role,
    User,
    WeeklyReview,
)
from ..company import local_today, review_due
from ..reminders import enqueue
from .weeks import _now, week_start

# ------------------------------------------------------------------ reminders


def _locale_of(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")


def _url(endpoint: str, **kw: Any) -> str:
    try:
        return url_for(endpoint, **kw)
    except RuntimeError:  # no request (a CLI run): a relative link all the same
        with current_app.test_request_context():
            return url_for(endpoint, **kw)


def approvers(author: User) -> list[User]:
    """Who is told that a review waits: the managers whose unit holds the author's (the
    nearest first), else the company's admins."""
    path = author.unit.path
    managers = [u for u in db.session.scalars(
        select(User).join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(User.role == Role.MANAGER, User.active.is_(True), User.id != author.id,
               OrgUnit.company_id == author.unit.company_id))
        if path.startswith(u.unit.path)]
    if managers:
        longest = max(len(u.unit.path) for u in managers)
        return [u for u in managers if len(u.unit.path) == longest]
    return list(db.session.scalars(
        select(User).join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(User.role == Role.ADMIN, User.active.is_(True),
               OrgUnit.company_id == author.unit.company_id)))


def _week_label(monday: date) -> str:
    return f"{monday.isoformat()} – {(monday + timedelta(days=6)).isoformat()[5:]}"


def _notify_submitted(review: WeeklyReview, author: User) -> None:
    for m in approvers(author):
        with force_locale(_locale_of(m)):
            enqueue(
                m.id, "review_submitted", f"{review.id}:{review.version}", _now(),
                title=_("Weekly review to approve"),
                body=_("%(name)s submitted the review of the week %(week)s.",
                       name=author.display_name, week=_week_label(review.week_start)),
                url=_url("web.review", review_id=review.id),
                extra={"review_id": review.id})


def _notify_decided(review: WeeklyReview, actor: User) -> None:
    author = db.session.get(User, review.user_id)
    assert author is not None
    approved = review.status == ReviewStatus.APPROVED
    with force_locale(_locale_of(author)):
        if approved:
            title = _("Weekly review approved")
            body = _("%(name)s approved your review of the week %(week)s.",
                     name=actor.display_name, week=_week_label(review.week_start))
        else:
            title = _("Weekly review returned")
            body = _("%(name)s returned your review of the week %(week)s: %(comment)s",
                     name=actor.display_name, week=_week_label(review.week_start),
                     comment=review.review_comment[:200])
        enqueue(
            author.id, "review_approved" if approved else "review_returned",
            f"{review.id}:{review.version}", _now(), title=title, body=body,
            url=_url("web.review_week", week=review.week_start.isoformat()),
            extra={"review_id": review.id})


def remind_overdue(company: Company, now: datetime | None = None) -> int:
    """Once last week's review is due (the company's rule, `review_due`: Monday 12:00 by
    default): every rep without a submitted review is reminded, and each of their
    managers gets one reminder naming how many are missing. Before that, nothing.
    Idempotent (one reminder per user, kind and week). Returns the reminders queued."""
    now = now or _now()
    today = local_today(company, now)
    monday = week_start(today) - timedelta(days=7)
    if now < review_due(company, monday):
        return 0
    done = select(WeeklyReview.user_id).where(
        WeeklyReview.week_start == monday,
        WeeklyReview.status.in_([ReviewStatus.SUBMITTED, ReviewStatus.APPROVED]))
    reps = list(db.session.scalars(
        select(User).join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(OrgUnit.company_id == company.id, User.role == Role.REP,
               User.active.is_(True), User.id.not_in(done))
        .options(joinedload(User.unit)).order_by(User.id)))
    kinds = ("review_overdue", "review_overdue_team")

    def rows() -> int:  # counted in the database: the reminders this week already has
        return int(db.session.scalar(select(func.count(Reminder.id)).where(
            Reminder.kind.in_(kinds),
            Reminder.dedupe_key.like(f"%:{monday.isoformat()}"))) or 0)

    before = rows()
    missing: dict[int, list[User]] = defaultdict(list)
    managers: dict[int, User] = {}
    for rep in reps:
        with force_locale(_locale_of(rep)):
            enqueue(
                rep.id, "review_overdue", monday.isoformat(), now,
                title=_("Your weekly review is overdue"),
                body=_("The review of the week %(week)s is not submitted yet.",
                       week=_week_label(monday)),
                url=_url("web.review_week", week=monday.isoformat()))
        for m in approvers(rep):
            if m.role == Role.MANAGER:
                managers[m.id] = m
                missing[m.id].append(rep)
    for mid, people in missing.items():
        m = managers[mid]
        with force_locale(_locale_of(m)):
            enqueue(
                m.id, "review_overdue_team", monday.isoformat(), now,
                title=_("Weekly reviews not submitted"),
                body=_("%(n)s of your team have not submitted the review of the week "
                       "%(week)s: %(names)s", n=len(people), week=_week_label(monday),
                       names=", ".join(p.display_name for p in people[:10])),
                url=_url("web.reviews_team", week=monday.isoformat()))
    return rows() - before



"""A review's week: which week to review now, when a week's review is late (both by the
company's rule, `services.company.review_due`), and the clock the workflow reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ...models import Company, ReviewStatus, User, WeeklyReview
from ..company import company_tz, local_today, review_due


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_week(company: Company, now: datetime | None = None) -> date:
    """The week to review now: last week until this week's review opens on Friday, and
    never before last week's review is due (the company's rule, `review_due`); then
    this week."""
    now = now or _now()
    monday = week_start(local_today(company, now))
    opens = datetime.combine(monday + timedelta(days=4), time(0, 0), company_tz(company))
    last = monday - timedelta(days=7)
    return monday if now >= max(opens, review_due(company, last)) else last


def _company(user: User) -> Company:
    company = user.company
    return company


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def is_late(review: WeeklyReview | None, due: datetime, now: datetime) -> bool:
    """Late (逾期): not submitted by its due time, or submitted after it and still
    waiting. A review returned to its author is not counted late."""
    if review is None or review.status == ReviewStatus.DRAFT:
        return now >= due
    return (review.status == ReviewStatus.SUBMITTED and review.submitted_at is not None
            and _aware(review.submitted_at) > due)


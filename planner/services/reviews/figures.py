"""The week's figures, filled in from the data: each row's week target (the engine's daily
split of the month targets) against what was achieved, day by day; visits by kind;
follow-ups due; the planned visits beside what happened; last week's plan numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...engine import Period
from ...extensions import db
from ...models import (
    Customer,
    DailyPlan,
    DailyPlanItem,
    ReviewStatus,
    User,
    Visit,
    VisitKind,
    WeeklyReview,
)
from ..calendar import company_calendar
from ..company import local_today
from ..period_plans import MONEY_SOURCES, _rows
from .weeks import _aware, _company

# ------------------------------------------------------------------ the figures

# (key, label, metric code of the target or None, actual source): the rows of the review.
ROWS = [
    ("visits", _l("Visits"), "visits", "visits"),
    ("cold_visits", _l("Cold visits"), "cold_visits", "visits_cold"),
    ("existing", _l("Existing customers"), None, "visits_existing"),
    ("return_visits", _l("Return visits"), "return_visits", "visits_return"),
    ("new_customers", _l("New customers"), "new_customers", "new_customers"),
    ("contracts", _l("Signings"), "contracts", "contracts"),
    ("revenue", _l("Amount signed"), "revenue", "amount_signed"),
    ("collections", _l("Collections"), "collections", "amount_collected"),
]
ROW_LABELS = {key: label for key, label, _c, _s in ROWS}
MONEY_ROWS = {key for key, _l2, _c, source in ROWS if source in MONEY_SOURCES}
# Next week's numbers the rep sets (they become next week's plan).
NEXT_KEYS = ["visits", "new_customers", "contracts", "revenue", "collections"]
KIND_LABELS = {VisitKind.COLD.value: _l("Cold visits"),
               VisitKind.EXISTING.value: _l("Existing customers"),
               VisitKind.RETURN.value: _l("Return visits"),
               VisitKind.PHONE.value: _l("Phone calls")}

TEXTS = ("completed", "missed_reasons", "successes", "improvements", "help_needed",
         "next_focus")
TEXT_MAX = 5000
DEPARTMENT_MAX = 120
COMMENT_MAX = 2000
NUMBER_MAX = 10_000_000_000  # fen or count
MAX_WEEKS_BACK = 400  # days: a review is for a week of the last year or so

def _days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def _kinds(user_id: int, start: date, end: date) -> dict[str, int]:
    got = dict(db.session.execute(
        select(Visit.kind, func.count(Visit.id))
        .where(Visit.user_id == user_id, Visit.local_date >= start, Visit.local_date <= end)
        .group_by(Visit.kind)).all())
    return {k.value: int(got.get(k, 0)) for k in VisitKind}


def _follow_ups(user_id: int, start: date, end: date, today: date) -> dict[str, Any]:
    """Follow-ups due in the week: a visit (before or during the week) set the customer's
    next follow-up to a day of the week. Done if the rep visited that customer after the
    visit that set it, by Sunday; missed if not done and the day has passed; else open."""
    setting = db.session.execute(
        select(Visit.customer_id, Visit.next_follow_up, Visit.visited_at, Customer.name)
        .join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.user_id == user_id, Visit.next_follow_up >= start,
               Visit.next_follow_up <= end)
        .order_by(Visit.visited_at)).all()
    due: dict[int, tuple[date, datetime, str]] = {}
    for cid, when, set_at, name in setting:
        assert when is not None  # the query asks for a day within the week
        due[cid] = (when, set_at, name)  # the latest visit that set it counts
    if not due:
        return {"due": 0, "done": 0, "missed": 0, "open": 0, "items": []}
    later = db.session.execute(
        select(Visit.customer_id, Visit.visited_at)
        .where(Visit.user_id == user_id, Visit.customer_id.in_(list(due)),
               Visit.local_date <= end)).all()
    last_visit: dict[int, datetime] = {}
    for cid, at in later:
        if cid not in last_visit or at > last_visit[cid]:
            last_visit[cid] = at
    items = []
    counts = {"done": 0, "missed": 0, "open": 0}
    for cid, (when, set_at, name) in sorted(due.items(), key=lambda kv: (kv[1][0], kv[1][2])):
        seen = last_visit.get(cid)
        if seen is not None and _aware(seen) > _aware(set_at):
            state = "done"
        elif when < today:
            state = "missed"
        else:
            state = "open"
        counts[state] += 1
        items.append({"customer": name, "day": when.isoformat(), "state": state})
    return {"due": len(items), **counts, "items": items}


def _plan_lines(user_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The week's daily plans (the visits the rep planned) beside what happened."""
    plans = db.session.scalars(
        select(DailyPlan).where(DailyPlan.user_id == user_id, DailyPlan.day >= start,
                                DailyPlan.day <= end)
        .options(joinedload(DailyPlan.items).joinedload(DailyPlanItem.customer))
        .order_by(DailyPlan.day)).unique().all()
    if not plans:
        return []
    visited = set(db.session.execute(
        select(Visit.local_date, Visit.customer_id)
        .where(Visit.user_id == user_id, Visit.local_date >= start, Visit.local_date <= end)
    ).all())
    lines: list[dict[str, Any]] = []
    for p in plans:
        if p.notes:
            lines.append({"day": p.day.isoformat(), "customer": "", "purpose": p.notes,
                          "done": None})
        for item in p.items:
            done = item.visit_id is not None or (p.day, item.customer_id) in visited
            lines.append({"day": p.day.isoformat(), "customer": item.customer.name,
                          "purpose": item.purpose, "done": done})
    return lines


def compute_figures(user: User, monday: date, today: date | None = None) -> dict[str, Any]:
    """The week's figures from the data, as JSON (money in fen)."""
    company = _company(user)
    today = today or local_today(company)
    days = _days(monday)
    parts = [Period("day", d, d, d.isoformat()) for d in days]
    rows = _rows(ROWS, user, company, parts)
    cal = company_calendar(company)
    prev = db.session.scalar(select(WeeklyReview.next_numbers).where(
        WeeklyReview.user_id == user.id, WeeklyReview.week_start == monday - timedelta(days=7)))
    return {
        "week": monday.isoformat(),
        "days": [d.isoformat() for d in days],
        "working": [cal.is_working_day(d) for d in days],
        "rows": [{"key": r.key, "money": r.is_money, "targets": r.targets,
                  "actuals": r.actuals, "target": r.total_target, "actual": r.total_actual}
                 for r in rows],
        "kinds": _kinds(user.id, days[0], days[-1]),
        "follow_ups": _follow_ups(user.id, days[0], days[-1], today),
        "plan_lines": _plan_lines(user.id, days[0], days[-1]),
        "planned_numbers": prev or None,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def figures_of(review: WeeklyReview | None, user: User, monday: date) -> dict[str, Any]:
    """Frozen figures once submitted (what the manager approved), else live ones."""
    if review is not None and review.figures and review.status != ReviewStatus.DRAFT \
            and review.status != ReviewStatus.RETURNED:
        return review.figures
    return compute_figures(user, monday)


def row(figures: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((r for r in figures.get("rows", []) if r["key"] == key), None)



"""The weekly self-review (周总结/自检) and the manager's approval (审批).

A rep reviews a week (Monday..Sunday) against the plan: the figures are filled in from the
data (each metric's week target from the engine's daily split of the month targets, against
what was achieved, day by day; visits by kind; new customers; signings; collections;
follow-ups done and missed; the week's planned visits beside what happened; the numbers the
rep set for this week in last week's review). The rep writes the seed's parts and submits;
a manager of the rep's unit (or the director) approves it or returns it with a comment; a
returned review is edited and submitted again.

States: draft -> submitted -> approved | returned -> submitted -> ... Every rule is
enforced here (the pages, the API and the offline sync all come through these functions):

- only the author writes and submits (draft or returned);
- only a manager whose unit holds the author's unit, or an admin of the company, approves
  or returns, and never their own review; only a submitted review;
- a return needs a comment; an approved review is read-only (no edit, no comment);
- every change names the version it was made on (`WeeklyReview.version`); a review
  changed meanwhile is a conflict (ReviewError 409), never a silent overwrite;
- every transition is one `weekly_review_event` row (who, when, from, to, comment).

Refusals raise ReviewError(status, message) with nothing changed; the caller rolls back.
The caller commits.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ... import access
from ...engine import Period
from ...extensions import db
from ...models import (
    Company,
    Customer,
    DailyPlan,
    DailyPlanItem,
    OrgUnit,
    Reminder,
    ReviewStatus,
    Role,
    User,
    Visit,
    VisitKind,
    WeeklyReview,
    WeeklyReviewComment,
    WeeklyReviewEvent,
)
from ...parsing import has_nul
from ...refusal import Refused
from ..calendar import company_calendar
from ..company import company_tz, local_today
from ..period_plans import MONEY_SOURCES, _rows
from ..reminders import enqueue
from ..visits import parse_money

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


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_week(today: date) -> date:
    """The week to review now: this week from Friday on, else last week."""
    monday = week_start(today)
    return monday if today.weekday() >= 4 else monday - timedelta(days=7)


def _company(user: User) -> Company:
    company = user.company
    return company


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


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


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


# ------------------------------------------------------------------ rules


class ReviewError(Refused):
    """A refused change: an HTTP-like status, a message for the person, and the review as
    it is (for a conflict's answer)."""

    def __init__(self, status: int, message: str, review: WeeklyReview | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields)
        self.status = status
        self.review = review


class ReviewFieldErrors(ReviewError):
    """Bad input: `fields` says which fields and why (422)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(422, _("Nothing was saved. Please correct the fields marked."),
                         fields=fields)


@dataclass
class ReviewInput:
    """The parts sent; a part not sent at all (JSON without the key) stays as it is."""

    texts: dict[str, str]
    support_department: str | None
    next_numbers: dict[str, int] | None


def _parse_texts(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for key in TEXTS:
        if key not in raw:
            continue
        v = raw.get(key)
        v = "" if v is None else v
        if not isinstance(v, str):
            errors[key] = _("Enter text.")
            continue
        v = v.strip()
        if has_nul(v):
            errors[key] = _("Enter text.")
        elif len(v) > TEXT_MAX:
            errors[key] = _("At most %(n)s characters.", n=TEXT_MAX)
        texts[key] = v
    return texts


def _parse_department(raw: dict[str, Any], errors: dict[str, str]) -> str:
    dept = raw.get("support_department")
    dept = "" if dept is None else dept
    if not isinstance(dept, str) or has_nul(dept):
        errors["support_department"] = _("Enter text.")
        dept = ""
    dept = dept.strip()
    if len(dept) > DEPARTMENT_MAX:
        errors["support_department"] = _("At most %(n)s characters.", n=DEPARTMENT_MAX)
    return str(dept)


def _parse_number(source: dict[str, Any], nested: bool,
                  key: str) -> tuple[int | None, str | None]:
    """(value, None), (None, None) when not sent, or (None, message)."""
    field = f"next_{key}"
    money = key in MONEY_ROWS
    if money and source.get(f"{field}_fen") not in (None, ""):
        v = source.get(f"{field}_fen")
        n = v if isinstance(v, int) and not isinstance(v, bool) else None
        if n is None or not 0 <= n <= NUMBER_MAX:
            return None, _("Enter an amount of at least 0.")
        return n, None
    v = source.get(field, source.get(key) if nested else None)
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, None
    if money:
        got = parse_money(v)
        if got is None or not 0 <= got <= NUMBER_MAX:
            return None, _("Enter an amount in yuan, like 12800 or 12800.50.")
        return got, None
    try:
        n = int(str(v).strip()) if not isinstance(v, bool) else -1
    except ValueError:
        n = -1
    if not 0 <= n <= 100_000:
        return None, _("Enter a whole number of at least 0.")
    return n, None


def parse_input(raw: dict[str, Any]) -> ReviewInput:
    """Validate the rep's parts (from a form or JSON). Numbers: counts as integers, money
    in yuan (`revenue`, `collections`) or fen (`revenue_fen`, `collections_fen`). Bad
    parts: ReviewFieldErrors, with every bad field's message."""
    errors: dict[str, str] = {}
    texts = _parse_texts(raw, errors)
    dept = _parse_department(raw, errors)
    numbers: dict[str, int] = {}
    nested = raw.get("next_numbers")
    source = nested if isinstance(nested, dict) else raw
    for key in NEXT_KEYS:
        value, error = _parse_number(source, source is nested, key)
        if error:
            errors[f"next_{key}"] = error
        elif value is not None:
            numbers[key] = value
    if errors:
        raise ReviewFieldErrors(errors)
    sent_numbers = isinstance(nested, dict) or any(
        k.startswith("next_") and k != "next_focus" for k in raw)
    return ReviewInput(texts, dept if "support_department" in raw else None,
                       numbers if sent_numbers else None)


def payload_digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def check_week(raw: Any, today: date) -> date:
    """A review's week: a Monday, not after this week, at most about a year back."""
    from ...parsing import parse_day

    day = raw if isinstance(raw, date) else parse_day(raw)
    if day is None or day.weekday() != 0:
        raise ReviewError(404, _("A review is for a week starting on a Monday."))
    if day > week_start(today) or day < today - timedelta(days=MAX_WEEKS_BACK):
        raise ReviewError(404, _("There is no review for that week."))
    return day


def can_decide(actor: User, review: WeeklyReview) -> bool:
    """A manager whose unit holds the author's, or an admin of the company; not the
    author."""
    if actor.id == review.user_id:
        return False
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        return False
    return access.can_see_user(actor, review.user_id)


def get_visible(viewer: User, review_id: Any) -> WeeklyReview:
    """The review if the viewer may see it, else 404 (never 403)."""
    return access.get_or_404(viewer, WeeklyReview, review_id)


def find(user_id: int, monday: date) -> WeeklyReview | None:
    return db.session.scalar(select(WeeklyReview).where(
        WeeklyReview.user_id == user_id, WeeklyReview.week_start == monday))


def _check_version(review: WeeklyReview | None, version: Any) -> None:
    have = review.version if review is not None else 0
    if not isinstance(version, int) or isinstance(version, bool):
        try:
            version = int(str(version))
        except ValueError:
            raise ReviewError(422, _("The review's version is missing; reload the page."),
                              review) from None
    if version != have:
        who = ""
        if review is not None and review.events:
            last = review.events[-1]
            who = last.actor.display_name if last.actor else ""
        status = _status_label(review.status) if review is not None else ""
        raise ReviewError(409, _(
            "This review was changed on the server meanwhile (now: %(status)s%(by)s). "
            "Nothing was overwritten: your text is kept here; look at the newer version and "
            "submit again.", status=status, by=(" · " + who) if who else ""), review)


def _status_label(status: ReviewStatus | str) -> str:
    return str(STATUS_LABELS.get(ReviewStatus(status), status))


STATUS_LABELS = {ReviewStatus.DRAFT: _l("Draft"), ReviewStatus.SUBMITTED: _l("Submitted"),
                 ReviewStatus.APPROVED: _l("Approved"), ReviewStatus.RETURNED: _l("Returned")}


def _now() -> datetime:
    return datetime.now(UTC)


def _apply_input(review: WeeklyReview, data: ReviewInput) -> None:
    for k, v in data.texts.items():
        setattr(review, k, v)
    if data.support_department is not None:
        review.support_department = data.support_department
    if data.next_numbers is not None:
        review.next_numbers = data.next_numbers or None
    review.updated_at = _now()


def _flush(review: WeeklyReview) -> None:
    """Write now: a concurrent change (StaleDataError) or a second review of the same
    week made meanwhile (IntegrityError) is a conflict."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except (StaleDataError, IntegrityError):
        raise ReviewError(409, _(
            "This review was changed on the server meanwhile. Nothing was overwritten: "
            "reload it and try again.")) from None


def _event(review: WeeklyReview, actor: User, frm: ReviewStatus | None, to: ReviewStatus,
           comment: str = "", op: tuple[str, str] | None = None) -> WeeklyReviewEvent:
    ev = WeeklyReviewEvent(actor_id=actor.id, from_status=frm.value if frm else None,
                           to_status=to.value, comment=comment,
                           op_id=op[0] if op else None, op_hash=op[1] if op else None)
    review.events.append(ev)
    return ev


def _editable_by_author(actor: User, review: WeeklyReview | None, user_id: int) -> None:
    if actor.id != user_id:
        raise ReviewError(403, _("Only the author writes and submits a review."), review)
    if review is None:
        return
    if review.status == ReviewStatus.APPROVED:
        raise ReviewError(409, _("This review is approved: it can no longer be changed."),
                          review)
    if review.status == ReviewStatus.SUBMITTED:
        raise ReviewError(409, _("This review is submitted and waits for your manager; it "
                                 "can be changed once it is returned."), review)


def save_draft(actor: User, monday: date, raw: dict[str, Any], version: Any) -> WeeklyReview:
    """Write the author's draft (creates the review on the first save)."""
    check_week(monday, local_today(_company(actor)))
    review = find(actor.id, monday)
    _editable_by_author(actor, review, actor.id)
    _check_version(review, version)
    data = parse_input(raw)
    if review is None:
        review = WeeklyReview(user_id=actor.id, week_start=monday, status=ReviewStatus.DRAFT)
        db.session.add(review)
    _apply_input(review, data)
    _flush(review)
    return review


def submit(actor: User, monday: date, raw: dict[str, Any], version: Any,
           op: tuple[str, str] | None = None) -> WeeklyReview:
    """The author submits the week's review (with the text sent along)."""
    company = _company(actor)
    check_week(monday, local_today(company))
    review = find(actor.id, monday)
    _editable_by_author(actor, review, actor.id)
    _check_version(review, version)
    data = parse_input(raw)
    def text(k: str) -> str:
        return data.texts[k] if k in data.texts else (getattr(review, k) if review else "")

    if not (text("completed") or text("missed_reasons") or text("successes")):
        raise ReviewFieldErrors({"completed": _(
            "Write at least what was completed against the plan before submitting.")})
    figures = compute_figures(actor, monday)  # before any change: one UPDATE, one version
    if review is None:
        review = WeeklyReview(user_id=actor.id, week_start=monday, status=ReviewStatus.DRAFT)
        db.session.add(review)
    frm = review.status if review.id is not None else None
    _apply_input(review, data)
    review.figures = figures
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = _now()
    _event(review, actor, frm, ReviewStatus.SUBMITTED, op=op)
    _flush(review)
    _notify_submitted(review, actor)
    return review


def _decide(actor: User, review: WeeklyReview, version: Any, to: ReviewStatus,
            comment: Any, op: tuple[str, str] | None) -> WeeklyReview:
    if actor.id == review.user_id:
        raise ReviewError(403, _("Nobody approves or returns their own review."), review)
    if not can_decide(actor, review):
        raise ReviewError(403, _("Only a manager of the author's team, or the director, "
                                 "approves or returns a review."), review)
    if review.status != ReviewStatus.SUBMITTED:
        msg = {
            ReviewStatus.APPROVED: _("This review is approved already: it is read-only."),
            ReviewStatus.RETURNED: _("This review was returned already; it waits for the "
                                     "author to submit it again."),
            ReviewStatus.DRAFT: _("This review is not submitted yet."),
        }[review.status]
        raise ReviewError(409, msg, review)
    _check_version(review, version)
    comment = "" if comment is None else comment
    if not isinstance(comment, str) or has_nul(comment):
        raise ReviewFieldErrors({"comment": _("Enter text.")})
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ReviewFieldErrors({"comment": _("At most %(n)s characters.", n=COMMENT_MAX)})
    if to == ReviewStatus.RETURNED and not comment:
        raise ReviewFieldErrors({"comment": _(
            "Say why you return it: the comment tells the rep what to change.")})
    frm = review.status
    review.status = to
    review.reviewer_id = actor.id
    review.reviewed_at = _now()
    review.review_comment = comment
    _event(review, actor, frm, to, comment, op=op)
    if comment:
        review.comments.append(WeeklyReviewComment(author_id=actor.id, body=comment))
    _flush(review)
    _notify_decided(review, actor)
    return review


def approve(actor: User, review: WeeklyReview, version: Any, comment: Any = "",
            op: tuple[str, str] | None = None) -> WeeklyReview:
    return _decide(actor, review, version, ReviewStatus.APPROVED, comment, op)


def return_(actor: User, review: WeeklyReview, version: Any, comment: Any,
            op: tuple[str, str] | None = None) -> WeeklyReview:
    return _decide(actor, review, version, ReviewStatus.RETURNED, comment, op)


def add_comment(actor: User, review: WeeklyReview, body: Any) -> WeeklyReviewComment:
    """Anyone who sees the review comments on it, until it is approved."""
    if review.status == ReviewStatus.APPROVED:
        raise ReviewError(409, _("This review is approved: it is read-only."), review)
    body = "" if body is None else body
    if not isinstance(body, str) or has_nul(body) or not body.strip():
        raise ReviewFieldErrors({"body": _("Write a comment.")})
    body = body.strip()
    if len(body) > COMMENT_MAX:
        raise ReviewFieldErrors({"body": _("At most %(n)s characters.", n=COMMENT_MAX)})
    c = WeeklyReviewComment(author_id=actor.id, body=body)
    review.comments.append(c)
    db.session.flush()
    return c


# ------------------------------------------------------------------ lists


def team_users(viewer: User) -> list[User]:
    """Reps (and managers below) whose reviews the viewer decides: their unit's subtree."""
    return list(db.session.scalars(
        select(User).join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(User.id.in_(access.visible_users(viewer)), User.id != viewer.id,
               User.active.is_(True), User.role != Role.ADMIN)
        .order_by(OrgUnit.sort, OrgUnit.id, User.role.desc(), User.username)
        .options(joinedload(User.unit))))


def deadline(company: Company, monday: date) -> datetime:
    """A week's review is late after Sunday 24:00, company time."""
    return datetime.combine(monday + timedelta(days=7), time(0, 0), company_tz(company))


def team_week(viewer: User, monday: date) -> dict[str, Any]:
    """The manager's week: each person's review (or none), waiting ones first."""
    company = _company(viewer)
    users = team_users(viewer)
    reviews = {r.user_id: r for r in db.session.scalars(select(WeeklyReview).where(
        WeeklyReview.week_start == monday,
        WeeklyReview.user_id.in_([u.id for u in users])))} if users else {}
    due = deadline(company, monday)
    now = _now()
    rows: list[dict[str, Any]] = []
    order = {"submitted": 0, "returned": 2, "draft": 3, "none": 4, "approved": 5}
    for u in users:
        r = reviews.get(u.id)
        state = r.status.value if r is not None else "none"
        late = (r is None or r.status in (ReviewStatus.DRAFT,)) and now >= due or (
            r is not None and r.submitted_at is not None and _aware(r.submitted_at) > due
            and r.status == ReviewStatus.SUBMITTED)
        # Everyone listed is in the viewer's unit (team_users): a manager or an admin
        # decides any of their submitted reviews (can_decide, without a query per row).
        rows.append({"user": u, "review": r, "state": state, "late": late,
                     "can_decide": r is not None and r.status == ReviewStatus.SUBMITTED
                     and viewer.role in (Role.MANAGER, Role.ADMIN),
                     "figures": _team_figures(r)})
    rows.sort(key=lambda x: (order[x["state"]], not x["late"]))
    counts: dict[str, int] = defaultdict(int)
    for x in rows:
        counts[x["state"]] += 1
        if x["late"]:
            counts["late"] += 1
    return {"week": monday, "rows": rows, "counts": dict(counts), "deadline": due}


TEAM_ROWS = ("visits", "new_customers", "contracts", "collections")


def _team_figures(review: WeeklyReview | None) -> list[tuple[str, dict[str, Any]]]:
    """The figures a manager's week shows of a review: (label, row) each."""
    if review is None or not review.figures:
        return []
    found = ((key, row(review.figures, key)) for key in TEAM_ROWS)
    return [(str(ROW_LABELS[key]), f) for key, f in found if f]


def waiting_query(viewer: User) -> Select[Any]:
    """SELECT the number of submitted reviews the viewer may approve (a rep: 0)."""
    if viewer.role not in (Role.MANAGER, Role.ADMIN):
        return select(literal(0))
    return select(func.count(WeeklyReview.id)).where(
        WeeklyReview.status == ReviewStatus.SUBMITTED,
        WeeklyReview.user_id != viewer.id,
        WeeklyReview.user_id.in_(access.visible_users(viewer)))


def waiting_count(viewer: User) -> int:
    """Submitted reviews the viewer may approve (the badge on the manager's home)."""
    if viewer.role not in (Role.MANAGER, Role.ADMIN):
        return 0
    return int(db.session.scalar(waiting_query(viewer)) or 0)


def history(viewer: User, q: str = "", user_id: int | None = None, limit: int = 50
            ) -> list[WeeklyReview]:
    """Past reviews the viewer may see, newest week first, searchable by text (the rep's
    parts, the comments, the rep's name)."""
    stmt = (select(WeeklyReview).join(User, User.id == WeeklyReview.user_id)
            .where(WeeklyReview.user_id.in_(access.visible_users(viewer))))
    if user_id is not None:
        stmt = stmt.where(WeeklyReview.user_id == user_id)
    q = (q or "").strip()[:100]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        fields = [getattr(WeeklyReview, k) for k in TEXTS] + [
            WeeklyReview.support_department, WeeklyReview.review_comment, User.display_name]
        in_comments = select(WeeklyReviewComment.review_id).where(
            WeeklyReviewComment.body.ilike(like, escape="\\"))
        stmt = stmt.where(or_(*[f.ilike(like, escape="\\") for f in fields],
                              WeeklyReview.id.in_(in_comments)))
    stmt = stmt.order_by(WeeklyReview.week_start.desc(), User.username).limit(limit)
    return list(db.session.scalars(stmt.options(joinedload(WeeklyReview.author))))


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
    """On Monday (or later), for last week: every rep without a submitted review is
    reminded, and each of their managers gets one reminder naming how many are missing.
    Idempotent (one reminder per user, kind and week). Returns the reminders queued."""
    now = now or _now()
    today = local_today(company, now)
    monday = week_start(today) - timedelta(days=7)
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


# ------------------------------------------------------------------ JSON


def review_json(review: WeeklyReview | None, user: User, monday: date,
                figures: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": review.id if review else None,
        "user_id": user.id,
        "week_start": monday.isoformat(),
        "status": review.status.value if review else "none",
        "version": review.version if review else 0,
    }
    for k in TEXTS:
        out[k] = getattr(review, k) if review else ""
    out["support_department"] = review.support_department if review else ""
    out["next_numbers"] = (review.next_numbers or {}) if review else {}
    out["submitted_at"] = review.submitted_at.isoformat() if review and review.submitted_at \
        else None
    out["reviewer_id"] = review.reviewer_id if review else None
    out["reviewed_at"] = review.reviewed_at.isoformat() if review and review.reviewed_at \
        else None
    out["review_comment"] = review.review_comment if review else ""
    out["history"] = [event_json(e) for e in review.events] if review else []
    if figures:
        out["figures"] = figures_of(review, user, monday)
    return out


def event_json(e: WeeklyReviewEvent) -> dict[str, Any]:
    return {"actor_id": e.actor_id, "actor": e.actor.display_name if e.actor else "",
            "at": _aware(e.at).isoformat(), "from": e.from_status, "to": e.to_status,
            "comment": e.comment}


def comment_json(c: WeeklyReviewComment) -> dict[str, Any]:
    return {"id": c.id, "author_id": c.author_id,
            "author": c.author.display_name if c.author else "",
            "body": c.body, "created_at": _aware(c.created_at).isoformat()}



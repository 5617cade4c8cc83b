"""The lists: a manager's week (each person's review and its state), the count waiting
for approval, and the searchable history."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.orm import joinedload

from ... import access
from ...extensions import db
from ...models import (
    OrgUnit,
    ReviewStatus,
    Role,
    User,
    WeeklyReview,
    WeeklyReviewComment,
)
from ..company import review_due
from .figures import ROW_LABELS, TEXTS, row
from .weeks import _company, _now, is_late

# ------------------------------------------------------------------ lists


def team_users(viewer: User) -> list[User]:
    """Reps (and managers below) whose reviews the viewer decides: their unit's subtree."""
    return list(db.session.scalars(
        select(User).join(OrgUnit, User.unit_id == OrgUnit.id)
        .where(User.id.in_(access.visible_users(viewer)), User.id != viewer.id,
               User.active.is_(True), User.role != Role.ADMIN)
        .order_by(OrgUnit.sort, OrgUnit.id, User.role.desc(), User.username)
        .options(joinedload(User.unit))))


def team_week(viewer: User, monday: date, now: datetime | None = None) -> dict[str, Any]:
    """The manager's week: each person's review (or none), waiting ones first."""
    company = _company(viewer)
    users = team_users(viewer)
    reviews = {r.user_id: r for r in db.session.scalars(select(WeeklyReview).where(
        WeeklyReview.week_start == monday,
        WeeklyReview.user_id.in_([u.id for u in users])))} if users else {}
    due = review_due(company, monday)
    now = now or _now()
    rows: list[dict[str, Any]] = []
    order = {"submitted": 0, "returned": 2, "draft": 3, "none": 4, "approved": 5}
    for u in users:
        r = reviews.get(u.id)
        state = r.status.value if r is not None else "none"
        late = is_late(r, due, now)
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



"""The review's states and every rule of its transitions (see the package's doc): write a
draft, submit, approve, return, comment."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ... import access
from ...extensions import db
from ...models import (
    ReviewStatus,
    Role,
    User,
    WeeklyReview,
    WeeklyReviewComment,
    WeeklyReviewEvent,
)
from ...parsing import has_nul
from ..company import local_today
from .figures import COMMENT_MAX, compute_figures
from .inputs import ReviewError, ReviewFieldErrors, ReviewInput, check_week, parse_input
from .notify import _notify_decided, _notify_submitted
from .weeks import _company, _now


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



"""The weekly self-review pages (周总结): the rep's review of a week, the manager's week
(the team's reviews), one review, and the history. Thin views over services.reviews; the
forms work without JavaScript, and static/js/review.js adds the debounced autosave, the
draft kept on the phone and the offline outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import access, fmt
from ..extensions import db
from ..models import ReviewStatus, Role, User, WeeklyReview
from ..parsing import parse_day
from ..services import reviews as svc
from ..services.company import local_today
from . import bp, roles_required
from .render import render


def _today() -> date:
    company = current_user.company
    return local_today(company)


def _week_or_404(raw: str) -> date:
    try:
        return svc.check_week(raw, _today())
    except svc.ReviewError:
        abort(404)


def _context(review: WeeklyReview | None, author: User, monday: date,
             errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
             problem: str = "") -> dict[str, Any]:
    me = current_user
    own = author.id == me.id
    editable = own and (review is None or review.status in (ReviewStatus.DRAFT,
                                                            ReviewStatus.RETURNED))
    if form is None:
        form = svc.review_json(review, author, monday, figures=False)
        for k in svc.NEXT_KEYS:
            v = form["next_numbers"].get(k)
            form[f"next_{k}"] = "" if v is None else (
                fmt.plain(v, "money") if k in svc.MONEY_ROWS else str(v))
    today = _today()
    this_week = svc.week_start(today)
    due = svc.review_due(author.company, monday)
    return {
        "due": due, "late": svc.is_late(review, due, datetime.now(UTC)),
        "review": review, "author": author, "monday": monday,
        "sunday": monday + timedelta(days=6),
        "figures": svc.figures_of(review, author, monday),
        "own": own, "editable": editable,
        "can_decide": review is not None and review.status == ReviewStatus.SUBMITTED
        and svc.can_decide(me, review),
        "can_comment": review is not None and review.status != ReviewStatus.APPROVED,
        "form": form, "errors": errors or {}, "problem": problem,
        "prev": monday - timedelta(days=7),
        "next": monday + timedelta(days=7) if monday < this_week else None,
        "status_labels": svc.STATUS_LABELS, "row_labels": svc.ROW_LABELS,
        "kind_labels": svc.KIND_LABELS, "money_rows": svc.MONEY_ROWS,
        "recent": svc.history(me, user_id=author.id, limit=8) if own else [],
    }


@bp.get("/reviews")
@login_required
def reviews() -> ResponseReturnValue:
    """The Review tab: a rep's review of the week to review now; a manager's week."""
    monday = svc.default_week(current_user.company)
    if current_user.role == Role.REP:
        return render("reviews/review.html",
                      **_context(svc.find(current_user.id, monday), current_user, monday))
    return _team(monday)


@bp.get("/reviews/week/<week>")
@login_required
def review_week(week: str) -> ResponseReturnValue:
    monday = _week_or_404(week)
    return render("reviews/review.html",
                  **_context(svc.find(current_user.id, monday), current_user, monday))


@bp.post("/reviews/week/<week>")
@login_required
def review_week_post(week: str) -> ResponseReturnValue:
    """Without JavaScript: save the draft, or submit."""
    monday = _week_or_404(week)
    action = request.form.get("action", "save")
    raw = request.form.to_dict()
    try:
        if action == "submit":
            svc.submit(current_user, monday, raw, request.form.get("version"))
            flash(_("Review submitted to your manager."), "ok")
        else:
            svc.save_draft(current_user, monday, raw, request.form.get("version"))
            flash(_("Draft saved."), "ok")
    except svc.ReviewError as e:
        db.session.rollback()
        review = svc.find(current_user.id, monday)
        errors = e.fields
        return render("reviews/review.html", status=e.status if e.status != 403 else 409,
                      **_context(review, current_user, monday, errors=errors, form=raw,
                                 problem=e.message))
    db.session.commit()
    return redirect(url_for("web.review_week", week=monday.isoformat()), code=303)


@bp.get("/reviews/<review_id>")
@login_required
def review(review_id: str) -> ResponseReturnValue:
    r = svc.get_visible(current_user, review_id)
    if r.user_id == current_user.id:
        return redirect(url_for("web.review_week", week=r.week_start.isoformat()))
    return render("reviews/review.html", **_context(r, r.author, r.week_start))


def _back(r: WeeklyReview) -> str:
    nxt = request.form.get("next", "")
    if nxt == "team":
        return url_for("web.reviews_team", week=r.week_start.isoformat())
    return url_for("web.review", review_id=r.id)


@bp.post("/reviews/<review_id>/decide")
@login_required
def review_decide(review_id: str) -> ResponseReturnValue:
    r = svc.get_visible(current_user, review_id)
    action = request.form.get("action")
    try:
        if action == "approve":
            svc.approve(current_user, r, request.form.get("version"),
                        request.form.get("comment", ""))
            flash(_("Approved: %(name)s, week of %(week)s.", name=r.author.display_name,
                    week=r.week_start.isoformat()), "ok")
        elif action == "return":
            svc.return_(current_user, r, request.form.get("version"),
                        request.form.get("comment", ""))
            flash(_("Returned to %(name)s with your comment.", name=r.author.display_name),
                  "ok")
        else:
            abort(404)
    except svc.ReviewError as e:
        db.session.rollback()
        msg = e.message
        if isinstance(e, svc.ReviewFieldErrors):
            msg = next(iter(e.fields.values()))
        flash(msg, "error")
    else:
        db.session.commit()
    return redirect(_back(r), code=303)


@bp.post("/reviews/<review_id>/comments")
@login_required
def review_comment(review_id: str) -> ResponseReturnValue:
    r = svc.get_visible(current_user, review_id)
    try:
        svc.add_comment(current_user, r, request.form.get("body"))
    except svc.ReviewError as e:
        db.session.rollback()
        msg = next(iter(e.fields.values())) if isinstance(e, svc.ReviewFieldErrors) \
            else e.message
        flash(msg, "error")
    else:
        db.session.commit()
    if r.user_id == current_user.id:
        return redirect(url_for("web.review_week", week=r.week_start.isoformat()) +
                        "#comments", code=303)
    return redirect(url_for("web.review", review_id=r.id) + "#comments", code=303)


DUE_DAYS = [(1, _l("Monday after the week")), (2, _l("Tuesday after the week")),
            (3, _l("Wednesday after the week")), (4, _l("Thursday after the week")),
            (5, _l("Friday after the week")), (6, _l("Saturday after the week")),
            (7, _l("Sunday after the week"))]


def _team(monday: date, errors: dict[str, str] | None = None,
          due_form: dict[str, Any] | None = None, status: int = 200) -> ResponseReturnValue:
    data = svc.team_week(current_user, monday)
    this_week = svc.week_start(_today())
    if due_form is None and current_user.role == Role.ADMIN:
        day, at = svc.due_setting(current_user.company)
        due_form = {"due_day": str(day), "due_time": at}
    return render("reviews/team.html", status=status, data=data, monday=monday,
                  sunday=monday + timedelta(days=6),
                  status_labels=svc.STATUS_LABELS,
                  prev=monday - timedelta(days=7),
                  next=monday + timedelta(days=7) if monday < this_week else None,
                  due_form=due_form, due_days=DUE_DAYS, errors=errors or {})


@bp.post("/reviews/due")
@roles_required(Role.ADMIN)
def reviews_due() -> ResponseReturnValue:
    """The director sets when a week's review is due (the late mark and reminders follow)."""
    form = {"due_day": request.form.get("due_day", ""),
            "due_time": (request.form.get("due_time") or "").strip()}
    try:
        svc.set_due(current_user, form["due_day"], form["due_time"])
    except svc.ReviewError as e:
        db.session.rollback()
        return _team(svc.default_week(current_user.company), e.fields, form, 422)
    db.session.commit()
    flash(_("Saved: weekly reviews are due at the new time."), "ok")
    return redirect(url_for("web.reviews_team"), code=303)


@bp.get("/reviews/team")
@roles_required(Role.MANAGER, Role.ADMIN)
def reviews_team() -> ResponseReturnValue:
    raw = request.args.get("week", "")
    monday = svc.default_week(current_user.company) if not raw else None
    if monday is None:
        day = parse_day(raw)
        if day is None:
            flash(_("“%(text)s” is not a date: showing the week to review now.",
                    text=raw[:40]), "error")
            monday = svc.default_week(current_user.company)
        else:
            monday = min(svc.week_start(day), svc.week_start(_today()))
    return _team(monday)


@bp.get("/reviews/history")
@login_required
def reviews_history() -> ResponseReturnValue:
    q = request.args.get("q", "")
    subject = None
    if request.args.get("user"):
        subject = access.get_or_404(current_user, User, request.args["user"])
    found = svc.history(current_user, q, subject.id if subject else None, limit=100)
    return render("reviews/history.html", "reviews/_history_rows.html", reviews=found, q=q,
                  subject=subject, status_labels=svc.STATUS_LABELS)



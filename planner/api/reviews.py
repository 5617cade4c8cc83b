"""Weekly reviews as JSON, and the outbox's "review" items for POST /sync.

Every rule lives in planner.services.reviews; a refusal answers with its status and a
clear message and changes nothing: 404 (not the viewer's to see, never 403 for that),
403 (seen but not theirs to do: the author approving their own review, a rep approving),
409 (the review is in another state, or changed meanwhile: the version differs; the
answer carries the review as the server has it), 422 (with "fields": {field: message}).
Every refusal has the API's one error shape (planner.errors.error_body).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from .. import access
from ..errors import error_body, json_error, render_error
from ..extensions import db
from ..models import User, WeeklyReview, WeeklyReviewEvent
from ..parsing import parse_id
from ..services import reviews as svc
from ..services.company import local_today
from . import bp
from .boundary import payload_errors


def _today() -> Any:
    company = current_user.company
    return local_today(company)


def _refused(e: svc.ReviewError) -> ResponseReturnValue:
    db.session.rollback()
    if isinstance(e, svc.ReviewFieldErrors):
        return json_error(422, e.message, fields=e.fields)
    if e.status == 409 and e.review is not None:
        review = db.session.get(WeeklyReview, e.review.id) if e.review.id else None
        body = error_body(409, e.message)
        if review is not None:
            author = db.session.get(User, review.user_id)
            assert author is not None
            body["review"] = svc.review_json(review, author, review.week_start, figures=False)
        return jsonify(body), 409
    return render_error(e.status, e.message)


def _body() -> dict[str, Any]:
    """The JSON body, past the API's boundary (api/boundary.py): ReviewFieldErrors (422)
    for text that cannot be stored, too long or nested too deeply."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    errors = payload_errors(body)
    if errors:
        raise svc.ReviewFieldErrors(errors)
    return body


@bp.get("/reviews")
@login_required
def list_reviews() -> ResponseReturnValue:
    """History: the viewer's visible reviews, newest week first, searchable by text."""
    user_id = None
    if request.args.get("user"):
        user_id = access.get_or_404(current_user, User, request.args["user"]).id
    found = svc.history(current_user, request.args.get("q", ""), user_id)
    return jsonify({"reviews": [svc.review_json(r, r.author, r.week_start, figures=False)
                                for r in found]})


@bp.get("/reviews/week/<week>")
@login_required
def get_own_review(week: str) -> ResponseReturnValue:
    try:
        monday = svc.check_week(week, _today())
    except svc.ReviewError as e:
        return render_error(e.status, e.message)
    review = svc.find(current_user.id, monday)
    return jsonify(svc.review_json(review, current_user, monday))


def _write_week(week: str, write: Any) -> ResponseReturnValue:
    """Save the draft or submit it (`write` is svc.save_draft or svc.submit)."""
    try:
        body = _body()
        monday = svc.check_week(week, _today())
        review = write(current_user, monday, body, body.get("version"))
    except svc.ReviewError as e:
        return _refused(e)
    db.session.commit()
    return jsonify(svc.review_json(review, current_user, monday, figures=False))


@bp.put("/reviews/week/<week>")
@login_required
def put_draft(week: str) -> ResponseReturnValue:
    return _write_week(week, svc.save_draft)


@bp.post("/reviews/week/<week>/submit")
@login_required
def submit_review(week: str) -> ResponseReturnValue:
    return _write_week(week, svc.submit)


@bp.get("/reviews/<review_id>")
@login_required
def get_review(review_id: str) -> ResponseReturnValue:
    review = svc.get_visible(current_user, review_id)
    return jsonify(svc.review_json(review, review.author, review.week_start))


def _decide(review_id: str, action: str) -> ResponseReturnValue:
    review = svc.get_visible(current_user, review_id)
    try:
        body = _body()
        fn = svc.approve if action == "approve" else svc.return_
        fn(current_user, review, body.get("version"), body.get("comment"))
    except svc.ReviewError as e:
        return _refused(e)
    db.session.commit()
    return jsonify(svc.review_json(review, review.author, review.week_start, figures=False))


@bp.post("/reviews/<review_id>/approve")
@login_required
def approve_review(review_id: str) -> ResponseReturnValue:
    return _decide(review_id, "approve")


@bp.post("/reviews/<review_id>/return")
@login_required
def return_review(review_id: str) -> ResponseReturnValue:
    return _decide(review_id, "return")


@bp.get("/reviews/<review_id>/comments")
@login_required
def list_comments(review_id: str) -> ResponseReturnValue:
    review = svc.get_visible(current_user, review_id)
    return jsonify({"comments": [svc.comment_json(c) for c in review.comments]})


@bp.post("/reviews/<review_id>/comments")
@login_required
def add_comment(review_id: str) -> ResponseReturnValue:
    review = svc.get_visible(current_user, review_id)
    try:
        c = svc.add_comment(current_user, review, _body().get("body"))
    except svc.ReviewError as e:
        return _refused(e)
    db.session.commit()
    return jsonify(svc.comment_json(c)), 201


# ------------------------------------------------------------------ the outbox's items
# planner/api/sync.py hands every item of type "review" to sync_item (one line there).
#   submit:          {"action": "submit", "week": "YYYY-MM-DD", "version": n, "fields": {...}}
#   approve/return:  {"action": "approve"|"return", "review_id": n, "version": n,
#                     "comment": "..."}
# The item's id is kept on the transition it made (weekly_review_event.op_id, unique):
# the same id again is a duplicate (same author and payload) or a conflict.


def _visible(user: User, review_id: Any) -> WeeklyReview | None:
    if parse_id(review_id) is None:
        return None
    try:
        return svc.get_visible(user, review_id)
    except NotFound:
        return None


def sync_item(raw_id: str, item_id: str, payload: Any, user: User) -> dict[str, Any]:
    if not isinstance(payload, dict):
        return {"id": raw_id, "status": "rejected",
                "errors": {"payload": _("The item has no payload.")}}
    digest = svc.payload_digest(payload)
    seen = db.session.execute(select(WeeklyReviewEvent.actor_id, WeeklyReviewEvent.op_hash)
                              .where(WeeklyReviewEvent.op_id == item_id)).first()
    if seen is not None:
        if tuple(seen) == (user.id, digest):
            return {"id": raw_id, "status": "duplicate"}
        return {"id": raw_id, "status": "conflict", "message": _(
            "The server already has a different change with this id; this one was not "
            "applied.")}
    action = payload.get("action")
    op = (item_id, digest)
    try:
        with db.session.begin_nested():
            if action == "submit":
                company = user.company
                monday = svc.check_week(payload.get("week"), local_today(company))
                fields = payload.get("fields")
                svc.submit(user, monday, fields if isinstance(fields, dict) else {},
                           payload.get("version"), op=op)
            elif action in ("approve", "return"):
                review = _visible(user, payload.get("review_id"))
                if review is None:
                    raise svc.ReviewError(404, _("Not found: it does not exist or is not "
                                                 "yours to see."))
                fn = svc.approve if action == "approve" else svc.return_
                fn(user, review, payload.get("version"), payload.get("comment"), op=op)
            else:
                raise svc.ReviewFieldErrors({"action": _("Unknown review action.")})
    except svc.ReviewFieldErrors as e:
        return {"id": raw_id, "status": "rejected", "errors": e.fields}
    except svc.ReviewError as e:
        if e.status == 409:
            return {"id": raw_id, "status": "conflict", "message": e.message}
        return {"id": raw_id, "status": "rejected", "errors": {"item": e.message}}
    return {"id": raw_id, "status": "applied"}

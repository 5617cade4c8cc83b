"""Customers and visits as JSON (every lookup goes through planner.access).

Money is integer fen (`*_fen` fields). POST /api/v1/visits takes the same fields as the
visit form, through the one visit intake (services.visits); bad input answers 422
{"error": {"code", "message", "fields": {field: message}}} (planner.errors.error_body,
the API's one error shape) and nothing is written. Times are answered with their
offset (UTC, `2026-11-27T06:30:00+00:00`)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from .. import access
from ..errors import json_error
from ..extensions import db
from ..models import Customer, Visit
from ..parsing import MAX_ID, MAX_YEAR, MIN_YEAR, parse_day, parse_int
from ..services.customers import search_customers
from ..services.visits import UUID_RE, recheck, take_one
from . import bp
from .serialise import customer_json, utc_iso, visit_json  # noqa: F401

MAX_LIMIT = 200


def _limit() -> int:
    n = parse_int(request.args.get("limit", "50"), 1, MAX_ID)
    return min(MAX_LIMIT, n) if n is not None else 50


@bp.get("/customers")
@login_required
def customers() -> ResponseReturnValue:
    rows = search_customers(current_user, request.args.get("q", ""), limit=_limit())
    return jsonify({"customers": [customer_json(c) for c in rows]})


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int) -> ResponseReturnValue:
    return jsonify(customer_json(access.get_or_404(current_user, Customer, customer_id)))


@bp.get("/visits")
@login_required
def visits() -> ResponseReturnValue:
    stmt = access.visits(current_user)
    cid = request.args.get("customer_id")
    if cid:
        c = access.get_or_404(current_user, Customer, cid)  # a bad or huge id is a 404
        stmt = stmt.where(Visit.customer_id == c.id)
    errors: dict[str, str] = {}
    for key, op in (("since", "ge"), ("until", "le")):
        raw = request.args.get(key)
        if raw:
            d = parse_day(raw)
            if d is None:
                errors[key] = _("Enter a date between %(lo)s and %(hi)s, like 2026-12-01.",
                                lo=MIN_YEAR, hi=MAX_YEAR)
                continue
            stmt = stmt.where(Visit.local_date >= d if op == "ge" else Visit.local_date <= d)
    if errors:
        return json_error(422, fields=errors)
    rows = db.session.scalars(stmt.order_by(Visit.visited_at.desc()).limit(_limit()))
    return jsonify({"visits": [visit_json(v) for v in rows]})


@bp.post("/visits")
@login_required
def visit_create() -> ResponseReturnValue:
    """A visit through the one intake (services.visits), at most once: the same id and
    payload again (here, from the form or from the outbox) answers 200 with the saved
    visit; the same id with another payload answers 409. The answer is built before the
    commit, from the rows in memory, so nothing after the commit can fail it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error(422, fields={"body": _("Send a JSON object with the visit's fields.")})
    vid = body.get("id")
    if vid is None:
        vid = str(uuidlib.uuid4())
    elif not isinstance(vid, str) or not UUID_RE.match(vid):
        return json_error(422, fields={"id": _("The visit's id must be a UUID.")})
    vid = vid.lower()
    outcome = take_one(current_user, vid, body)
    if outcome.status == "applied":
        assert outcome.visit is not None
        answer = visit_json(outcome.visit)
        try:
            db.session.commit()
        except IntegrityError:  # the same visit committed meanwhile by a parallel request
            db.session.rollback()
            again = recheck(current_user, vid, body)
            if again is None:
                raise
            outcome = again
        else:
            return _visit_answer(answer, 201)
    db.session.rollback()
    if outcome.status == "duplicate":
        saved = outcome.saved_visit()
        assert saved is not None
        return _visit_answer(visit_json(saved), 200)
    if outcome.status == "conflict":
        return json_error(409, outcome.message,
                          fields=outcome.errors or {"id": outcome.message})
    return json_error(422, fields=outcome.errors)


def _visit_answer(answer: dict[str, Any], status: int) -> Any:
    resp = jsonify(answer)
    resp.status_code = status
    resp.headers["Location"] = url_for("api.visit", visit_id=answer["id"])
    return resp


@bp.get("/visits/<visit_id>")
@login_required
def visit(visit_id: str) -> ResponseReturnValue:
    return jsonify(visit_json(access.get_or_404(current_user, Visit, visit_id)))

"""The offline outbox's way in: POST /api/v1/sync applies a batch of items at most once.

Protocol (DESIGN.md, "Offline protocol in one paragraph"):

- request  {"items": [{"id": uuid, "type": "visit", "payload": {...visit form fields}}]}
- answer   {"results": [{"id", "status": applied|duplicate|conflict|rejected,
             "errors": {field: message}?, "message"?}], "csrf_token": "..."}
  (the phone reloads Today's numbers itself: the answer carries no plan)

Each item goes to the handler of its "type" (ITEM_TYPES); a visit goes through the one
visit intake (services.visits), as the form and POST /api/v1/visits do. The item's UUID is
the visit's primary key, so an item applies at most once: the same UUID with the same
payload hash is a duplicate (already applied: the phone may drop it), the same UUID with
another payload is a conflict (reported, not applied). The batch is one transaction; a
rejected item does not abort the others (each write runs in a savepoint). If the
database fails mid-batch nothing is committed and the phone retries the whole batch.

Every item, whatever its type, first passes the API's boundary (api/boundary.py: text
that cannot be stored, sizes, nesting, the types of its type's ITEM_SHAPES) before any
service sees it. An item of another type than a visit runs in a savepoint of its own,
and an error of its handler rejects that item alone (logged), never the batch.

Speed (README "Benchmarks"): the batch is first written with one flush at the end; only
if that clashes with the database (IntegrityError) is it redone from the start with one
savepoint per item, so the clashing item is rejected and the others still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import DBAPIError

from ..errors import render_error
from ..extensions import db
from ..parsing import unstorable
from ..services.visits import TRANSIENT, UUID_RE, Intake, Outcome, VisitLookups
from . import bp
from .boundary import Shape, payload_errors
from .reviews import sync_item as review_item

MAX_BATCH = 200


def _before_commit() -> None:
    """Test hook: a fault injected here leaves nothing applied."""


def _after_commit() -> None:
    """Test hook: a fault injected here loses the answer of a committed batch."""


@bp.get("/csrf")
@login_required
def csrf() -> ResponseReturnValue:
    """A fresh CSRF token for the session (an outbox can be days old)."""
    # The session's user: a page rendered for someone else sends nothing
    # (static/js/offline/sync.js).
    resp = jsonify({"csrf_token": generate_csrf(), "user": current_user.id})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _rejected(item_id: Any, errors: dict[str, str]) -> dict[str, Any]:
    return {"id": item_id, "status": "rejected", "errors": errors}


def _after_known() -> None:
    """Test hook: runs once the items the server already has are looked up (a second
    request may commit the same items right after)."""


@bp.post("/sync")
@login_required
def sync() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return render_error(422, _('Send a JSON object {"items": [...]}.'))
    if len(items) > MAX_BATCH:
        return render_error(
            413, _("At most %(n)s items in one sync; send the rest in another batch.",
                   n=MAX_BATCH))
    user = current_user._get_current_object()
    # Items saved on the phone under another account are never applied under this one.
    if any(isinstance(it, dict) and it.get("user") not in (None, "")
           and str(it.get("user")) != str(user.id) for it in items):
        return render_error(409, _("These visits were saved on this phone by another account; "
                                   "log in as that account to send them."))
    now = datetime.now(UTC)
    ids = [it["id"].lower() for it in items
           if isinstance(it, dict) and isinstance(it.get("id"), str) and UUID_RE.match(it["id"])]
    # One query for the items the server already has (applied by an earlier batch).
    first = _batch(user, now, ids, careful=False)
    _after_known()
    try:
        try:
            # Fast path: every valid item written, one flush (INSERTs batched). A clash
            # with the database (a lead's UUID made twice, the same batch applied by another
            # request meanwhile, a value the database refuses) sends the batch down the
            # careful path instead: again from the start, one savepoint per item.
            results = [_apply(it, first) for it in items]
            db.session.flush()
        except DBAPIError as exc:
            if isinstance(exc, TRANSIENT):
                raise
            db.session.rollback()
            # What another request committed meanwhile is "duplicate" now, not a clash.
            again = _batch(user, now, ids, careful=True)
            results = [_apply(it, again) for it in items]
        _before_commit()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _after_commit()
    return jsonify({"results": results, "csrf_token": generate_csrf()})


@dataclass
class Batch:
    """What the item handlers of one sync share: the rep, the time, the visit intake."""

    user: Any
    now: datetime
    careful: bool
    visits: Intake


def _batch(user: Any, now: datetime, ids: list[str], careful: bool) -> Batch:
    batch = Batch(user, now, careful, Intake(user, now=now, lookups=VisitLookups()))
    batch.visits.prefetch(ids)
    return batch


def _apply(it: Any, batch: Batch) -> dict[str, Any]:
    """One item: its envelope checked here, its payload by the handler of its type."""
    if not isinstance(it, dict):
        return _rejected(None, {"item": _("Each item must be an object.")})
    raw_id = it.get("id")
    if not isinstance(raw_id, str) or not UUID_RE.match(raw_id):
        # Echoed only as the text it was (never false, 5 or a broken string).
        return _rejected(raw_id if isinstance(raw_id, str) and not unstorable(raw_id) else None,
                         {"id": _("The item's id must be a UUID.")})
    handler = ITEM_TYPES.get(it.get("type")) if isinstance(it.get("type"), str) else None
    if handler is None:
        return _rejected(raw_id, {"type": _("Unknown item type.")})
    payload = it.get("payload")
    if not isinstance(payload, dict):
        return _rejected(raw_id, {"payload": _("The item has no payload.")})
    errors = payload_errors(payload, ITEM_SHAPES.get(it["type"]))
    if errors:
        return _rejected(raw_id, errors)
    return {"id": raw_id, **handler(raw_id.lower(), payload, batch)}


def _visit_item(item_id: str, payload: dict[str, Any], batch: Batch) -> dict[str, Any]:
    outcome = batch.visits.take(item_id, payload, careful=batch.careful,
                                flush=batch.careful)
    return _answer(outcome)


def _answer(outcome: Outcome) -> dict[str, Any]:
    """An intake's outcome as the item's result."""
    result: dict[str, Any] = {"status": outcome.status}
    if outcome.status == "rejected":
        result["errors"] = outcome.errors
    elif outcome.status == "conflict":
        result["message"] = outcome.message
    return result


# Item type -> handler(lower-case item id, payload, batch) -> {"status", "errors"?,
# "message"?}. A new kind of offline record adds its handler here.
Handler = Callable[[str, dict[str, Any], Batch], dict[str, Any]]


def _isolated(handler: Handler) -> Handler:
    """Run an item's handler in a savepoint of its own: whatever it raises (but the
    database being down) rejects that item alone, logged, and the others still apply."""

    def run(item_id: str, payload: dict[str, Any], batch: Batch) -> dict[str, Any]:
        db.session.flush()  # the batch's pending visits: their clash is the batch's
        try:
            with db.session.begin_nested():
                return handler(item_id, payload, batch)
        except TRANSIENT:
            raise
        except Exception:
            current_app.logger.exception("sync item %s (%s)", item_id, handler.__name__)
            return {"status": "rejected", "errors": {"item": _(
                "The server could not apply this item; it was left out and the other "
                "items were applied.")}}

    return run


def _review_item(item_id: str, payload: dict[str, Any], batch: Batch) -> dict[str, Any]:
    """A weekly review's transition (submit, approve, return): api/reviews.py."""
    result = review_item(item_id, item_id, payload, batch.user)
    result.pop("id", None)
    return result


ITEM_TYPES: dict[str, Handler] = {
    "visit": _visit_item,
    "review": _isolated(_review_item),
}
# What the boundary checks of each type's payload beyond text, sizes and nesting: key ->
# the types it takes (a visit's are checked field by field by the visit intake).
ITEM_SHAPES: dict[str, Shape] = {
    "review": {"action": (str,), "week": (str,), "version": (int,), "review_id": (int, str),
               "comment": (str,), "fields": (dict,)},
}

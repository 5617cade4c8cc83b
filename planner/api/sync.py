"""The offline outbox's way in: POST /api/v1/sync applies a batch of items at most once.

Protocol (DESIGN.md, "Offline protocol in one paragraph"):

- request  {"items": [{"id": uuid, "type": "visit", "payload": {...visit form fields}}]}
- answer   {"results": [{"id", "status": applied|duplicate|conflict|rejected,
             "errors": {field: message}?, "message"?}], "plan": {...rep_plan...},
             "csrf_token": "..."}

Each item goes through the one validator and writer (services.visits). The item's UUID is
the visit's primary key, so an item applies at most once: the same UUID with the same
payload hash is a duplicate (already applied: the phone may drop it), the same UUID with
another payload is a conflict (reported, not applied). The batch is one transaction; a
rejected item does not abort the others (each write runs in a savepoint). If the
database fails mid-batch nothing is committed and the phone retries the whole batch.

Speed (README "Benchmarks"): the batch is first written with one flush at the end; only
if that clashes with the database (IntegrityError) is it redone from the start with one
savepoint per item, so the clashing item is rejected and the others still apply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from ..errors import render_error
from ..extensions import db
from ..models import Visit
from ..services.plan_cache import cached_rep_plan
from ..services.visits import (
    LEAD_CONFLICT,
    UUID_RE,
    VisitLookups,
    payload_hash,
    record_visit,
    validate_visit,
)
from . import bp
from .today import plan_metrics_json

MAX_BATCH = 200


def _before_commit() -> None:
    """Test hook: a fault injected here leaves nothing applied."""


def _after_commit() -> None:
    """Test hook: a fault injected here loses the answer of a committed batch."""


@bp.get("/csrf")
@login_required
def csrf():  # type: ignore[no-untyped-def]
    """A fresh CSRF token for the session (an outbox can be days old)."""
    # The session's user: a page rendered for someone else sends nothing (static/js/offline.js).
    resp = jsonify({"csrf_token": generate_csrf(), "user": current_user.id})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def plan_json(user: Any) -> dict[str, Any]:
    """The rep's recomputed plan for today, as JSON (money in fen): the same metric
    fields as GET /api/v1/today."""
    plan = cached_rep_plan(user)
    return {"day": plan.day.isoformat(), "metrics": plan_metrics_json(plan)}


def _rejected(item_id: Any, errors: dict[str, str]) -> dict[str, Any]:
    return {"id": item_id, "status": "rejected", "errors": errors}


def _after_known() -> None:
    """Test hook: runs once the items the server already has are looked up (a second
    request may commit the same items right after)."""


def _known(ids: list[str]) -> dict[str, tuple[str | None, int]]:
    """The items the server already has: id -> (payload hash, owner)."""
    known: dict[str, tuple[str | None, int]] = {}
    for chunk in range(0, len(ids), 500):
        known.update(
            (vid, (h, uid)) for vid, h, uid in db.session.execute(
                select(Visit.id, Visit.payload_hash, Visit.user_id)
                .where(Visit.id.in_(ids[chunk:chunk + 500]))
            )
        )
    return known


# Errors that say the database (not the item) is in trouble: the batch fails (5xx) and
# the phone retries it later, instead of an item being rejected for good.
TRANSIENT = (OperationalError, InterfaceError)


@bp.post("/sync")
@login_required
def sync():  # type: ignore[no-untyped-def]
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
           if isinstance(it, dict) and isinstance(it.get("id"), str)]
    # One query for the items the server already has (applied by an earlier batch).
    known = _known(ids)
    _after_known()
    try:
        try:
            # Fast path: every valid item written, one flush (INSERTs batched). A clash
            # with the database (a lead's UUID made twice, the same batch applied by another
            # request meanwhile, a value the database refuses) sends the batch down the
            # careful path instead: again from the start, one savepoint per item.
            results = _apply_all(items, user, now, dict(known), careful=False)
            db.session.flush()
        except DBAPIError as exc:
            if isinstance(exc, TRANSIENT):
                raise
            db.session.rollback()
            # What another request committed meanwhile is "duplicate" now, not a clash.
            results = _apply_all(items, user, now, _known(ids), careful=True)
        _before_commit()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _after_commit()
    return jsonify({"results": results, "plan": plan_json(user), "csrf_token": generate_csrf()})


def _apply_all(items: list[Any], user: Any, now: datetime,
               known: dict[str, tuple[str | None, int]], careful: bool) -> list[dict[str, Any]]:
    lookups = VisitLookups()
    pending_leads: dict[str, int] = {}
    results = []
    for it in items:
        result = _apply(it, user, now, known, pending_leads, lookups, careful)
        if result.pop("_failed", False):
            lookups = VisitLookups()  # a rolled-back savepoint: cached rows may be stale
        results.append(result)
    return results


def _seen(raw_id: str, item_id: str, digest: str, user: Any,
          have: tuple[str | None, int]) -> dict[str, Any]:
    if have == (digest, user.id):
        return {"id": raw_id, "status": "duplicate"}
    return {"id": raw_id, "status": "conflict",
            "message": _("The server already has a different visit with this id; "
                         "this version was not applied.")}


def _apply(it: Any, user: Any, now: datetime, known: dict[str, tuple[str | None, int]],
           pending_leads: dict[str, int], lookups: VisitLookups,
           careful: bool) -> dict[str, Any]:
    if not isinstance(it, dict):
        return _rejected(None, {"item": _("Each item must be an object.")})
    raw_id = it.get("id")
    if not isinstance(raw_id, str) or not UUID_RE.match(raw_id):
        return _rejected(raw_id if isinstance(raw_id, str | int) else None,
                         {"id": _("The item's id must be a UUID.")})
    item_id = raw_id.lower()
    if it.get("type") != "visit":
        return _rejected(raw_id, {"type": _("Unknown item type.")})
    payload = it.get("payload")
    if not isinstance(payload, dict):
        return _rejected(raw_id, {"payload": _("The item has no payload.")})
    digest = payload_hash(payload)
    if item_id in known:
        return _seen(raw_id, item_id, digest, user, known[item_id])
    data, errors = validate_visit(payload, user, now=now, pending_leads=pending_leads,
                                  lookups=lookups)
    if data is None:
        if set(errors) == {LEAD_CONFLICT}:
            return {"id": raw_id, "status": "conflict", "message": errors[LEAD_CONFLICT]}
        return _rejected(raw_id, errors)
    if not careful:
        record_visit(user, data, visit_id=item_id, payload_hash=digest, lookups=lookups,
                     flush=False)
        # A later item finds a lead made here by its UUID (the query autoflushes).
        known[item_id] = (digest, user.id)
        return {"id": raw_id, "status": "applied"}
    try:
        with db.session.begin_nested():
            visit = record_visit(user, data, visit_id=item_id, payload_hash=digest,
                                 lookups=lookups)
    except DBAPIError as exc:
        if isinstance(exc, TRANSIENT):
            raise
        current_app.logger.info("sync item %s: %s", item_id, type(exc).__name__)
        # Committed by another request since the batch began (two tabs, Background Sync
        # answered by every tab): a duplicate, or a conflict if the payload differs.
        have = db.session.execute(
            select(Visit.payload_hash, Visit.user_id).where(Visit.id == item_id)).first()
        if have is not None:
            result = _seen(raw_id, item_id, digest, user, (have[0], have[1]))
        elif isinstance(exc, IntegrityError):
            result = _rejected(raw_id, {"item": _(
                "This visit could not be saved: it clashes with a record already on the "
                "server.")})
        else:
            result = _rejected(raw_id, {"item": _(
                "This visit could not be saved: the database refused one of its values. "
                "Correct it and send it again.")})
        return {**result, "_failed": True}
    known[item_id] = (digest, user.id)
    if data.new_lead is not None:
        pending_leads[data.new_lead.uuid] = visit.customer_id
    return {"id": raw_id, "status": "applied"}

"""One way in for a visit: the form, POST /api/v1/visits and the offline outbox
(POST /api/v1/sync) all hand a visit here and get one of four answers.

- applied    the visit is written (in the caller's transaction: the entry point commits)
- duplicate  a visit with this id is saved already with the same payload (a double tap,
             an answer lost after the commit, the same visit sent another way): nothing
             is written; the caller answers as for a success
- conflict   a visit with this id is saved already with another payload (or by another
             rep), or a new lead's UUID is taken with other details: nothing is written
- rejected   the input is not a valid visit: {field: message}, nothing is written

At most once: the visit's id (a UUID made on the phone or in the form) is the primary key,
and the sha256 of its canonical payload is stored with it, so the same id with the same
payload is recognised whichever channel sent it first (services.visits.payload).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from ...extensions import db
from ...models import User, Visit
from ...refusal import Refused
from .checks import validate_visit
from .lookups import VisitLookups
from .payload import payload_hash, same_payload
from .record import record_visit
from .rules import LEAD_CONFLICT

Status = Literal["applied", "duplicate", "conflict", "rejected"]

# Errors that say the database (not the visit) is in trouble: they propagate (the caller
# answers 5xx and the phone retries), instead of the visit being rejected for good.
TRANSIENT = (OperationalError, InterfaceError)


@dataclass
class Outcome:
    status: Status
    visit_id: str | None = None
    visit: Visit | None = None  # applied: the new row (for the caller's answer)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""

    @property
    def saved(self) -> bool:
        """The visit is on the server (written now or before): answered as a success."""
        return self.status in ("applied", "duplicate")

    def saved_visit(self) -> Visit | None:
        """The saved row: the one written now, or the one saved before (a duplicate)."""
        if self.visit is None and self.status == "duplicate" and self.visit_id:
            self.visit = db.session.get(Visit, self.visit_id)
        return self.visit


def conflict_message() -> str:
    return str(_("The server already has a different visit with this id; "
                 "this version was not applied."))


class Intake:
    """Visits of one rep through one channel: one (form, API) or a batch (sync).

    The caller commits. `careful=True` writes each visit in a savepoint, so a clash with
    the database rejects that visit alone (or finds it a duplicate, when another request
    saved it meanwhile); the sync's fast path writes without savepoints and flushes once.
    """

    def __init__(self, user: User, *, now: datetime | None = None,
                 lookups: VisitLookups | None = None) -> None:
        self.user = user
        self.now = now or datetime.now(UTC)
        self.lookups = lookups
        # id -> (payload hash, owner) of visits already on the server or taken here.
        self.known: dict[str, tuple[str | None, int]] = {}
        self.looked_up: set[str] = set()
        self.pending_leads: dict[str, int] = {}  # leads made in this batch: UUID -> id

    # ------------------------------------------------------------------ already saved?
    def prefetch(self, ids: list[str]) -> None:
        """Look up many ids at once (a sync batch): one query per 500."""
        ids = [i for i in dict.fromkeys(ids) if i not in self.looked_up]
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            self.known.update(
                (vid, (h, uid)) for vid, h, uid in db.session.execute(
                    select(Visit.id, Visit.payload_hash, Visit.user_id)
                    .where(Visit.id.in_(part))))
            self.looked_up.update(part)

    def seen(self, visit_id: str, payload: Mapping[str, Any]) -> Outcome | None:
        """Duplicate or conflict if this id is saved (or taken in this batch), else None."""
        if visit_id not in self.looked_up and visit_id not in self.known:
            self.prefetch([visit_id])
        have = self.known.get(visit_id)
        if have is None:
            return None
        stored, owner = have
        if owner == self.user.id and same_payload(stored, payload):
            return Outcome("duplicate", visit_id)
        return Outcome("conflict", visit_id, message=conflict_message())

    def forget(self) -> None:
        """Forget what was looked up (after a rollback: look again)."""
        self.known.clear()
        self.looked_up.clear()
        self.pending_leads.clear()

    # ------------------------------------------------------------------ one visit
    def take(self, visit_id: str, payload: Mapping[str, Any], *, careful: bool = True,
             flush: bool = True) -> Outcome:
        """Apply one visit at most once. `visit_id` is a lower-case UUID (the caller checks
        its form); `payload` the visit's fields as the channel sent them."""
        seen = self.seen(visit_id, payload)
        if seen is not None:
            return seen
        try:
            data = validate_visit(payload, self.user, now=self.now,
                                  pending_leads=self.pending_leads, lookups=self.lookups)
        except Refused as e:
            errors = e.fields
            if set(errors) == {LEAD_CONFLICT}:
                return Outcome("conflict", visit_id, errors=errors,
                               message=errors[LEAD_CONFLICT])
            return Outcome("rejected", visit_id, errors=errors)
        digest = payload_hash(payload)
        if not careful:
            visit = record_visit(self.user, data, visit_id=visit_id, payload_hash=digest,
                                 lookups=self.lookups, flush=flush)
        else:
            try:
                with db.session.begin_nested():
                    visit = record_visit(self.user, data, visit_id=visit_id,
                                         payload_hash=digest, lookups=self.lookups)
            except DBAPIError as exc:
                if isinstance(exc, TRANSIENT):
                    raise
                return self._clashed(visit_id, payload, exc)
        self.known[visit_id] = (digest, self.user.id)
        if data.new_lead is not None and flush:
            self.pending_leads[data.new_lead.uuid] = visit.customer_id
        return Outcome("applied", visit_id, visit=visit)

    def _clashed(self, visit_id: str, payload: Mapping[str, Any],
                 exc: DBAPIError) -> Outcome:
        """The database refused the write (its savepoint is rolled back)."""
        current_app.logger.info("visit %s: %s", visit_id, type(exc).__name__)
        if self.lookups is not None:  # cached rows may be stale after the rollback
            self.lookups = VisitLookups()
        # Committed by another request since this one began (two tabs, a double tap, the
        # same visit from the outbox): a duplicate, or a conflict if the payload differs.
        self.looked_up.discard(visit_id)
        self.known.pop(visit_id, None)
        seen = self.seen(visit_id, payload)
        if seen is not None:
            return seen
        if isinstance(exc, IntegrityError):
            return Outcome("rejected", visit_id, errors={"item": _(
                "This visit could not be saved: it clashes with a record already on the "
                "server.")})
        return Outcome("rejected", visit_id, errors={"item": _(
            "This visit could not be saved: the database refused one of its values. "
            "Correct it and send it again.")})


def take_one(user: User, visit_id: str, payload: Mapping[str, Any]) -> Outcome:
    """One visit (the form, the API): applied in a savepoint, or why not. The caller
    commits; if the commit itself clashes (the same visit committed by a parallel
    request), it rolls back and asks `recheck`."""
    return Intake(user).take(visit_id, payload)


def recheck(user: User, visit_id: str, payload: Mapping[str, Any]) -> Outcome | None:
    """After a failed commit: the visit as saved by a parallel request, if it is."""
    return Intake(user).seen(visit_id, payload)

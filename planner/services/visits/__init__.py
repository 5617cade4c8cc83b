"""Visits: one way in for a visit (the form, POST /api/v1/visits and the offline sync).

The door the web and api layers use; the modules inside are private (an import-linter
contract holds it):

- rules    what a visit is (VisitData, NewLead) and the limits every channel checks
- lookups  the per-batch caches of the offline sync (VisitLookups)
- checks   validate_visit: raw input -> VisitData, or Refused with {field: message}
- record   record_visit: writes a valid visit (and a new lead), moves the customer's stage
- payload  what a visit says whichever channel sent it: form_payload, the canonical
           payload and its hash (same id + other hash = conflict)
- intake   the four answers (applied, duplicate, conflict, rejected), at most once
"""

from .checks import validate_visit
from .intake import TRANSIENT, Intake, Outcome, conflict_message, recheck, take_one
from .lookups import VisitLookups
from .payload import canonical_payload, form_payload, parse_money, payload_hash, same_payload
from .record import record_visit
from .rules import LEAD_CONFLICT, LEAD_LIMITS, TEXT_LIMITS, UUID_RE, NewLead, VisitData

__all__ = [
    "LEAD_CONFLICT", "LEAD_LIMITS", "TEXT_LIMITS", "TRANSIENT", "UUID_RE", "Intake",
    "NewLead", "Outcome", "VisitData", "VisitLookups", "canonical_payload",
    "conflict_message", "form_payload", "parse_money", "payload_hash", "recheck",
    "record_visit", "same_payload", "take_one", "validate_visit",
]

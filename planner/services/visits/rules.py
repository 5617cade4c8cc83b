"""What a visit is: its fields (VisitData, NewLead) and the limits every channel checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ...models import VisitKind

MAX_AMOUNT_FEN = 100_000_000 * 100  # 100 million CNY in one visit is absurd
MAX_EXPENSES_FEN = 1_000_000 * 100
MONEY_FIELDS = {"amount_signed": MAX_AMOUNT_FEN, "amount_collected": MAX_AMOUNT_FEN,
                "expenses": MAX_EXPENSES_FEN}
FUTURE_SLACK = timedelta(minutes=15)  # phones' clocks drift a little
MAX_PAST = timedelta(days=366)
TEXT_LIMITS = {"place": 300, "purpose": 300, "outcome": 300, "materials": 300, "notes": 5000}
# The error key of a lead UUID already saved with other details: the sync answers "conflict".
LEAD_CONFLICT = "customer_uuid"
LEAD_LIMITS = {"new_customer_name": 200, "new_customer_contact": 120, "new_customer_phone": 40}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.I)


@dataclass
class NewLead:
    uuid: str
    name: str
    contact_name: str = ""
    phone: str = ""


@dataclass
class VisitData:
    customer_id: int | None
    new_lead: NewLead | None
    kind: VisitKind
    visited_at: datetime
    local_date: date
    place: str = ""
    latitude: float | None = None
    longitude: float | None = None
    purpose: str = ""
    notes: str = ""
    outcome: str = ""
    amount_signed: int = 0
    amount_collected: int = 0
    expenses: int = 0
    materials: str = ""
    next_follow_up: date | None = None
    stage_id: int | None = None
    product_line_ids: list[int] = field(default_factory=list)

"""What a review's author and its approvers send: the refusals (ReviewError), the parsing
of the rep's parts, the week a review may be for, and the digest of an offline item."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from ...models import WeeklyReview
from ...parsing import has_nul
from ...refusal import Refused
from ..visits import parse_money
from .figures import (
    DEPARTMENT_MAX,
    MAX_WEEKS_BACK,
    MONEY_ROWS,
    NEXT_KEYS,
    NUMBER_MAX,
    TEXT_MAX,
    TEXTS,
)
from .weeks import week_start

# ------------------------------------------------------------------ rules


class ReviewError(Refused):
    """A refused change: an HTTP-like status, a message for the person, and the review as
    it is (for a conflict's answer)."""

    def __init__(self, status: int, message: str, review: WeeklyReview | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields)
        self.status = status
        self.review = review


class ReviewFieldErrors(ReviewError):
    """Bad input: `fields` says which fields and why (422)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(422, _("Nothing was saved. Please correct the fields marked."),
                         fields=fields)


@dataclass
class ReviewInput:
    """The parts sent; a part not sent at all (JSON without the key) stays as it is."""

    texts: dict[str, str]
    support_department: str | None
    next_numbers: dict[str, int] | None


def _parse_texts(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for key in TEXTS:
        if key not in raw:
            continue
        v = raw.get(key)
        v = "" if v is None else v
        if not isinstance(v, str):
            errors[key] = _("Enter text.")
            continue
        v = v.strip()
        if has_nul(v):
            errors[key] = _("Enter text.")
        elif len(v) > TEXT_MAX:
            errors[key] = _("At most %(n)s characters.", n=TEXT_MAX)
        texts[key] = v
    return texts


def _parse_department(raw: dict[str, Any], errors: dict[str, str]) -> str:
    dept = raw.get("support_department")
    dept = "" if dept is None else dept
    if not isinstance(dept, str) or has_nul(dept):
        errors["support_department"] = _("Enter text.")
        dept = ""
    dept = dept.strip()
    if len(dept) > DEPARTMENT_MAX:
        errors["support_department"] = _("At most %(n)s characters.", n=DEPARTMENT_MAX)
    return str(dept)


def _parse_number(source: dict[str, Any], nested: bool,
                  key: str) -> tuple[int | None, str | None]:
    """(value, None), (None, None) when not sent, or (None, message)."""
    field = f"next_{key}"
    money = key in MONEY_ROWS
    if money and source.get(f"{field}_fen") not in (None, ""):
        v = source.get(f"{field}_fen")
        n = v if isinstance(v, int) and not isinstance(v, bool) else None
        if n is None or not 0 <= n <= NUMBER_MAX:
            return None, _("Enter an amount of at least 0.")
        return n, None
    v = source.get(field, source.get(key) if nested else None)
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, None
    if money:
        got = parse_money(v)
        if got is None or not 0 <= got <= NUMBER_MAX:
            return None, _("Enter an amount in yuan, like 12800 or 12800.50.")
        return got, None
    try:
        n = int(str(v).strip()) if not isinstance(v, bool) else -1
    except ValueError:
        n = -1
    if not 0 <= n <= 100_000:
        return None, _("Enter a whole number of at least 0.")
    return n, None


def parse_input(raw: dict[str, Any]) -> ReviewInput:
    """Validate the rep's parts (from a form or JSON). Numbers: counts as integers, money
    in yuan (`revenue`, `collections`) or fen (`revenue_fen`, `collections_fen`). Bad
    parts: ReviewFieldErrors, with every bad field's message."""
    errors: dict[str, str] = {}
    texts = _parse_texts(raw, errors)
    dept = _parse_department(raw, errors)
    numbers: dict[str, int] = {}
    nested = raw.get("next_numbers")
    source = nested if isinstance(nested, dict) else raw
    for key in NEXT_KEYS:
        value, error = _parse_number(source, source is nested, key)
        if error:
            errors[f"next_{key}"] = error
        elif value is not None:
            numbers[key] = value
    if errors:
        raise ReviewFieldErrors(errors)
    sent_numbers = isinstance(nested, dict) or any(
        k.startswith("next_") and k != "next_focus" for k in raw)
    return ReviewInput(texts, dept if "support_department" in raw else None,
                       numbers if sent_numbers else None)


def payload_digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def check_week(raw: Any, today: date) -> date:
    """A review's week: a Monday, not after this week, at most about a year back."""
    from ...parsing import parse_day

    day = raw if isinstance(raw, date) else parse_day(raw)
    if day is None or day.weekday() != 0:
        raise ReviewError(404, _("A review is for a week starting on a Monday."))
    if day > week_start(today) or day < today - timedelta(days=MAX_WEEKS_BACK):
        raise ReviewError(404, _("There is no review for that week."))
    return day



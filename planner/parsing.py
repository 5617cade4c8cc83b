"""Parsing untrusted values (query strings, form fields, JSON) without ever raising.

Every id, number and date a user or a phone sends goes through here first, so a huge,
negative, fractional, boolean or foreign value becomes None (then a 404 or a clear
message), never an OverflowError or a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Any

MAX_ID = 2**63 - 1  # BIGINT; SQLite and PostgreSQL both overflow past it
MIN_YEAR = 1990
MAX_YEAR = 2100


def parse_id(value: Any) -> int | None:
    """A database id: a positive int (not a bool) or a string of ASCII digits, <= BIGINT."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        if not s or len(s) > 19 or not (s.isascii() and s.isdigit()):
            return None
        n = int(s)
    else:
        return None
    return n if 1 <= n <= MAX_ID else None


def parse_int(value: Any, lo: int, hi: int) -> int | None:
    """An integer within [lo, hi] from an int or a string of ASCII digits (sign allowed)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        body = s[1:] if s[:1] in "+-" else s
        if not body or len(body) > 19 or not (body.isascii() and body.isdigit()):
            return None
        n = int(s)
    else:
        return None
    return n if lo <= n <= hi else None


def parse_day(value: Any, lo_year: int = MIN_YEAR, hi_year: int = MAX_YEAR) -> date | None:
    """An ISO date (YYYY-MM-DD) between lo_year and hi_year, else None."""
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        try:
            d = date.fromisoformat(value.strip()[:10]) if len(value.strip()) == 10 else None
        except ValueError:
            return None
        if d is None:
            return None
    else:
        return None
    return d if lo_year <= d.year <= hi_year else None


def has_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold NUL bytes; SQLite can. Refuse them everywhere alike."""
    return isinstance(value, str) and "\x00" in value


try:  # the URL converter needs Werkzeug; the parsers above need nothing
    from werkzeug.routing import IntegerConverter
except ImportError:  # pragma: no cover
    IntegerConverter = object  # type: ignore[misc,assignment]


class IdConverter(IntegerConverter):  # type: ignore[misc,valid-type]
    """`<int:...>` in a URL: ASCII digits only and at most BIGINT, so a huge number or a
    non-ASCII digit ("٣") matches no route (404) instead of reaching the database."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        from werkzeug.routing import ValidationError

        n = parse_id(value)
        if n is None:
            raise ValidationError()
        return n

"""The one parser for amounts a person types (yuan) or a phone sends, for the whole app.

Accepted: a plain decimal number, optionally with a leading ¥/￥, with at most `decimals`
digits after a point, and thousands separators only where they cannot be misread: groups
of exactly three digits after a first group of one to three ("1,234,567.89"; the
full-width comma "，" counts as a comma). Refused, each with a message that says why:
exponents ("1e5" is not ¥100,000), a comma used as the decimal mark ("12,5" is not ¥125),
signs where none is allowed, spaces inside the number, words, NaN and infinities, too many
decimals, and amounts past a bound. Nothing here raises anything but MoneyError.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from .refusal import Refused

# Digits, one optional decimal point; thousands groups only of three after 1-3 digits.
_PLAIN = re.compile(r"^(?P<int>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<frac>[0-9]*))?$")
_LEADING_POINT = re.compile(r"^\.(?P<frac>[0-9]+)$")
MAX_CHARS = 40  # no amount is written with more characters
CURRENCY_SIGNS = ("¥", "￥")


class MoneyError(Refused, ValueError):
    """A typed amount that is not a plain amount (a Refused without fields): `message`
    (and str()) is the message for the person, `code` says why (not_a_number, exponent,
    decimal_comma, grouping, decimals, negative, too_long, too_large) for callers that
    word it their own way."""

    def __init__(self, message: str, code: str = "not_a_number") -> None:
        super().__init__(message)
        self.code = code


def _not_a_number() -> MoneyError:
    return MoneyError(_("Enter an amount in yuan, like 12800 or 12800.50."))


def parse_decimal(value: Any, *, decimals: int = 2, signed: bool = False) -> Decimal:
    """A typed number -> Decimal, by the rules above. A JSON int is taken as is; a JSON
    float only when it has a short exact decimal form (12.5, not 0.1 + 0.2)."""
    if isinstance(value, bool) or value is None:
        raise _not_a_number()
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if "e" in text or "n" in text:  # 1e+20, nan, inf
            raise MoneyError(_("Write the number plainly, like 12800.50."),
                             "exponent")
    elif isinstance(value, str):
        text = value
    else:
        raise _not_a_number()
    s = text.strip().replace("，", ",")
    if len(s) > MAX_CHARS:
        raise MoneyError(_("That number is too long to be right."), "too_long")
    for sign in CURRENCY_SIGNS:
        s = s.removeprefix(sign).strip()
    negative = s.startswith("-")
    if s[:1] in "+-" and s:
        if not signed and negative:
            raise MoneyError(_("An amount cannot be negative."), "negative")
        s = s[1:]
    m = _PLAIN.match(s) or _LEADING_POINT.match(s)
    if m is None:
        raise _why(s)
    whole = m.groupdict().get("int") or "0"
    frac = m.group("frac") or ""
    if len(frac.rstrip("0")) > decimals:
        if decimals == 0:
            raise MoneyError(_("Use a whole number."), "decimals")
        raise MoneyError(_("Use at most %(n)d decimals.", n=decimals), "decimals")
    d = Decimal(whole.replace(",", "") + ("." + frac if frac else ""))
    return -d if negative else d


def _why(s: str) -> MoneyError:
    """Why a string is not a plain amount."""
    if re.fullmatch(r"[0-9.,]*[0-9][eE][+-]?[0-9]+", s):
        return MoneyError(
            _("Write the number plainly, without an exponent: 100000, not 1e5."), "exponent")
    if re.fullmatch(r"[0-9.]*[0-9],[0-9]{1,2}", s):
        return MoneyError(_("Use a point for decimals: 12.50, not 12,50."), "decimal_comma")
    if re.fullmatch(r"[0-9.,]+", s) and re.search(r"[0-9]", s):
        return MoneyError(
            _("Put a comma only between groups of three digits, like 1,234,567.89."), "grouping")
    return _not_a_number()


def parse_fen(value: Any, *, limit: int | None = None) -> int:
    """Yuan typed or sent (a string or a JSON number) -> integer fen, 0 for empty.
    Raises MoneyError with the person's message (not a number, negative, too large)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return 0
    d = parse_decimal(value, decimals=2)
    if limit is not None and d * 100 > limit:
        raise MoneyError(_("That amount is too large to be right (at most %(max)s yuan).",
                           max=f"{limit // 100:,}"), "too_large")
    return int(d * 100)

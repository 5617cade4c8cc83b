"""Growth rates typed by the director, parsed exactly, and applied to an amount.

A rate is kept in hundredths of a percent (+15% = 1500, -2.5% = -250). Growing an
amount rounds once, half up: ``grow(a, g) = floor((a x (10000 + g) + 5000) / 10000)``
in integers (amounts and (10000 + g) are never negative), so 2026's actual x 1.15 is
exact to the fen.
"""

from __future__ import annotations

from flask_babel import gettext as _

from ...money import MoneyError, parse_decimal
from ...refusal import Refused

MIN_GROWTH = -9_999  # hundredths of a percent: more than -100%, or nothing is left
MAX_GROWTH = 1_000_000  # +10,000%: 101 times last year


def parse_growth(text: str | None, field: str) -> int:
    """"15", "+15", "15%", "12.5", "-3.25" -> hundredths of a percent. Refused (with the
    field's message) for anything else: "abc", three decimals, -100% or less, too much."""
    raw = (text or "").strip().removesuffix("%").strip()
    if not raw:
        raise Refused(_("Enter a growth rate, like 15 for +15%."),
                      {field: _("Enter a growth rate, like 15 for +15%.")})
    try:
        d = parse_decimal(raw, decimals=2, signed=True)
    except MoneyError as exc:
        msg = (_("“%(text)s” is not a percentage: type a number like 15 or -2.5.",
                 text=raw[:20]) if exc.code in ("not_a_number", "grouping")
               else exc.message)
        raise Refused(msg, {field: msg}) from None
    g = int(d * 100)
    if g <= -10_000:
        msg = _("Growth must be more than -100%: at -100% nothing would be left.")
        raise Refused(msg, {field: msg})
    if g > MAX_GROWTH:
        msg = _("Growth of at most +%(max)s%% please.", max=MAX_GROWTH // 100)
        raise Refused(msg, {field: msg})
    return g


def grow(amount: int, growth: int) -> int:
    """`amount` grown by `growth` (hundredths of a percent), rounded half up."""
    if amount < 0 or growth <= -10_000:
        raise ValueError("growth applies to a non-negative amount, above -100%")
    return (amount * (10_000 + growth) + 5_000) // 10_000


def growth_text(growth: int) -> str:
    """+15%, -2.5%, +12.25% (for the audit row and the preview)."""
    sign = "+" if growth >= 0 else "-"
    whole, frac = divmod(abs(growth), 100)
    return f"{sign}{whole}" + (f".{frac:02d}".rstrip("0") if frac else "") + "%"

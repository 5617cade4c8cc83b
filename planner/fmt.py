"""The one formatter for numbers shown to people: money from integer fen, counts and
percentages, by the current locale (Babel). Templates reach it through the filters in
planner.web.filters; the phone's JavaScript gets the same rules from `js_pattern()` (data
attributes on <html>, read by static/js/app.js `planner.money`).

Money styles:
- "exact": every fen, ¥12,800 or ¥12,800.50 (a detail, a visit, a preview).
- "whole": whole yuan, half up: ¥1,861 (a figure tile).
- "short": whole yuan below ¥100,000, else compact with one decimal: ¥60.2万 (zh) or
  ¥601.9K (en), for places where space is short (a table cell at 360 px).
The symbol is always "¥" (Babel's English says "CN¥", which nobody here reads)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    get_currency_symbol,
)
from flask import has_request_context
from flask_babel import get_locale

SYMBOL = "¥"
COMPACT_FROM = 100_000  # yuan: "short" switches to the compact form from here
# The compact units (in yuan) each language uses: 万/亿 in Chinese, K/M/B in English.
COMPACT_STEPS = {"zh": (10_000, 100_000_000), "en": (1_000, 1_000_000, 1_000_000_000)}
STYLES = ("exact", "whole", "short")


_LOCALE_NAMES: dict[Any, str] = {}


def locale_tag(locale: str | None = None) -> str:
    if locale:
        return locale
    if has_request_context():
        # str(Locale) rebuilds the identifier each time (slow when a page shows 2,000
        # figures): remembered per Locale (a handful exist).
        loc = get_locale()
        if loc is None:
            return "zh_Hans_CN"
        name = _LOCALE_NAMES.get(loc)
        if name is None:
            name = _LOCALE_NAMES[loc] = str(loc)
        return name
    return "zh_Hans_CN"


def _lang(loc: str) -> str:
    return "zh" if loc.startswith("zh") else "en"


def _symbol(text: str, loc: str) -> str:
    own = get_currency_symbol("CNY", locale=loc)
    return text.replace(own, SYMBOL) if own != SYMBOL else text


def _half_up(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def compact_step(yuan: Decimal, loc: str) -> int:
    """The compact unit for an amount (万 or 亿; K, M or B)."""
    steps = COMPACT_STEPS[_lang(loc)]
    unit = steps[0]
    for s in steps:
        if abs(yuan) >= s:
            unit = s
    return unit


def money(fen: int | None, style: str = "exact", locale: str | None = None) -> str:
    """Integer fen -> text, in one of STYLES."""
    return _money(int(fen or 0), style, locale_tag(locale))


# Formatting is a pure function of (value, style, locale): memoised (Babel parses the
# locale and the pattern on every call, half of a big page's time).
@lru_cache(maxsize=8192)
def _money(fen: int, style: str, loc: str) -> str:
    yuan = Decimal(fen) / 100
    if style == "exact":
        if fen % 100 == 0:
            text = format_currency(yuan, "CNY", format="¤#,##0", locale=loc,
                                   currency_digits=False)
        else:
            text = format_currency(yuan, "CNY", locale=loc)
        return _symbol(text, loc)
    whole = _half_up(yuan, Decimal(1))
    if style == "short" and abs(whole) >= COMPACT_FROM:
        # Round once, here (half up, to the one decimal shown), so Babel and the phone's
        # Intl.NumberFormat are handed the same exact number and cannot round apart.
        step = Decimal(compact_step(whole, loc)) / 10
        shown = _half_up(whole, step)
        return _symbol(format_compact_currency(shown, "CNY", locale=loc, fraction_digits=1),
                       loc)
    if style not in STYLES:
        raise ValueError(f"unknown money style {style!r}")
    return _symbol(format_currency(whole, "CNY", format="¤#,##0", locale=loc,
                                   currency_digits=False), loc)


def count(n: int | None, locale: str | None = None) -> str:
    return _count(int(n or 0), locale_tag(locale))


@lru_cache(maxsize=8192)
def _count(n: int, loc: str) -> str:
    return format_decimal(n, locale=loc)


def percent(hundredths: int | None, locale: str | None = None) -> str:
    """Hundredths of a percent -> 85% or 85.5%."""
    return _percent(int(hundredths or 0), locale_tag(locale))


@lru_cache(maxsize=2048)
def _percent(hundredths: int, loc: str) -> str:
    return format_decimal(Decimal(hundredths) / 100, locale=loc) + "%"


def value(v: int | None, unit: Any, style: str = "exact", locale: str | None = None) -> str:
    """A stored integer of a metric's unit ("money", "percent", "count")."""
    u = str(getattr(unit, "value", unit))
    if u == "money":
        return money(v, style, locale)
    if u == "percent":
        return percent(v, locale)
    return count(v, locale)


def plain(v: int | None, unit: Any) -> str:
    """A stored integer as a form field's value: 12800.5 yuan -> "12800.50", no grouping
    and no symbol (what the money parser takes back)."""
    n = int(v or 0)
    if str(getattr(unit, "value", unit)) in ("money", "percent"):
        sign = "-" if n < 0 else ""
        whole, frac = divmod(abs(n), 100)
        return f"{sign}{whole}.{frac:02d}" if frac else f"{sign}{whole}"
    return str(n)


def js_pattern(locale: str | None = None) -> dict[str, str]:
    """What the phone's JavaScript needs to format money exactly as `money` does
    (data-* attributes on <html>; static/js/app.js reads them)."""
    loc = locale_tag(locale)
    return {
        "data-money-locale": "zh-CN" if _lang(loc) == "zh" else "en",
        "data-money-symbol": SYMBOL,
        "data-money-compact-from": str(COMPACT_FROM),
        "data-money-steps": ",".join(str(s) for s in COMPACT_STEPS[_lang(loc)]),
    }


def name(obj: Any, locale: str | None = None) -> str:
    """An object's name in the language (name_en in English when there is one)."""
    if obj is None:
        return ""
    if not locale_tag(locale).startswith("zh") and getattr(obj, "name_en", ""):
        return str(obj.name_en)
    return str(obj.name)

"""Template filters for the rep's pages: money from fen, counts, localized names."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency, format_decimal
from flask_babel import get_locale

from ..models import MetricUnit
from . import bp

_LOCALE_NAMES: dict[Any, str] = {}


def _locale() -> str:
    # str(Locale) rebuilds the identifier each time (slow when a page shows 2,000
    # figures): remembered per Locale (hashable by its parts; a handful exist).
    loc = get_locale()
    if loc is None:
        return "zh_Hans_CN"
    name = _LOCALE_NAMES.get(loc)
    if name is None:
        name = _LOCALE_NAMES[loc] = str(loc)
    return name


# Formatting is a pure function of (value, locale): memoised (Babel parses the locale
# and the pattern on every call).
@lru_cache(maxsize=8192)
def _cny(fen: int, locale: str) -> str:
    amount = Decimal(fen) / 100
    if fen % 100 == 0:
        return format_currency(amount, "CNY", format="¤#,##0", locale=locale,
                               currency_digits=False)
    return format_currency(amount, "CNY", locale=locale)


@lru_cache(maxsize=8192)
def _count(n: int, locale: str) -> str:
    return format_decimal(n, locale=locale)


@lru_cache(maxsize=2048)
def _percent(hundredths: int, locale: str) -> str:
    return format_decimal(Decimal(hundredths) / 100, locale=locale) + "%"


def cny(fen: int | None) -> str:
    """Integer fen -> CNY for display (¥12,800 or ¥12,800.50)."""
    return _cny(int(fen or 0), _locale())


def count(n: int | None) -> str:
    return _count(int(n or 0), _locale())


def metric_value(value: int | None, metric: Any) -> str:
    unit = getattr(metric, "unit", None)
    if unit == MetricUnit.MONEY:
        return cny(value)
    if unit == MetricUnit.PERCENT:
        return _percent(int(value or 0), _locale())
    return count(value)


def lname(obj: Any) -> str:
    """An object's name in the current language (name_en in English when there is one)."""
    if obj is None:
        return ""
    if not _locale().startswith("zh") and getattr(obj, "name_en", ""):
        return str(obj.name_en)
    return str(obj.name)


def pct_class(share: float) -> int:
    """A 0..100 step of 5 for the CSS width classes (no inline styles: CSP)."""
    return max(0, min(100, int(round(share * 20)) * 5))


bp.add_app_template_filter(cny, "cny")
bp.add_app_template_filter(count, "count")
bp.add_app_template_filter(metric_value, "metric_value")
bp.add_app_template_filter(lname, "lname")
bp.add_app_template_filter(pct_class, "pct_class")

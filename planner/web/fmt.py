"""Template filters for the rep's pages: money from fen, counts, localized names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, format_decimal
from flask_babel import get_locale

from ..models import MetricUnit
from . import bp


def _locale() -> str:
    return str(get_locale() or "zh_Hans_CN")


def cny(fen: int | None) -> str:
    """Integer fen -> CNY for display (¥12,800 or ¥12,800.50)."""
    fen = int(fen or 0)
    amount = Decimal(fen) / 100
    if fen % 100 == 0:
        return format_currency(amount, "CNY", format="¤#,##0", locale=_locale(),
                               currency_digits=False)
    return format_currency(amount, "CNY", locale=_locale())


def count(n: int | None) -> str:
    return format_decimal(int(n or 0), locale=_locale())


def metric_value(value: int | None, metric: Any) -> str:
    unit = getattr(metric, "unit", None)
    if unit == MetricUnit.MONEY:
        return cny(value)
    if unit == MetricUnit.PERCENT:
        return format_decimal(Decimal(int(value or 0)) / 100, locale=_locale()) + "%"
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

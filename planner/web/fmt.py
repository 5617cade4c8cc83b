"""Template filters: money from fen, counts, metric values (all through planner.fmt, the one
formatter), localized names."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from markupsafe import Markup, escape

from .. import fmt
from . import bp


def _locale() -> str:
    return str(get_locale() or "zh_Hans_CN")


def cny(fen: int | None, style: str = "exact") -> str:
    """Integer fen -> CNY for display (planner.fmt.money: exact, whole or short)."""
    return fmt.money(fen, style)


def count(n: int | None) -> str:
    return fmt.count(n)


def metric_value(value: int | None, metric: Any, style: str = "exact") -> str:
    return fmt.value(value, getattr(metric, "unit", None), style)


def money_pattern() -> Markup:
    """The <html> attributes that hand the phone's JavaScript the money pattern."""
    return Markup("".join(f' {k}="{escape(v)}"' for k, v in fmt.js_pattern().items()))


def lname(obj: Any) -> str:
    """An object's name in the current language (name_en in English when there is one)."""
    return fmt.name(obj)


def pct_class(share: float) -> int:
    """A 0..100 step of 5 for the CSS width classes (no inline styles: CSP)."""
    return max(0, min(100, int(round(share * 20)) * 5))


bp.add_app_template_filter(cny, "cny")
bp.add_app_template_filter(count, "count")
bp.add_app_template_filter(metric_value, "metric_value")
bp.add_app_template_filter(lname, "lname")
bp.add_app_template_filter(pct_class, "pct_class")
bp.add_app_template_global(money_pattern, "money_pattern")

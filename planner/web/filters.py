"""Every template filter, registered once by the app factory (`init_app`): money from
fen, counts, metric values and form values (all through planner.fmt, the one formatter),
localized names, times in the company's timezone. Templates get data and these filters;
they never call a service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user
from markupsafe import Markup, escape

from .. import fmt
from ..services.company import zone


def cny(fen: int | None, style: str = "exact") -> str:
    """Integer fen -> CNY for display (planner.fmt.money: exact, whole or short)."""
    return fmt.money(fen, style)


def count(n: int | None) -> str:
    return fmt.count(n)


def metric_value(value: int | None, metric: Any, style: str = "exact") -> str:
    """A stored integer of the metric's unit: {{ node.value|metric_value(metric) }}."""
    return fmt.value(value, getattr(metric, "unit", None), style)


def input_value(value: int | None, metric: Any) -> str:
    """A stored integer as a form field's value ("12800.50": no symbol, no grouping)."""
    return fmt.plain(value, getattr(metric, "unit", None))


def money_pattern() -> Markup:
    """The <html> attributes that hand the phone's JavaScript the money pattern."""
    return Markup("".join(f' {k}="{escape(v)}"' for k, v in fmt.js_pattern().items()))


def lname(obj: Any) -> str:
    """An object's name in the current language (name_en in English when there is one)."""
    return fmt.name(obj)


def percent(share: float) -> int:
    """A share (0.853) as a whole percent (85) for display: {{ x|percent }}%. Halves round
    to even, as Python's round (and the templates' former `(x * 100)|round|int`)."""
    return int(round(float(share) * 100))


def pct_class(share: float) -> int:
    """A 0..100 step of 5 for the CSS width classes (no inline styles: CSP)."""
    return max(0, min(100, int(round(share * 20)) * 5))


def _aware(at: datetime) -> datetime:
    """SQLite hands DateTime(timezone=True) back naive: it was stored as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def review_time(at: datetime | None) -> str:
    """A moment in the viewer's company timezone, like 2026-12-02 10:31."""
    if at is None:
        return ""
    tz = zone(current_user.company.timezone)
    return _aware(at).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def reminder_time(at: datetime | None) -> str:
    """A reminder's time in the company's timezone: "12-02 08:30" (the app's timezone
    when nobody is logged in)."""
    if at is None:
        return ""
    tz = ZoneInfo(current_app.config.get("COMPANY_TIMEZONE") or "Asia/Shanghai")
    if current_user.is_authenticated:
        company = current_user.company
        if company is not None and company.timezone:
            tz = ZoneInfo(company.timezone)
    return _aware(at).astimezone(tz).strftime("%m-%d %H:%M")


FILTERS: dict[str, Callable[..., Any]] = {
    "cny": cny, "count": count, "metric_value": metric_value, "input_value": input_value,
    "lname": lname, "percent": percent, "pct_class": pct_class, "review_time": review_time,
    "reminder_time": reminder_time,
}


def init_app(app: Flask) -> None:
    for name, f in FILTERS.items():
        app.add_template_filter(f, name)
    app.add_template_global(money_pattern, "money_pattern")

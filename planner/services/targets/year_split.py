"""Splitting a company-level target over its fiscal year: quarters, then months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from ... import engine
from ...engine import Period, WorkCalendar
from ...extensions import db
from ...models import FiscalYear, Metric, MonthlyActual, Target, TargetCell

TIME_METHODS = ("working_days", "equal", "profile", "last_year", "growth", "quarters")


def fy_period(fy: FiscalYear) -> Period:
    return engine.fiscal_year(fy.year, fy.first_month)


def fy_quarters(fy: FiscalYear) -> list[Period]:
    return engine.quarters(fy_period(fy))


def fy_months(fy: FiscalYear) -> list[Period]:
    return engine.months(fy_period(fy))


def last_year_months(
    metric: Metric, fy: FiscalYear, user_ids: list[int] | None = None
) -> list[int]:
    """Last year's actuals of `metric` per month of the fiscal year before `fy`."""
    months = fy_months(fy)
    ly_starts = [date(m.start.year - 1, m.start.month, 1) for m in months]
    stmt = (
        select(MonthlyActual.month, func.sum(MonthlyActual.value))
        .where(MonthlyActual.metric_id == metric.id, MonthlyActual.month.in_(ly_starts))
        .group_by(MonthlyActual.month)
    )
    if user_ids is not None:
        stmt = stmt.where(MonthlyActual.user_id.in_(user_ids))
    got = {m: int(v or 0) for m, v in db.session.execute(stmt)}
    return [got.get(s, 0) for s in ly_starts]


def _numbers(values: Any) -> list[Decimal] | None:
    """Typed numbers as stored (JSON: ints, or decimal text such as "12.5") or as parsed
    (Decimal) -> Decimals; None stays None (the engine says what is missing)."""
    if values is None:
        return None
    try:
        return [Decimal(str(v)) for v in values]
    except (InvalidOperation, TypeError):
        raise engine.AllocationError("a value is not a number", "not_a_number") from None


def _level_split(value: int, params: dict[str, Any]) -> tuple[list[int], list[int]]:
    """A level metric: the typed quarter levels (or the year's level), each month its
    quarter's level."""
    q_levels = list(params.get("quarters") or [value] * 4)
    if len(q_levels) != 4 or any(int(v) < 0 for v in q_levels):
        raise engine.AllocationError("a level needs four non-negative quarter values",
                                     "count" if len(q_levels) != 4 else "negative")
    return [int(v) for v in q_levels], [int(q_levels[i // 3]) for i in range(12)]


def split_year(
    fy: FiscalYear,
    metric: Metric,
    value: int,
    method: str,
    params: dict[str, Any],
    calendar: WorkCalendar,
) -> tuple[list[int], list[int]]:
    """(4 quarter values, 12 month values) of a year value. For additive metrics both lists
    add up to `value` exactly; level metrics carry a level per period.

    Methods: working_days, equal, profile (12 monthly percentages adding to 100),
    last_year (last year's monthly actuals), growth (quarters get last year's same
    quarter grown by params["growth"][q] percent, as weights), quarters (params["quarters"]
    typed per quarter; months by working days).
    """
    quarters = fy_quarters(fy)
    months = fy_months(fy)
    if not metric.additive:
        return _level_split(value, params)

    if method in ("working_days", "equal", "profile", "last_year"):
        kwargs: dict[str, Any] = {}
        if method == "profile":
            kwargs["profile"] = _numbers(params.get("profile"))
        if method == "last_year":
            kwargs["last_year"] = last_year_months(metric, fy)
        month_vals = engine.split_over_time(value, months, method, calendar=calendar, **kwargs)
        q_vals = [sum(month_vals[q * 3 : q * 3 + 3]) for q in range(4)]
        return q_vals, month_vals

    if method == "growth":
        ly = last_year_months(metric, fy)
        ly_q = [sum(ly[q * 3 : q * 3 + 3]) for q in range(4)]
        q_vals = engine.split_over_time(
            value, quarters, "growth", calendar=calendar, last_year=ly_q,
            growth=_numbers(params.get("growth")),
        )
        inner = "last_year" if sum(ly) > 0 else "working_days"
    elif method == "quarters":
        typed = params.get("quarters") or []
        if len(typed) != 4:
            raise engine.AllocationError("type a value for each of the four quarters", "count")
        locked = {i: int(v) for i, v in enumerate(typed)}
        q_vals = engine.allocate(value, [1, 1, 1, 1], locked)
        inner = "working_days"
        ly = []
    else:
        raise engine.AllocationError(f"unknown time split {method!r}", "unknown_method")

    month_vals = []
    for q in range(4):
        kwargs = {"last_year": ly[q * 3 : q * 3 + 3]} if inner == "last_year" else {}
        month_vals += engine.split_over_time(
            q_vals[q], months[q * 3 : q * 3 + 3], inner, calendar=calendar, **kwargs
        )
    return q_vals, month_vals


def write_cells(target: Target, fy: FiscalYear, q_vals: list[int], m_vals: list[int]) -> None:
    """Create or update the target's quarter and month cells."""
    have = {(c.kind, c.start): c for c in target.cells}
    for kind, periods, vals in (
        ("quarter", fy_quarters(fy), q_vals),
        ("month", fy_months(fy), m_vals),
    ):
        for p, v in zip(periods, vals, strict=True):
            cell = have.get((kind, p.start))
            if cell is None:
                target.cells.append(
                    TargetCell(kind=kind, start=p.start, end=p.end, value=int(v))
                )
            else:
                cell.value = int(v)

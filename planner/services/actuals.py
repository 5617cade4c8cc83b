"""Actuals come from what reps log. Definitions (also in README.md):

- visits: visits logged (every kind, phone calls included)
- cold visits / return visits: visits of that kind
- contracts: visits with an amount signed > 0
- revenue: the amount signed (fen)
- collections: the amount collected (fen)
- new customers: customers won for the first time (Customer.first_won_on) in the period

A Metric names its actual by `Metric.source`; a metric without a source (share,
satisfaction) has no actual from visits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import bindparam, case, func, select

from ..extensions import db
from ..models import Customer, Visit, VisitKind

SOURCES = (
    "visits",
    "visits_cold",
    "visits_return",
    "contracts",
    "amount_signed",
    "amount_collected",
    "new_customers",
)


# Built once (expanding bind parameters): building them cost more than running them.
_VISITS_BY_DAY = (
    select(
        Visit.local_date,
        func.count(Visit.id),
        func.sum(case((Visit.kind == VisitKind.COLD, 1), else_=0)),
        func.sum(case((Visit.kind == VisitKind.RETURN, 1), else_=0)),
        func.sum(case((Visit.amount_signed > 0, 1), else_=0)),
        func.coalesce(func.sum(Visit.amount_signed), 0),
        func.coalesce(func.sum(Visit.amount_collected), 0),
    )
    .where(Visit.user_id.in_(bindparam("ids", expanding=True)),
           Visit.local_date >= bindparam("start"), Visit.local_date <= bindparam("end"))
    .group_by(Visit.local_date)
)
_WINS_BY_DAY = (
    select(Customer.first_won_on, func.count(Customer.id))
    .where(
        Customer.owner_id.in_(bindparam("ids", expanding=True)),
        Customer.first_won_on >= bindparam("start"),
        Customer.first_won_on <= bindparam("end"),
    )
    .group_by(Customer.first_won_on)
)


def daily_actuals(user_ids: Iterable[int], start: date, end: date) -> dict[str, dict[date, int]]:
    """{source: {day: value}} for the users, from start to end inclusive (one query each
    for visits and for first wins)."""
    ids = list(user_ids)
    out: dict[str, dict[date, int]] = {s: defaultdict(int) for s in SOURCES}
    if not ids:
        return out
    params = {"ids": ids, "start": start, "end": end}
    rows = db.session.execute(_VISITS_BY_DAY, params).all()
    for day, n, cold, ret, contracts, signed, collected in rows:
        out["visits"][day] += int(n)
        out["visits_cold"][day] += int(cold or 0)
        out["visits_return"][day] += int(ret or 0)
        out["contracts"][day] += int(contracts or 0)
        out["amount_signed"][day] += int(signed or 0)
        out["amount_collected"][day] += int(collected or 0)
    wins = db.session.execute(_WINS_BY_DAY, params).all()
    for won_on, n in wins:
        if won_on is not None:  # the WHERE excludes NULL; said for the type checker
            out["new_customers"][won_on] += int(n)
    return out


def totals(daily: dict[str, dict[date, int]], start: date, end: date) -> dict[str, int]:
    """Sum each source's daily values from start to end inclusive."""
    return {
        s: sum(v for d, v in days.items() if start <= d <= end) for s, days in daily.items()
    }

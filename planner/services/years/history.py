"""Last year's actual per metric, rep and month: what the reps logged (visits, first
wins; services/actuals.py's definitions) and the imported history (MonthlyActual).

For a rep and a month with imported history (history or import rows) that history is the
actual, and that month's visits are not added to it: history records what happened
before (or outside) the app, and counting both would count the same sales twice. A month
without history takes the visits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from ...engine import Period
from ...extensions import db
from ...models import Customer, Metric, MonthlyActual, OrgUnit, User, Visit, VisitKind

_V = Visit.__table__.c
_VISIT_SUMS = {
    "visits": func.count(),
    "visits_cold": func.sum(case((_V.kind == VisitKind.COLD.value, 1), else_=0)),
    "visits_return": func.sum(case((_V.kind == VisitKind.RETURN.value, 1), else_=0)),
    "contracts": func.sum(case((_V.amount_signed > 0, 1), else_=0)),
    "amount_signed": func.coalesce(func.sum(_V.amount_signed), 0),
    "amount_collected": func.coalesce(func.sum(_V.amount_collected), 0),
}


@dataclass
class Actuals:
    """One metric's actual: {rep: [a value per month of the year]} and, for splits by
    product line, {(rep, product line or None): year value}."""

    months: dict[int, list[int]] = field(default_factory=dict)
    by_line: dict[tuple[int, int | None], int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(sum(v) for v in self.months.values())

    def company_months(self) -> list[int]:
        out = [0] * 12
        for vals in self.months.values():
            out = [a + b for a, b in zip(out, vals, strict=True)]
        return out

    def rep_total(self, user_id: int) -> int:
        return sum(self.months.get(user_id, ()))


def company_reps(company_id: int) -> list[int]:
    """Every rep of the company, active or not (a rep who left sold last year too)."""
    return list(db.session.scalars(
        select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(OrgUnit.company_id == company_id)))


def _visit_months(reps: list[int], months: list[Period]) -> dict[str, dict[int, list[int]]]:
    """{source: {rep: 12 values}} from the visits and first wins, a GROUP BY a month."""
    out: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 12))
    if not reps:
        return out
    cols = list(_VISIT_SUMS.items())
    c = Customer.__table__.c
    for i, p in enumerate(months):
        rows = db.session.execute(
            select(_V.user_id, *(e for _s, e in cols))
            .where(_V.user_id.in_(reps), _V.local_date >= p.start, _V.local_date <= p.end)
            .group_by(_V.user_id)).all()
        for r in rows:
            for (src, _e), v in zip(cols, r[1:], strict=True):
                out[src][r[0]][i] += int(v or 0)
        wins = db.session.execute(
            select(c.owner_id, func.count())
            .where(c.owner_id.in_(reps), c.first_won_on >= p.start, c.first_won_on <= p.end)
            .group_by(c.owner_id)).all()
        for uid, n in wins:
            out["new_customers"][uid][i] += int(n)
    return out


def last_year_actuals(company_id: int, metrics: list[Metric],
                      months: list[Period]) -> dict[int, Actuals]:
    """{metric id: Actuals} over the 12 `months` (last fiscal year) for every additive
    metric; a metric with neither a source nor history gets empty Actuals."""
    reps = company_reps(company_id)
    visits = _visit_months(reps, months)
    index = {p.start: i for i, p in enumerate(months)}
    hist_rows = db.session.execute(
        select(MonthlyActual.metric_id, MonthlyActual.user_id, MonthlyActual.product_line_id,
               MonthlyActual.month, func.sum(MonthlyActual.value))
        .where(MonthlyActual.user_id.in_(reps),
               MonthlyActual.month.in_([p.start for p in months]))
        .group_by(MonthlyActual.metric_id, MonthlyActual.user_id,
                  MonthlyActual.product_line_id, MonthlyActual.month)).all() if reps else []
    hist: dict[int, dict[tuple[int, int], dict[int | None, int]]] = defaultdict(
        lambda: defaultdict(dict))
    for mid, uid, pl, month, v in hist_rows:
        hist[mid][(uid, index[month])][pl] = int(v or 0)
    out: dict[int, Actuals] = {}
    for m in metrics:
        a = Actuals()
        from_visits = visits.get(m.source, {}) if m.source else {}
        for uid in reps:
            vals = [0] * 12
            for i in range(12):
                lines = hist[m.id].get((uid, i))
                if lines is not None:
                    vals[i] = sum(lines.values())
                    for pl, v in lines.items():
                        a.by_line[(uid, pl)] = a.by_line.get((uid, pl), 0) + v
                elif uid in from_visits:
                    vals[i] = from_visits[uid][i]
                    a.by_line[(uid, None)] = a.by_line.get((uid, None), 0) + vals[i]
            if any(vals):
                a.months[uid] = vals
        out[m.id] = a
    return out


def month_starts(months: list[Period]) -> list[date]:
    return [p.start for p in months]

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

from sqlalchemy import func, select

from ...engine import Period
from ...extensions import db
from ...models import Metric, MonthlyActual, OrgUnit, Role, UnitKind, User
from .. import tracking


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
    """Every rep of the company, active or not (a rep who left sold last year too): the
    reps whose figures tracking adds up (services/tracking.py)."""
    return list(db.session.scalars(
        select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(OrgUnit.company_id == company_id, User.role == Role.REP)))


def _visit_months(company_id: int, months: list[Period]) -> dict[str, dict[int, list[int]]]:
    """{source: {rep: 12 values}} from the visits and first wins: tracking's actuals of
    the company, grouped by rep, month by month (so last year's actual is what Tracking
    showed for that year)."""
    out: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 12))
    root = db.session.scalar(select(OrgUnit).where(
        OrgUnit.company_id == company_id, OrgUnit.kind == UnitKind.COMPANY))
    if root is None:
        return out
    scope = tracking.Scope("company", unit=root)
    for i, p in enumerate(months):
        for (uid, src), v in tracking.actual_rows(scope, p.start, p.end).items():
            if uid is not None:
                out[src][uid][i] += int(v)
    return out


def last_year_actuals(company_id: int, metrics: list[Metric],
                      months: list[Period]) -> dict[int, Actuals]:
    """{metric id: Actuals} over the 12 `months` (last fiscal year) for every additive
    metric; a metric with neither a source nor history gets empty Actuals."""
    reps = company_reps(company_id)
    visits = _visit_months(company_id, months)
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

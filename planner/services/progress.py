"""Progress at every level: each visible rep's month to date against target, and the sums
for their teams and regions (the manager's home)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from .. import engine
from ..access import visible_users
from ..extensions import db
from ..models import (
    Company,
    Customer,
    Metric,
    OrgUnit,
    Role,
    Target,
    TargetCell,
    Tier,
    User,
    Visit,
)
from .calendar import company_calendar
from .company import local_today
from .plan import fiscal_year_of

# The metrics a manager watches on the team page, in order.
TEAM_METRICS = ("revenue", "visits", "contracts", "collections", "new_customers")


@dataclass
class Cell:
    target: int = 0
    achieved: int = 0

    @property
    def share(self) -> float:
        return self.achieved / self.target if self.target > 0 else 0.0


@dataclass
class Row:
    label: str
    user: User | None
    unit: OrgUnit | None
    cells: dict[str, Cell] = field(default_factory=dict)
    is_total: bool = False


@dataclass
class TeamProgress:
    day: date
    month: engine.Period
    time_elapsed: float
    metrics: list[Metric]
    reps: list[Row]
    units: list[Row]


def team_progress(viewer: User, day: date | None = None) -> TeamProgress:
    company = db.session.get(Company, viewer.unit.company_id)
    assert company is not None
    day = day or local_today(company)
    cal = company_calendar(company)
    month = engine.month_period(day.year, day.month)
    total_days = cal.count(month.start, month.end)
    elapsed = cal.count(month.start, day) / total_days if total_days else 1.0
    metrics_by_code = {
        m.code: m
        for m in db.session.scalars(select(Metric).where(Metric.company_id == company.id))
    }
    metrics = [metrics_by_code[c] for c in TEAM_METRICS if c in metrics_by_code]
    reps = list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(visible_users(viewer)), User.role == Role.REP,
                   User.active.is_(True))
            .order_by(User.unit_id, User.username)
        )
    )
    ids = [r.id for r in reps]
    targets: dict[tuple[int, int], int] = {}
    fy = fiscal_year_of(company.id, day)
    if fy is not None and ids:
        child = aliased(Target)
        leaf = ~select(child.id).where(child.parent_id == Target.id).exists()
        for uid, mid, value in db.session.execute(
            select(Target.user_id, Target.metric_id, func.sum(TargetCell.value))
            .join(TargetCell, and_(TargetCell.target_id == Target.id,
                                   TargetCell.kind == "month",
                                   TargetCell.start == month.start))
            .where(Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
                   Target.user_id.in_(ids), leaf)
            .group_by(Target.user_id, Target.metric_id)
        ):
            targets[(uid, mid)] = int(value or 0)
    achieved: dict[tuple[int, str], int] = {}
    if ids:
        for uid, n, contracts, signed, collected in db.session.execute(
            select(Visit.user_id, func.count(Visit.id),
                   func.sum(case((Visit.amount_signed > 0, 1), else_=0)),
                   func.coalesce(func.sum(Visit.amount_signed), 0),
                   func.coalesce(func.sum(Visit.amount_collected), 0))
            .where(Visit.user_id.in_(ids), Visit.local_date >= month.start,
                   Visit.local_date <= day)
            .group_by(Visit.user_id)
        ):
            achieved[(uid, "visits")] = int(n)
            achieved[(uid, "contracts")] = int(contracts or 0)
            achieved[(uid, "amount_signed")] = int(signed or 0)
            achieved[(uid, "amount_collected")] = int(collected or 0)
        for uid, n in db.session.execute(
            select(Customer.owner_id, func.count(Customer.id))
            .where(Customer.owner_id.in_(ids), Customer.first_won_on >= month.start,
                   Customer.first_won_on <= day)
            .group_by(Customer.owner_id)
        ):
            achieved[(uid, "new_customers")] = int(n)

    rows: list[Row] = []
    by_unit: dict[int, Row] = {}
    for rep in reps:
        row = Row(rep.display_name, rep, rep.unit)
        for m in metrics:
            row.cells[m.code] = Cell(targets.get((rep.id, m.id), 0),
                                     achieved.get((rep.id, m.source), 0))
        rows.append(row)
        unit_row = by_unit.setdefault(rep.unit_id, Row(rep.unit.name, None, rep.unit,
                                                       is_total=True))
        for code, cell in row.cells.items():
            total = unit_row.cells.setdefault(code, Cell())
            total.target += cell.target
            total.achieved += cell.achieved
    first = metrics[0].code if metrics else None
    if first:
        rows.sort(key=lambda r: -r.cells[first].share)
    units = sorted(by_unit.values(), key=lambda r: r.unit.sort if r.unit else 0)
    if len(units) > 1:
        grand = Row("", None, None, is_total=True)
        for u in units:
            for code, cell in u.cells.items():
                total = grand.cells.setdefault(code, Cell())
                total.target += cell.target
                total.achieved += cell.achieved
        units.append(grand)
    return TeamProgress(day, month, elapsed, metrics, rows, units)

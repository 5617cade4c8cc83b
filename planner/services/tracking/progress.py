"""Progress at every level: each visible rep's month to date against target, and the sums
for their teams and regions (the manager's home)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from ... import engine
from ...extensions import db
from ...models import (
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
from ..calendar import company_calendar
from ..company import local_today
from ..membership import unit_on_date
from ..rep_plan import fiscal_year_of

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
    reps: list[Row]  # the reps directly in the shown unit (a team's reps), best first
    units: list[Row]  # one row per child unit (each opens), then the shown unit's total
    unit: OrgUnit | None = None  # the unit shown
    crumbs: list[OrgUnit] = field(default_factory=list)  # from the viewer's unit down


_LEAF: list[Any] = []


def _leaf() -> Any:
    """NOT EXISTS (a child): built once (aliasing a mapped class is not cheap)."""
    if not _LEAF:
        child = aliased(Target)
        _LEAF.append(~select(child.id).where(child.parent_id == Target.id).exists())
    return _LEAF[0]


def _month_targets(fy_id: int, month_start: date, metric_ids: list[int], group: Any,
                   where: list[Any]) -> dict[tuple[int, int], int]:
    """{(group value, metric id): the month target} summed over reps' leaf targets."""
    out: dict[tuple[int, int], int] = {}
    for key, mid, value in db.session.execute(
        select(group, Target.metric_id, func.sum(TargetCell.value))
        .join(TargetCell, and_(TargetCell.target_id == Target.id, TargetCell.kind == "month",
                               TargetCell.start == month_start))
        .join(User, User.id == Target.user_id)
        .where(Target.fiscal_year_id == fy_id, Target.tier == Tier.BASE,
               Target.metric_id.in_(metric_ids), User.role == Role.REP,
               _leaf(), *where)
        .group_by(group, Target.metric_id)
    ):
        out[(int(key), int(mid))] = int(value or 0)
    return out


def _achieved(start: date, day: date, group: Any,
              where: list[Any]) -> dict[tuple[int, str], int]:
    """{(group value, source): month to date} from visits and first wins, in SQL.
    group="unit": by the unit the rep was in on the day (membership history), `where`
    then the unit ids."""
    out: dict[tuple[int, str], int] = {}
    units = where if group == "unit" else None
    vgroup = unit_on_date(Visit.user_id, Visit.local_date, User.unit_id) \
        if units is not None else group
    if units is not None:
        where = [vgroup.in_(units)]
    for key, n, contracts, signed, collected in db.session.execute(
        select(vgroup, func.count(Visit.id),
               func.sum(case((Visit.amount_signed > 0, 1), else_=0)),
               func.coalesce(func.sum(Visit.amount_signed), 0),
               func.coalesce(func.sum(Visit.amount_collected), 0))
        .join(User, User.id == Visit.user_id)
        .where(Visit.local_date >= start, Visit.local_date <= day, User.role == Role.REP,
               *where)
        .group_by(vgroup)
    ):
        out[(int(key), "visits")] = int(n)
        out[(int(key), "contracts")] = int(contracts or 0)
        out[(int(key), "amount_signed")] = int(signed or 0)
        out[(int(key), "amount_collected")] = int(collected or 0)
    cgroup = unit_on_date(Customer.owner_id, Customer.first_won_on, User.unit_id) \
        if units is not None else group
    for key, n in db.session.execute(
        select(cgroup, func.count(Customer.id))
        .join(User, User.id == Customer.owner_id)
        .where(Customer.first_won_on >= start, Customer.first_won_on <= day,
               User.role == Role.REP,
               *([cgroup.in_(units)] if units is not None else where))
        .group_by(cgroup)
    ):
        out[(int(key), "new_customers")] = int(n)
    return out


def _unit_targets(company_id: int, fy_id: int, month_start: date,
                  metric_ids: list[int]) -> dict[tuple[int, int], int]:
    """Month targets per (rep's unit, metric) for the whole company, from the summary
    cache (keyed by the change counter of targets): after a target edit they are summed
    once in SQL, then read back for every manager."""
    from ..cache import summary

    key = f"unit-targets|{company_id}|{fy_id}|{month_start.isoformat()}|" + \
        ",".join(map(str, sorted(metric_ids)))

    def compute() -> dict[str, int]:
        units = select(OrgUnit.id).where(OrgUnit.company_id == company_id)
        # by the unit the target was made in (a moved rep's past stays with the old team)
        got = _month_targets(fy_id, month_start, metric_ids, Target.unit_id,
                             [Target.unit_id.in_(units)])
        return {f"{u}:{m}": v for (u, m), v in got.items()}

    raw = summary(company_id, key, compute)
    return {(int(k.split(":")[0]), int(k.split(":")[1])): int(v) for k, v in raw.items()}


def _shown_unit(viewer: User, company_id: int,
                unit_id: int | None) -> tuple[OrgUnit, list[OrgUnit]]:
    """The unit to show (the viewer's own or one below it; LookupError otherwise) and
    its crumbs from the viewer's unit down."""
    home = viewer.unit
    unit = home
    if unit_id is not None and unit_id != home.id:
        found = db.session.get(OrgUnit, unit_id)
        if found is None or found.company_id != company_id or \
                not found.path.startswith(home.path):
            raise LookupError(unit_id)
        unit = found
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    start = ids.index(home.id) if home.id in ids else len(ids) - 1
    by_id = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        OrgUnit.id.in_(ids[start:])))}
    crumbs = [by_id[i] for i in ids[start:] if i in by_id]
    return unit, crumbs


def _rep_rows(reps: list[User], metrics: list[Metric], fy_id: int | None,
              month_start: date, day: date) -> list[Row]:
    """A row per rep of a team, the best first (by the first metric's share)."""
    metric_ids = [m.id for m in metrics]
    if not reps:
        return []
    rids = [r.id for r in reps]
    targets = _month_targets(fy_id, month_start, metric_ids, Target.user_id,
                             [Target.user_id.in_(rids)]) if fy_id else {}
    achieved = _achieved(month_start, day, User.id, [User.id.in_(rids)])
    rows: list[Row] = []
    for rep in reps:
        row = Row(rep.display_name, rep, rep.unit)
        for m in metrics:
            row.cells[m.code] = Cell(targets.get((rep.id, m.id), 0),
                                     achieved.get((rep.id, m.source), 0))
        rows.append(row)
    if metrics:
        first = metrics[0].code
        rows.sort(key=lambda r: -r.cells[first].share)
    return rows


def team_progress(viewer: User, day: date | None = None,
                  unit_id: int | None = None) -> TeamProgress:
    """The month to date of one unit the viewer may see (default: the viewer's own):
    a row per child unit (regions, teams) and, for a unit with reps in it (a team), a
    row per rep. Sums come from SQL grouped by the reps' units; nothing loads every
    visit or target."""
    company = viewer.company
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
    metric_ids = [m.id for m in metrics]

    unit, crumbs = _shown_unit(viewer, company.id, unit_id)
    subtree = list(db.session.execute(select(OrgUnit.id, OrgUnit.path).where(
        OrgUnit.path.startswith(unit.path))).all())
    children = list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.parent_id == unit.id).order_by(OrgUnit.sort, OrgUnit.id)))
    fy = fiscal_year_of(company.id, day)

    # Every unit in the subtree, summed up to the child unit it sits in.
    owner: dict[int, int] = {}
    for uid, path in subtree:
        owner[uid] = unit.id
        for ch in children:
            if path.startswith(ch.path):
                owner[uid] = ch.id
    sub_ids = [uid for uid, _p in subtree]
    unit_targets = _unit_targets(company.id, fy.id, month.start, metric_ids) if fy else {}
    unit_achieved = _achieved(month.start, day, "unit", sub_ids)

    def row_for(label: str, u: OrgUnit | None, members: set[int], total: bool) -> Row:
        row = Row(label, None, u, is_total=total)
        for m in metrics:
            row.cells[m.code] = Cell(
                sum(v for (k, mid), v in unit_targets.items() if mid == m.id and k in members),
                sum(v for (k, src), v in unit_achieved.items()
                    if src == m.source and k in members))
        return row

    # The reps directly in the shown unit (a team): one row each.
    reps = list(db.session.scalars(
        select(User).where(User.unit_id == unit.id, User.role == Role.REP,
                           User.active.is_(True)).order_by(User.username)))
    units = [row_for(ch.name, ch, {k for k, o in owner.items() if o == ch.id}, False)
             for ch in children]
    if len(units) != 1 or reps:  # one child and nobody else: its row is the total
        units.append(row_for(unit.name, unit, set(sub_ids), True))
    rows = _rep_rows(reps, metrics, fy.id if fy else None, month.start, day)
    return TeamProgress(day, month, elapsed, metrics, rows, units, unit, crumbs)

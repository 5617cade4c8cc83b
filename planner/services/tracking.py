"""Tracking (跟踪与调整): targets against actuals at every level and for any period.

Everything starts from one figure per rep and metric (target and achieved for the period),
aggregated in SQL (GROUP BY rep), never by loading visits into Python:

- target: the rep's leaf targets (base tier), month cells of the months in the period;
  for a period that cuts a month (上中下旬, week, day) the month's part falling in it, as
  the engine spreads a month over its working days (``engine.pace.month_part``);
- achieved: the actuals of ``planner.services.actuals`` (visits, amounts, first wins) from
  the period's start to the as-of day.

A team, region or the company is the sum of its reps (additive metrics), so every level
adds up exactly to its parent. Level metrics (share, satisfaction) have no actual from
visits and are not tracked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import abort
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased

from .. import engine
from ..access import can_see_unit, can_see_user
from ..engine import Period, WorkCalendar
from ..engine.pace import Pace, month_cumulative, month_part, pace
from ..extensions import db
from ..models import (
    Channel,
    Customer,
    CustomerType,
    FiscalYear,
    Metric,
    OrgUnit,
    ProductLine,
    Role,
    Target,
    TargetCell,
    Tier,
    UnitKind,
    User,
    Visit,
    VisitKind,
    VisitProduct,
)
from .calendar import company_calendar
from .company import local_today
from .people_changes.membership import Members
from .people_changes.membership import members as unit_members
from .rep_plan import fiscal_year_of

PERIOD_KINDS = ("year", "quarter", "month", "dekad", "week", "day")
DIMENSIONS = ("product_line", "channel", "customer_type")


# ------------------------------------------------------------------ periods


def period_for(kind: str, day: date, fy: FiscalYear | None) -> Period:
    """The period of `kind` that contains `day` (year and quarter: of the fiscal year)."""
    if kind not in PERIOD_KINDS:
        kind = "month"
    if kind in ("year", "quarter"):
        year = engine.fiscal_year(fy.year, fy.first_month) if fy is not None \
            else engine.fiscal_year(day.year)
        if kind == "year":
            return year
        return next(q for q in engine.quarters(year) if day in q)
    month = engine.month_period(day.year, day.month)
    if kind == "month":
        return month
    if kind == "dekad":
        return next(p for p in engine.dekad_periods(month) if day in p)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        iy, iw, _ = day.isocalendar()
        return Period("week", monday, monday + timedelta(days=6), f"{iy}-W{iw:02d}")
    return Period("day", day, day, day.isoformat())


def month_starts(period: Period) -> list[date]:
    """The first day of each month the period touches."""
    return [p.start.replace(day=1) for p in engine.months(period)]


def month_aligned(period: Period) -> bool:
    return period.start.day == 1 and (period.end + timedelta(days=1)).day == 1


# ------------------------------------------------------------------ scopes


@dataclass(frozen=True)
class Scope:
    """Whose figures: the company (its root unit), a region or team (a unit), or a rep
    (by `user`, or by `rep_id` alone where loading 2,000 users would be waste)."""

    kind: str  # company | region | team | rep
    unit: OrgUnit | None = None
    user: User | None = None
    rep_id: int | None = None

    @property
    def args(self) -> dict[str, int]:
        if self.kind == "rep":
            return {"rep": self.user.id if self.user is not None else int(self.rep_id or 0)}
        assert self.unit is not None
        return {"unit": self.unit.id}

    @property
    def obj(self) -> Any:
        return self.user if self.user is not None else self.unit


def _unit_scope(unit: OrgUnit) -> Scope:
    return Scope(str(unit.kind), unit=unit)


def top_scope(viewer: User) -> Scope:
    """Where a viewer's tracking starts: a rep their own, a manager their unit, a
    director the company."""
    if viewer.role == Role.REP:
        return Scope("rep", user=viewer)
    if viewer.role == Role.ADMIN:
        root = db.session.scalar(select(OrgUnit).where(
            OrgUnit.company_id == viewer.unit.company_id, OrgUnit.kind == UnitKind.COMPANY))
        if root is not None:
            return _unit_scope(root)
    return _unit_scope(viewer.unit)


def resolve_scope(viewer: User, unit_id: int | None, rep_id: int | None) -> Scope:
    """The scope asked for, if the viewer may see it (else 404); default: top_scope."""
    if rep_id is not None:
        user = db.session.get(User, rep_id)
        if user is None or user.role != Role.REP or not can_see_user(viewer, user.id):
            abort(404)
        if viewer.role == Role.REP and user.id != viewer.id:
            abort(404)
        return Scope("rep", user=user)
    if unit_id is not None:
        if viewer.role == Role.REP:
            abort(404)
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None or not can_see_unit(viewer, unit.id):
            abort(404)
        return _unit_scope(unit)
    return top_scope(viewer)


def breadcrumbs(viewer: User, scope: Scope) -> list[Scope]:
    """From the viewer's top scope down to `scope` (each one tap back up)."""
    top = top_scope(viewer)
    if scope.user is not None:
        if top.user is not None:
            return [scope]
        unit: OrgUnit | None = scope.user.unit
        tail = [scope]
    else:
        unit = scope.unit
        tail = []
    chain: list[Scope] = []
    ids = [int(x) for x in (unit.path if unit else "/").strip("/").split("/") if x]
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    top_path = top.unit.path if top.unit is not None else "/"
    for uid in ids:
        u = units.get(uid)
        if u is not None and u.path.startswith(top_path):
            chain.append(_unit_scope(u))
    return chain + tail


# ------------------------------------------------------------------ per-rep figures


@dataclass
class Rep:
    id: int
    unit_id: int
    name: str
    path: str  # the unit's path


def reps_in(scope: Scope) -> list[Rep]:
    """Every rep (active or not: their targets and visits still count) in the scope."""
    stmt = (select(User.id, User.unit_id, User.display_name, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == User.unit_id).where(User.role == Role.REP))
    moved: dict[int, tuple[int, str]] = {}
    if scope.user is not None:
        stmt = stmt.where(User.id == scope.user.id)
    else:  # who was in the unit at some time; a moved rep under their unit in it
        mem = _members(scope)
        stmt, moved = stmt.where(mem.ever(User.id)), mem.last_unit()
    out = []
    for i, u, n, p in _core(stmt.order_by(User.unit_id, User.username)):
        unit, path = moved.get(i, (u, p))
        out.append(Rep(i, unit, n, path))
    return out


def _members(scope: Scope) -> Members:
    """The scope's reps over time (membership dates: people_changes.membership)."""
    assert scope.unit is not None
    return unit_members(scope.unit.company_id,
                        None if scope.kind == "company" else scope.unit.path)


def _on_date(scope: Scope, user_col: Any, date_col: Any, mem: Members | None) -> Any:
    """The condition: the record's rep was in the scope on the record's day."""
    if mem is None:
        assert scope.user is not None
        return user_col == scope.user.id
    return mem.on_date(user_col, date_col)


def _user_ids(scope: Scope) -> Select[int]:
    """A SELECT of the scope's rep ids (kept in SQL, never a long literal list)."""
    if scope.user is not None:
        return select(User.id).where(User.id == scope.user.id)
    assert scope.unit is not None
    stmt = select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id).where(
        User.role == Role.REP, OrgUnit.company_id == scope.unit.company_id)
    if scope.kind != "company":
        stmt = stmt.where(OrgUnit.path.startswith(scope.unit.path))
    return stmt


def _core(stmt: Any) -> Any:
    """Run a SELECT of columns on the session's connection: plain rows, none of the ORM's
    per-row processing (14,000 target rows of the 2,000-rep company's year: ~25 ms)."""
    return db.session.connection().execute(stmt)


def tracked_metrics(company_id: int) -> list[Metric]:
    """Additive metrics with an actual (share and satisfaction are levels: not here)."""
    return [m for m in db.session.scalars(select(Metric).where(
        Metric.company_id == company_id, Metric.active.is_(True)).order_by(Metric.sort))
        if m.additive and m.source]


def _leaf() -> Any:
    child = aliased(Target)
    return ~select(child.id).where(child.parent_id == Target.id).exists()


def target_rows(scope: Scope, fy: FiscalYear | None, period: Period,
                by: str = "user") -> dict[tuple[Any, int], dict[date, int]]:
    """{(group key, metric id): {month start: value}} of the reps' leaf targets (base
    tier) in the period, grouped by rep (default) or by a dimension column. A period that
    is a whole fiscal year reads the targets' year values, a fiscal quarter its quarter
    cells, a month its month cells (one figure per target, entered under the period's
    start); a period cutting months gets the month cells of the (at most two) months."""
    if fy is None:
        return {}
    starts = [s for s in month_starts(period) if fy.start <= s <= fy.end]
    if not starts:
        return {}
    key_col = Target.user_id if by == "user" else getattr(Target, f"{by}_id")
    year = engine.fiscal_year(fy.year, fy.first_month)
    cols: list[Any] = [key_col, Target.metric_id]
    where = [Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
             Target.user_id.is_not(None), _leaf()]
    if scope.user is not None:
        where.append(Target.user_id == scope.user.id)
    elif scope.kind != "company":
        assert scope.unit is not None
        where.append(_members(scope).targets(Target.user_id, Target.unit_id,
                                             scope.unit.path))
    whole = month_aligned(period)
    if whole and (period.start, period.end) == (year.start, year.end):
        stmt = select(*cols, func.sum(Target.value)).where(*where).group_by(*cols)
    else:
        quarter = period.kind == "quarter" and any(
            (q.start, q.end) == (period.start, period.end) for q in engine.quarters(year))
        cell_kind = "quarter" if quarter else "month"
        cond = [TargetCell.target_id == Target.id, TargetCell.kind == cell_kind]
        if quarter or (whole and len(starts) == 1):
            cond.append(TargetCell.start == starts[0])
        else:
            cond += [TargetCell.start >= starts[0], TargetCell.start <= starts[-1]]
            if not whole:
                cols.append(TargetCell.start)
        stmt = (select(*cols, func.sum(TargetCell.value))
                .join(TargetCell, and_(*cond)).where(*where).group_by(*cols))
    rows = _core(stmt).all()
    if len(cols) == 2:
        start = period.start
        return {(k, mid): {start: int(v or 0)} for k, mid, v in rows}
    out: dict[tuple[Any, int], dict[date, int]] = defaultdict(dict)
    for k, mid, start, v in rows:
        out[(k, mid)][start] = int(v or 0)
    return out


def _period_target(months: dict[date, int], period: Period, cal: WorkCalendar) -> int:
    if month_aligned(period):
        return sum(months.values())
    return sum(month_part(v, s, period.start, period.end, cal) for s, v in months.items())


def actual_rows(scope: Scope, start: date, end: date, group: str | None = None,
                vkey: Any = None, vjoin: Any = None,
                ckey: Any = None) -> dict[tuple[Any, str], int]:
    """{(key, source): value} of the actuals from start to end, grouped by rep (default),
    by day (group="day"), or by the given visit key (with an optional join) and customer
    key (None: first wins all under the key None). One query for visits, one for first
    wins, both GROUP BY in SQL."""
    out: dict[tuple[Any, str], int] = defaultdict(int)
    if end < start:
        return out
    mem = _members(scope) if scope.user is None else None
    v = Visit.__table__.c
    c = Customer.__table__.c
    if group is None and vkey is None:
        vkey, ckey = v.user_id, c.owner_id
    elif group == "day":
        vkey, ckey = v.local_date, c.first_won_on
    stmt = select(
        vkey, func.count(), func.sum(case((v.kind == VisitKind.COLD.value, 1), else_=0)),
        func.sum(case((v.kind == VisitKind.RETURN.value, 1), else_=0)),
        func.sum(case((v.amount_signed > 0, 1), else_=0)),
        func.coalesce(func.sum(v.amount_signed), 0),
        func.coalesce(func.sum(v.amount_collected), 0),
    ).where(v.local_date >= start, v.local_date <= end,
            _on_date(scope, v.user_id, v.local_date, mem)).group_by(vkey)
    if vjoin is not None:
        stmt = vjoin(stmt)
    for k, n, cold, ret, contracts, signed, collected in _visits_query(stmt, group == "day"):
        out[(k, "visits")] += int(n)
        out[(k, "visits_cold")] += int(cold or 0)
        out[(k, "visits_return")] += int(ret or 0)
        out[(k, "contracts")] += int(contracts or 0)
        out[(k, "amount_signed")] += int(signed or 0)
        out[(k, "amount_collected")] += int(collected or 0)
    wins_key = ckey if ckey is not None else c.owner_id
    wins = (select(wins_key, func.count()).where(
        c.first_won_on >= start, c.first_won_on <= end,
        _on_date(scope, c.owner_id, c.first_won_on, mem)).group_by(wins_key))
    for k, n in _core(wins):
        out[(k if ckey is not None else None, "new_customers")] += int(n)
    return out


def daily_actual(scope: Scope, start: date, end: date, source: str) -> dict[date, int]:
    """{day: value} of one actual from start to end (the burn-up): one GROUP BY day that
    computes only that actual."""
    if end < start:
        return {}
    mem = _members(scope) if scope.user is None else None
    if source == "new_customers":
        c = Customer.__table__.c
        return {d: int(n) for d, n in _core(
            select(c.first_won_on, func.count()).where(
                c.first_won_on >= start, c.first_won_on <= end,
                _on_date(scope, c.owner_id, c.first_won_on, mem))
            .group_by(c.first_won_on))}
    v = Visit.__table__.c
    expr = {
        "visits": func.count(),
        "visits_cold": func.sum(case((v.kind == VisitKind.COLD.value, 1), else_=0)),
        "visits_return": func.sum(case((v.kind == VisitKind.RETURN.value, 1), else_=0)),
        "contracts": func.sum(case((v.amount_signed > 0, 1), else_=0)),
        "amount_signed": func.coalesce(func.sum(v.amount_signed), 0),
        "amount_collected": func.coalesce(func.sum(v.amount_collected), 0),
    }.get(source)
    if expr is None:
        return {}
    stmt = (select(v.local_date, expr)
            .where(v.local_date >= start, v.local_date <= end,
                   _on_date(scope, v.user_id, v.local_date, mem))
            .group_by(v.local_date))
    return {d: int(x or 0) for d, x in _visits_query(stmt, True)}


def _visits_query(stmt: Any, by_day: bool) -> Any:
    """Run a visits aggregate. By day on SQLite, read the (local_date, user_id, ...)
    covering index in date order (no sort for the GROUP BY): SQLite's planner would take
    the rep-first index for the rep filter and sort 250,000 entries (measured: 70 ms
    instead of 100 ms of CPU for the company's year). The statement holds only internal
    values (dates, enum names, numbers), rendered inline."""
    bind = db.session.get_bind()
    if not by_day or bind.dialect.name != "sqlite":
        return _core(stmt)
    sql = str(stmt.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))
    sql = sql.replace("FROM visit ", "FROM visit INDEXED BY ix_visit_day_user_cover ", 1)
    rows = db.session.connection().exec_driver_sql(sql).all()
    return [(date.fromisoformat(k) if isinstance(k, str) else k, *rest) for k, *rest in rows]


# ------------------------------------------------------------------ the tracking view


class Figs(Mapping[str, Pace]):
    """A line's figures per metric code, held as two lists of integers (target and
    achieved, in the metrics' order) and made into Pace objects only when asked for."""

    __slots__ = ("_base", "_cache", "_codes", "achieved", "target")

    def __init__(self, codes: dict[str, int], base: Pace, target: list[int],
                 achieved: list[int]) -> None:
        self._codes, self._base = codes, base
        self.target, self.achieved = target, achieved
        self._cache: dict[str, Pace] = {}

    def __getitem__(self, code: str) -> Pace:
        got = self._cache.get(code)
        if got is None:
            i = self._codes[code]
            b = self._base
            got = self._cache[code] = Pace(self.target[i], self.achieved[i], b.elapsed_days,
                                           b.total_days, b.days_left)
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


@dataclass
class Line:
    """One row: a scope (or a dimension value) and its figures per metric code."""

    label: str
    scope: Scope | None
    figs: Figs
    obj: Any = None


@dataclass
class Tracking:
    scope: Scope
    crumbs: list[Scope]
    period: Period
    kind: str
    day: date  # as of (today, or the period's end when it is over)
    fy: FiscalYear | None
    metrics: list[Metric]
    total: Line
    children: list[Line]
    reps: list[Line]  # every rep of the scope
    teams: list[Line]  # every team (unit holding reps) of the scope
    cal: WorkCalendar
    rep_targets: dict[tuple[int, int], dict[date, int]] = field(default_factory=dict)

    @property
    def pace_of(self) -> Pace | None:
        return next(iter(self.total.figs.values()), None)

    def metric(self, code: str) -> Metric:
        return next((m for m in self.metrics if m.code == code), self.metrics[0])

    def ranking(self, code: str, level: str = "auto") -> list[Line]:
        """Teams (or reps) ranked by completion of `code`, then by achieved."""
        lines = self.rank_lines(level)
        return sorted(lines, key=lambda ln: (-(ln.figs[code].completion or 0.0),
                                             -ln.figs[code].achieved, ln.label))

    def rank_lines(self, level: str = "auto") -> list[Line]:
        if level == "reps" or (level == "auto" and (self.scope.kind in ("team", "rep")
                                                   or len(self.teams) <= 1)):
            return self.reps
        return self.teams

    def at_risk(self, code: str) -> list[Line]:
        """Teams and reps whose needed run rate is well above their pace so far, the
        furthest behind (achieved against what the pace of the target calls for) first."""
        lines = [ln for ln in (self.teams if len(self.teams) > 1 else []) + self.reps
                 if ln.figs[code].at_risk()]
        return sorted(lines, key=lambda ln: _behind(ln.figs[code]))


def _behind(p: Pace) -> float:
    return (p.achieved - p.expected) / p.target if p.target else 0.0


def _sum_lines(label: str, scope: Scope | None, parts: list[Line], codes: dict[str, int],
               base: Pace, obj: Any = None) -> Line:
    n = len(codes)
    t = [sum(col) for col in zip(*(p.figs.target for p in parts), strict=True)] or [0] * n
    a = [sum(col) for col in zip(*(p.figs.achieved for p in parts), strict=True)] or [0] * n
    return Line(label, scope, Figs(codes, base, t, a), obj)


def as_of(period: Period, today: date) -> date:
    return min(today, period.end)


def track(viewer: User, scope: Scope, kind: str = "month", on: date | None = None,
          today: date | None = None, english: bool = False) -> Tracking:
    """The figures of `scope` for the period of `kind` containing `on` (default today)."""
    company = viewer.company
    today = today or local_today(company)
    on = on or today
    fy = fiscal_year_of(company.id, on)
    period = period_for(kind, on, fy)
    day = as_of(period, today)
    cal = company_calendar(company)
    metrics = tracked_metrics(company.id)
    reps = reps_in(scope)
    targets = target_rows(scope, fy, period)
    base = pace(0, 0, period, day, cal)
    codes = {m.code: i for i, m in enumerate(metrics)}
    tgt = _rep_targets(reps, metrics, targets, period, cal)
    act = _rep_actuals(reps, metrics, actual_rows(scope, period.start, day))
    rep_lines: dict[int, Line] = {}
    for r in reps:
        sc = Scope("rep", user=scope.user) if scope.user is not None \
            else Scope("rep", rep_id=r.id)
        rep_lines[r.id] = Line(r.name, sc, Figs(codes, base, tgt[r.id], act[r.id]), r)
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        OrgUnit.company_id == company.id))}
    name = _namer(english)
    # Teams: the units that hold reps directly.
    team_parts: dict[int, list[Line]] = defaultdict(list)
    for r in reps:
        team_parts[r.unit_id].append(rep_lines[r.id])
    teams = [_sum_lines(name(units[uid]), _unit_scope(units[uid]), parts, codes, base,
                        units[uid]) for uid, parts in team_parts.items()]
    teams.sort(key=lambda ln: (ln.obj.sort, ln.obj.id))
    children = _child_lines(scope, reps, rep_lines, units, codes, base, name)
    label = name(scope.obj) if scope.unit is not None else scope.user.display_name  # type: ignore[union-attr]
    total = _sum_lines(label, scope, list(rep_lines.values()), codes, base, scope.obj)
    return Tracking(scope, breadcrumbs(viewer, scope), period, kind, day, fy, metrics, total,
                    children, list(rep_lines.values()), teams, cal, targets)


def _namer(english: bool) -> Callable[[Any], str]:
    def name(obj: Any) -> str:
        if english and getattr(obj, "name_en", None):
            return str(obj.name_en)
        return str(getattr(obj, "name", getattr(obj, "display_name", "")))
    return name


def _rep_targets(reps: list[Rep], metrics: list[Metric],
                 targets: dict[tuple[Any, int], dict[date, int]], period: Period,
                 cal: WorkCalendar) -> dict[int, list[int]]:
    """{rep id: the period's target per metric (in the metrics' order)}."""
    index = {m.id: i for i, m in enumerate(metrics)}
    n = len(metrics)
    tgt = {r.id: [0] * n for r in reps}
    aligned = month_aligned(period)
    for (uid, mid), months in targets.items():
        i = index.get(mid)
        row = tgt.get(uid)
        if i is None or row is None:
            continue
        row[i] = sum(months.values()) if aligned else _period_target(months, period, cal)
    return tgt


def _rep_actuals(reps: list[Rep], metrics: list[Metric],
                 actual: dict[tuple[Any, str], int]) -> dict[int, list[int]]:
    """{rep id: achieved per metric (in the metrics' order)}."""
    n = len(metrics)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(metrics):
        by_source[m.source].append(i)
    act = {r.id: [0] * n for r in reps}
    for (uid, source), v in actual.items():
        row = act.get(uid)
        if row is None:
            continue
        for i in by_source.get(source, ()):
            row[i] = v
    return act


def _child_lines(scope: Scope, reps: list[Rep], rep_lines: dict[int, Line],
                 units: dict[int, OrgUnit], codes: dict[str, int], base: Pace,
                 name: Any) -> list[Line]:
    """The lines one level below the scope: its child units, then the reps directly in
    it (none below a rep)."""
    if scope.unit is None:
        return []
    by_path = {u.path: u for u in units.values()}
    groups: dict[Any, list[Line]] = defaultdict(list)
    prefix = scope.unit.path
    direct: list[Line] = []
    for r in reps:
        if r.unit_id == scope.unit.id:
            direct.append(rep_lines[r.id])
        else:
            rest = r.path[len(prefix):].split("/", 1)[0]
            child = by_path.get(f"{prefix}{rest}/")
            if child is not None:
                groups[child.id].append(rep_lines[r.id])
    child_units = sorted((u for u in units.values() if u.parent_id == scope.unit.id),
                         key=lambda u: (u.sort, u.id))
    return [_sum_lines(name(u), _unit_scope(u), groups.get(u.id, []), codes, base, u)
            for u in child_units] + direct


# ------------------------------------------------------------------ by dimension


def _dim_group(dim: str) -> tuple[Any, Any, Any]:
    """(visit key, join for the visits query, customer key) to group actuals by `dim`."""
    v = Visit.__table__.c
    c = Customer.__table__.c
    if dim in ("channel", "customer_type"):
        col = getattr(c, f"{dim}_id")
        return col, (lambda s: s.join(Customer.__table__, c.id == v.customer_id)), col
    # Product line: the line carrying the amount signed, else the lowest line discussed;
    # new customers have no product line (all under "not set").
    vp = VisitProduct.__table__.c
    signed = (select(func.min(vp.product_line_id))
              .where(vp.visit_id == v.id, vp.amount_signed > 0).scalar_subquery())
    any_line = select(func.min(vp.product_line_id)).where(vp.visit_id == v.id).scalar_subquery()
    return func.coalesce(signed, any_line), None, None


def by_dimension(tr: Tracking, dim: str, english: bool = False) -> list[Line]:
    """The scope's figures split by product line, channel or customer type, with a
    "not set" line, so the lines add up exactly to the scope's total."""
    if dim not in DIMENSIONS:
        return []
    model = {"product_line": ProductLine, "channel": Channel, "customer_type": CustomerType}[dim]
    company_id = (tr.scope.unit or tr.scope.user.unit).company_id  # type: ignore[union-attr]
    values = list(db.session.scalars(select(model).where(model.company_id == company_id)
                                     .order_by(model.sort, model.id)))
    targets = target_rows(tr.scope, tr.fy, tr.period, by=dim)
    vkey, vjoin, ckey = _dim_group(dim)
    actual = actual_rows(tr.scope, tr.period.start, tr.day, vkey=vkey, vjoin=vjoin, ckey=ckey)
    base = tr.total.figs[tr.metrics[0].code] if tr.metrics else pace(0, 0, tr.period, tr.day,
                                                                     tr.cal)
    codes = {m.code: i for i, m in enumerate(tr.metrics)}
    lines: list[Line] = []
    for key, obj in [(o.id, o) for o in values] + [(None, None)]:
        t = [_period_target(targets.get((key, m.id), {}), tr.period, tr.cal)
             for m in tr.metrics]
        a = [actual.get((key, m.source), 0) for m in tr.metrics]
        label = "" if obj is None else (obj.name_en if english and obj.name_en else obj.name)
        lines.append(Line(label, None, Figs(codes, base, t, a), obj))
    return lines


# ------------------------------------------------------------------ burn-up


@dataclass
class BurnPoint:
    day: date
    target: int  # cumulative target up to and including this day
    actual: int | None  # cumulative actual (None after the as-of day)


@dataclass
class Burnup:
    metric: Metric
    period: Period
    day: date
    points: list[BurnPoint]
    target: int
    achieved: int
    forecast: int | None


def burnup(tr: Tracking, code: str) -> Burnup:
    """Cumulative target by working day against cumulative actual (every calendar day
    of the period, so the last actual point is the as-of day), and the forecast."""
    metric = tr.metric(code)
    period, cal = tr.period, tr.cal
    fig = tr.total.figs[metric.code]
    # Target: per month the scope's cumulative as the engine spreads it. For a period
    # cutting a month, the reps' own month values (so the end equals the table's figure).
    step: dict[date, int] = defaultdict(int)
    if month_aligned(period):
        months: dict[date, int] = defaultdict(int)
        if tr.fy is not None:
            for start, total in _scope_month_totals(tr, metric).items():
                months[start] += total
        for start, value in months.items():
            prev = 0
            for d, cum in month_cumulative(value, start, cal):
                step[d] += cum - prev
                prev = cum
    else:
        for (_uid, mid), months_ in tr.rep_targets.items():
            if mid != metric.id:
                continue
            for start, value in months_.items():
                prev = 0
                for d, cum in month_cumulative(value, start, cal):
                    if period.start <= d <= period.end:
                        step[d] += cum - prev
                    prev = cum
    daily = daily_actual(tr.scope, period.start, tr.day, metric.source)
    points: list[BurnPoint] = []
    t_cum = a_cum = 0
    d = period.start
    while d <= period.end:
        t_cum += step.get(d, 0)
        a_cum += daily.get(d, 0)
        points.append(BurnPoint(d, t_cum, a_cum if d <= tr.day else None))
        d += timedelta(days=1)
    # Targets on days outside the period (a month cut by a week) are not in the period.
    return Burnup(metric, period, tr.day, points, fig.target, fig.achieved, fig.forecast)


def _scope_month_totals(tr: Tracking, metric: Metric) -> dict[date, int]:
    """The scope's target per month of the period: for the company, the month cells of
    the company target (the tree adds up month by month, so they are the reps' sums);
    below, the sum of the reps' leaf month cells."""
    fy = tr.fy
    assert fy is not None
    starts = [s for s in month_starts(tr.period) if fy.start <= s <= fy.end]
    if not starts:
        return {}
    in_months = and_(TargetCell.kind == "month", TargetCell.start >= starts[0],
                     TargetCell.start <= starts[-1])
    if tr.scope.kind == "company":
        stmt = (select(TargetCell.start, func.sum(TargetCell.value))
                .join(Target, Target.id == TargetCell.target_id)
                .where(Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
                       Target.metric_id == metric.id, Target.parent_id.is_(None), in_months)
                .group_by(TargetCell.start))
        return {s: int(v or 0) for s, v in _core(stmt)}
    stmt = (select(TargetCell.start, func.sum(TargetCell.value))
            .join(Target, Target.id == TargetCell.target_id)
            .where(Target.fiscal_year_id == fy.id, Target.tier == Tier.BASE,
                   Target.metric_id == metric.id, Target.user_id.is_not(None),
                   in_months, _leaf())
            .group_by(TargetCell.start))
    if tr.scope.user is not None:
        stmt = stmt.where(Target.user_id == tr.scope.user.id)
    else:
        stmt = stmt.where(Target.user_id.in_(_user_ids(tr.scope)))
    return {s: int(v or 0) for s, v in _core(stmt)}

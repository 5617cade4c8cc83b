"""The tracking view (跟踪与调整): targets against actuals at every level and for any
period, and by dimension.

Everything starts from one figure per rep and metric (target and achieved for the period),
aggregated in SQL (GROUP BY rep), never by loading visits into Python:

- target: the rep's leaf targets (base tier), month cells of the months in the period;
  for a period that cuts a month (上中下旬, week, day) the month's part falling in it, as
  the engine spreads a month over its working days (``engine.pace.month_part``);
- achieved: the actuals (visits, amounts, first wins) from the period's start to the
  as-of day.

Both come from ``figures``.

A team, region or the company is the sum of its reps (additive metrics), so every level
adds up exactly to its parent. Level metrics (share, satisfaction) have no actual from
visits and are not tracked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ...engine import Period, WorkCalendar
from ...engine.pace import Pace, pace
from ...extensions import db
from ...models import (
    Channel,
    Customer,
    CustomerType,
    FiscalYear,
    Metric,
    OrgUnit,
    ProductLine,
    User,
    Visit,
    VisitProduct,
)
from ..calendar import company_calendar
from ..company import local_today
from ..rep_plan import fiscal_year_of
from .figures import actual_rows, period_target, target_rows, tracked_metrics
from .periods import as_of, month_aligned, period_for
from .scopes import Rep, Scope, breadcrumbs, reps_in, unit_scope


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


def track(viewer: User, scope: Scope, kind: str = "month", on: date | None = None,
          today: date | None = None, english: bool = False,
          fy: FiscalYear | None = None) -> Tracking:
    """The figures of `scope` for the period of `kind` containing `on` (default today);
    `fy`: the year chosen (a draft, for those who see drafts), if it holds `on`."""
    company = viewer.company
    today = today or local_today(company)
    on = on or today
    if fy is None or not fy.start <= on <= fy.end:
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
    teams = [_sum_lines(name(units[uid]), unit_scope(units[uid]), parts, codes, base,
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
        row[i] = sum(months.values()) if aligned else period_target(months, period, cal)
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
    return [_sum_lines(name(u), unit_scope(u), groups.get(u.id, []), codes, base, u)
            for u in child_units] + direct


# ------------------------------------------------------------------ by dimension


DIMENSIONS = ("product_line", "channel", "customer_type")


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
        t = [period_target(targets.get((key, m.id), {}), tr.period, tr.cal)
             for m in tr.metrics]
        a = [actual.get((key, m.source), 0) for m in tr.metrics]
        label = "" if obj is None else (obj.name_en if english and obj.name_en else obj.name)
        lines.append(Line(label, None, Figs(codes, base, t, a), obj))
    return lines

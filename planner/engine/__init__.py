"""planner.engine: the pure-Python target decomposition engine (stdlib + ``holidays`` only).

All money is integer fen and all counts are integers; every split adds up exactly.

Allocation (``allocate.py``)
    AllocationError(ValueError)
    allocate(total, weights, locked=None) -> list[int]
        Largest remainder method, exact arithmetic (floats via their shortest repr), ties
        to the lower index; ``locked={i: value}`` fixes parts; all-zero weights -> equal.
    allocate_matrix(row_totals, col_totals) -> list[list[int]]
        Controlled rounding: exact row and column sums, each cell within 1 of r*c/total.

Calendar (``calendar.py``)
    WorkCalendar(country="CN", extra_holidays=frozenset(), extra_workdays=frozenset())
        .is_working_day(d), .working_days(start, end), .count(start, end), .covers(year)
        Mon-Fri minus public holidays plus CN make-up workdays (调休); then extra workdays
        are added and extra holidays removed (a date in both is a holiday). Cached per year.
    working_days(start, end, *, country="CN", extra_holidays=(), extra_workdays=())
    covers(year, country="CN") -> bool; known_years(country) -> range;
    official_through(country) -> int | None (last year with a published CN schedule).
    week_start(day), week_end(day): the Monday and the Sunday of the day's week.

Periods (``periods.py``)
    Period(kind, start, end, label), frozen; kinds year/quarter/month/dekad/week/day.
    fiscal_year(year, first_month=1), quarters(fy), months(p), month_period(year, month),
    dekads(year, month) -> [(start, end)] x3, dekad_periods(month), iso_weeks(p), days(p).

Time splitting (``timesplit.py``)
    split_over_time(total, periods, method, *, calendar, profile=None, last_year=None,
                    growth=None, locked=None) -> list[int]
        methods: working_days, equal, profile (percent, must add to 100), last_year, growth.
    growth_targets(last_year, growth_pct) -> list[int]   (rounded half up)

Rolling recompute (``rolling.py``)
    RunRate(target, achieved, remaining, working_days_left, today_target, achieved_today,
            remaining_today, per_day)
    rolling_target(target, achieved, today, period, calendar, achieved_before_today=None)
        today_target comes from what remained at the start of today, so logging a result
        today does not move it; remaining_today = max(0, today_target - achieved_today).
    daily_targets(target, period, calendar) -> [(date, int)]  (0 on non-working days)
    split_month_down(value, month, calendar) -> {"days", "dekads", "weeks"}: days first,
        then summed up, so every level adds up exactly to the month.

Target tree (``tree.py``, rules in ``tree_rules.py``)
    Node (a target: scope, value, lock, 12 months, children), Tree(nodes, roots, additive),
    Member (a child to be), Change (old -> new of one node; label filled in by the
    caller), Plan (a computed change: changes, new nodes, removed ids; .groups() for a
    preview), TreeError(cause, node, **details), quarters_of(months, additive).
    tree_rules.plan_edit(tree, node, value): the unlocked siblings rebalance, the edited
        node is locked, changed subtrees re-split keeping locked descendants.
    tree_rules.plan_lock(tree, node, locked); plan_months(tree, top, months): a new split
        over time carried down.
    tree_rules.plan_decompose(tree, company, node, dims, method, params): one level per
        dimension (equal, typed weights, last year, capability, growth); `company`
        (a tree_rules.Company) gives the members, capability and last year's results.

People who change (``handover.py``)
    handover.plan_spread(tree, node, moving, weights=None): a rep's months to the unlocked
        teammates; plan_transfer(tree, node, moving, dest): to one other target (a
        successor, an unassigned slot, the rep's target in a new team), every branch up
        to the common ancestor moving with it; plan_join(tree, joiner, share): a
        newcomer's share taken from the unlocked teammates; new_node(parent, unit, user).

Level metrics (``levels.py``)
    MetricKind.ADDITIVE / MetricKind.LEVEL; split_level(value, n) -> [value] * n
    aggregate(values, additive, weights=None): sum, or the (weighted) mean rounded half up.
"""

from . import handover, tree_rules
from .allocate import (
    AllocationError,
    Weight,
    allocate,
    allocate_matrix,
)
from .calendar import WorkCalendar, covers, known_years, official_through, working_days
from .levels import MetricKind, aggregate, split_level
from .periods import (
    DEKAD_NAMES,
    Period,
    PeriodKind,
    days,
    dekad_periods,
    dekads,
    fiscal_year,
    iso_weeks,
    month_period,
    months,
    quarters,
)
from .rolling import MonthSplit, RunRate, daily_targets, rolling_target, split_month_down
from .timesplit import SPLIT_METHODS, SplitMethod, growth_targets, split_over_time
from .tree import (
    DIMENSIONS,
    METHODS,
    TYPED_METHODS,
    Change,
    Group,
    Member,
    Node,
    Plan,
    Scope,
    Tree,
    TreeError,
    quarters_of,
)

__all__ = [
    # the target tree (engine.tree) and its rules (engine.tree_rules)
    "DIMENSIONS", "METHODS", "TYPED_METHODS", "Change", "Group", "Member", "Node", "Plan",
    "Scope", "Tree", "TreeError", "handover", "quarters_of", "tree_rules",
    "DEKAD_NAMES",
    "SPLIT_METHODS",
    "AllocationError",
    "MetricKind",
    "MonthSplit",
    "Period",
    "PeriodKind",
    "RunRate",
    "SplitMethod",
    "Weight",
    "WorkCalendar",
    "aggregate",
    "allocate",
    "allocate_matrix",
    "covers",
    "daily_targets",
    "days",
    "dekad_periods",
    "dekads",
    "fiscal_year",
    "growth_targets",
    "iso_weeks",
    "known_years",
    "month_period",
    "months",
    "official_through",
    "quarters",
    "rolling_target",
    "split_level",
    "split_month_down",
    "split_over_time",
    "working_days",
]

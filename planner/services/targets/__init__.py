"""Target planning, the use cases: decompose a fiscal year's targets as a tree, and
rebalance it. This package's ``__init__`` is the one door to it (the web, api, other
services and devtools import only ``planner.services.targets``); the work lives in:

- ``planner.engine.tree`` / ``tree_rules``: the tree in memory and every rule that
  changes it (edit, lock, re-split over time, decompose), pure and tested without a
  database. A rule returns a *plan* (old -> new per node) so a change can be previewed.
- ``context``: the company snapshot the rules ask (children, capability, last
  year's results) and the names of targets (labels, added to a plan after planning).
- ``input``: typed numbers parsed and bounded, and every refusal in the user's
  words (:class:`DecomposeError`; nothing is changed).
- ``store``: loading a tree and writing a plan, with its audit rows; ``bulk``: new
  targets, cells and audit rows written in bulk.
- ``tiers``: the sprint and challenge tiers.
- ``view``: what the target pages show, loaded alone (the nodes on screen).
- ``year_split``: a year's split over its quarters and months.

Contract others rely on: a rep's target for a metric in a month is the sum of the month
cells of the leaf targets (no children) with ``user_id`` = the rep, tier base, in that
fiscal year (for a level metric: the level of any such leaf).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from ...engine import (
    DIMENSIONS,
    METHODS,
    TYPED_METHODS,
    AllocationError,
    Change,
    Group,
    Member,
    Node,
    Plan,
    TreeError,
    quarters_of,
    tree_rules,
)
from ...jsonable import jsonable
from ...models import FiscalYear, Metric, Tier, User
from ..calendar import company_calendar
from .bulk import Bulk, _bulk_audits, insert_nodes, reserve_ids, serialise_new_nodes
from .context import Context
from .input import (
    MAX_DECIMALS,
    MAX_GROWTH,
    MAX_LEVEL,
    MAX_NUMBERS,
    MAX_VALUE,
    MAX_WEIGHT,
    MIN_GROWTH,
    DecomposeError,
    _,
    _fail,
    dim_label,
    explain,
    method_label,
    ngettext,
    parse_amount,
    parse_numbers,
    worded,
)
from .store import NODE_COLUMNS, Tree, _delete_targets, apply_plan, load_tree, node_of
from .tiers import create_tier, scope_values, tier_roots
from .view import child_ids, load_nodes, parent_ids, root_ids, scope_values_for, time_view, top_ids
from .year_split import (
    TIME_METHODS,
    fy_months,
    fy_quarters,
    last_year_months,
    split_year,
    write_cells,
)

__all__ = [
    "DIMENSIONS", "MAX_DECIMALS", "MAX_GROWTH", "MAX_LEVEL", "MAX_NUMBERS", "MAX_VALUE",
    "MAX_WEIGHT", "METHODS", "MIN_GROWTH", "TYPED_METHODS", "AllocationError", "Bulk",
    "Change", "Context", "DecomposeError", "Group", "Member", "Node", "Plan", "Tree",
    "TreeError", "_", "_bulk_audits", "_delete_targets", "_fail", "apply_plan",
    "create_tier", "decompose_year", "dim_label", "explain", "insert_nodes",
    "label_plan", "load_tree", "method_label", "ngettext", "parse_amount", "parse_numbers",
    "plan_decompose", "plan_edit", "plan_lock", "plan_month", "plan_time", "quarters_of",
    "reserve_ids", "scope_values", "serialise_new_nodes", "tier_roots",
    # what the target pages show (view)
    "child_ids", "load_nodes", "parent_ids", "root_ids", "scope_values_for", "time_view",
    "top_ids",
    # a year over its quarters and months (year_split)
    "TIME_METHODS", "fy_months", "fy_quarters", "last_year_months",
    "split_year", "write_cells",
    # a branch of a tree read row by row (people_changes)
    "NODE_COLUMNS", "node_of", "worded",
]


@contextmanager
def _in_words(tree: Tree, ctx: Context) -> Iterator[None]:
    """A refusal of the tree rules becomes a DecomposeError in the user's words."""
    try:
        yield
    except TreeError as exc:
        raise worded(exc, ctx.label, tree.metric) from None


def label_plan(plan: Plan, ctx: Context) -> Plan:
    """Name every changed target (and a decomposition's new children) for people."""
    label = ctx.label
    for ch in plan.changes:
        ch.label = label(ch.node)
    plan.summary = [(label(k), k.value) for k in plan.top]
    return plan


def plan_edit(tree: Tree, ctx: Context, node: Node, new_value: int) -> Plan:
    """Set `node`'s year value; its unlocked siblings rebalance (engine.tree_rules)."""
    with _in_words(tree, ctx):
        plan = tree_rules.plan_edit(tree, node, new_value)
    return label_plan(plan, ctx)


def plan_month(tree: Tree, ctx: Context, node: Node, month: int, new_value: int) -> Plan:
    """Set `node`'s value for one month of the fiscal year (index `month`); the unlocked
    siblings' same month rebalances (engine.tree_rules.plan_month)."""
    try:
        plan = tree_rules.plan_month(tree, node, month, new_value)
    except TreeError as exc:
        exc.details["month_label"] = fy_months(tree.fy)[month].label
        raise worded(exc, ctx.label, tree.metric) from None
    return label_plan(plan, ctx)


def plan_lock(tree: Tree, ctx: Context, node: Node, locked: bool) -> Plan:
    """Lock or unlock a node: its value is kept (or freed) in later rebalances."""
    return label_plan(tree_rules.plan_lock(tree, node, locked), ctx)


def plan_time(tree: Tree, ctx: Context, node: Node, method: str,
              params: dict[str, Any]) -> Plan:
    """Re-split a top node's year over its months (working days, equal, a seasonal
    profile, last year, growth per quarter) and carry it down the tree."""
    with _in_words(tree, ctx):
        tree_rules.check_top(node)
    cal = company_calendar(ctx.company)
    try:
        _q, months = split_year(tree.fy, tree.metric, node.value, method, params, cal)
    except AllocationError as exc:
        total = None
        if method == "profile" and params.get("profile"):
            total = format(sum((Decimal(str(v)) for v in params["profile"]),
                               Decimal(0)).normalize(), "f")
        raise DecomposeError(explain(exc, total)) from None
    except (TypeError, ValueError):
        raise DecomposeError(_("Check the numbers: these cannot be split.")) from None
    with _in_words(tree, ctx):
        plan = tree_rules.plan_months(tree, node, months)
    # Stored in a JSON column: typed Decimals become ints or decimal text (jsonable), which
    # split_year reads back the same way.
    plan.split = {"time_method": method, "time_params": jsonable(params)}
    return label_plan(plan, ctx)


def plan_decompose(tree: Tree, ctx: Context, node: Node, dims: Sequence[str], method: str,
                   params: dict[str, Any] | None = None) -> Plan:
    """Split `node` along `dims` (one level per dimension) by `method`, replacing its
    current subtree. Re-splitting along the same dimension keeps locked children."""
    with _in_words(tree, ctx):
        plan = tree_rules.plan_decompose(tree, ctx, node, dims, method, params)
    return label_plan(plan, ctx)


def decompose_year(fy: FiscalYear, metric: Metric, dims: Sequence[str],
                   method: str | dict[str, str], tier: Tier = Tier.BASE,
                   user: User | None = None, only_if_empty: bool = False) -> Plan | None:
    """Decompose the company target of (fy, metric, tier) along `dims` and write it.
    `method` may be a mapping {metric code: method}. With `only_if_empty`, a target that
    already has children is left alone (idempotent)."""
    tree = load_tree(fy, metric, tier)
    if not tree.roots:
        return None
    root = tree.roots[0]
    if only_if_empty and root.children:
        return None
    m = method if isinstance(method, str) else method.get(metric.code, "equal")
    plan = plan_decompose(tree, Context(fy, metric), root, dims, m)
    apply_plan(plan, user)
    return plan

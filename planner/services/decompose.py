"""Decomposing a fiscal year's targets as a tree, and rebalancing it.

A target tree (one per fiscal year, metric and tier) starts at the company target and is
split, level by level, along the dimensions the admin chooses (product line, channel,
customer type, region, team, rep, in any order that makes sense). Every node has 12 month
cells and 4 quarter cells (the sums of its months).

Exactness contract for additive metrics: the children's year values add up to the
parent's (``engine.allocate``, locks honoured) and, month by month, the children's month
cells add up to the parent's month cell (``engine.allocate_matrix``). Level metrics
(share, satisfaction) are inherited (or typed per child), never summed.

Contract others rely on: a rep's target for a metric in a month is the sum of the month
cells of the leaf targets (no children) with ``user_id`` = the rep, tier base, in that
fiscal year (for a level metric: the level of any such leaf).

Every change is computed first without writing (a *plan*: old -> new per node) so it can
be previewed; applying a plan writes it in bulk and records each changed node in the
audit log. Bad input raises :class:`DecomposeError` and changes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import has_request_context
from flask_babel import gettext
from flask_babel import ngettext as _ngettext
from sqlalchemy import Connection, event, func, select

from .. import engine
from .. import fmt as display
from ..engine import AllocationError, Period
from ..extensions import db
from ..jsonable import jsonable
from ..models import (
    AuditLog,
    Channel,
    Company,
    CustomerType,
    FiscalYear,
    Metric,
    MonthlyActual,
    OrgUnit,
    ProductLine,
    Role,
    Target,
    TargetCell,
    Tier,
    UnitKind,
    User,
)
from ..models.base import utcnow
from ..money import MoneyError, parse_decimal
from .calendar import company_calendar
from .timeplan import fy_months, fy_quarters, split_year

DIMENSIONS = ("product_line", "channel", "customer_type", "region", "team", "rep")
METHODS = ("equal", "weights", "last_year", "capability", "growth")
# Methods whose parameters are typed per child: only for a one-level decomposition.
TYPED_METHODS = ("weights", "growth")


def _(msgid: str, /, **variables: Any) -> str:
    """Translated in a request; plain English in the CLI and in services run without one."""
    if has_request_context():
        return str(gettext(msgid, **variables))
    return msgid % variables if variables else msgid


def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str:
    """A count said in the right number; %(num)d is the count."""
    if has_request_context():
        return str(_ngettext(singular, plural, num, **variables))
    return (singular if num == 1 else plural) % {"num": num, **variables}


class DecomposeError(ValueError):
    """Bad input or an impossible change: the message says what, nothing was changed."""


# ------------------------------------------------------------------ the in-memory tree


@dataclass(eq=False)
class Node:
    id: int | None
    parent: Node | None
    depth: int
    unit_id: int | None
    user_id: int | None
    product_line_id: int | None
    channel_id: int | None
    customer_type_id: int | None
    value: int
    locked: bool
    months: list[int]
    dim: str | None = None  # the dimension the parent split on to make this node
    weight: str | None = None
    split_dim: str | None = None
    split_method: str | None = None
    split_params: dict[str, Any] | None = None
    time_method: str | None = None
    time_params: dict[str, Any] | None = None
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterable[Node]:
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    @property
    def scope(self) -> tuple[int | None, ...]:
        return (self.unit_id, self.user_id, self.product_line_id, self.channel_id,
                self.customer_type_id)


def quarters_of(months: Sequence[int], additive: bool) -> list[int]:
    out = []
    for q in range(4):
        part = list(months[q * 3:q * 3 + 3])
        out.append(sum(part) if additive else engine.aggregate(part, False))
    return out


@dataclass
class Tree:
    fy: FiscalYear
    metric: Metric
    tier: Tier
    nodes: dict[int, Node]
    roots: list[Node]
    additive: bool = True


def load_tree(fy: FiscalYear, metric: Metric, tier: Tier = Tier.BASE) -> Tree:
    """Every target of (fiscal year, metric, tier) with its month cells, linked up."""
    t = Target.__table__
    rows = db.session.execute(
        select(t.c.id, t.c.parent_id, t.c.depth, t.c.unit_id, t.c.user_id,
               t.c.product_line_id, t.c.channel_id, t.c.customer_type_id, t.c.value,
               t.c.locked, t.c.weight, t.c.split_dim, t.c.split_method, t.c.split_params,
               t.c.time_method, t.c.time_params)
        .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id, t.c.tier == tier)
        .order_by(t.c.id)
    ).all()
    nodes: dict[int, Node] = {}
    for r in rows:
        nodes[r.id] = Node(
            id=r.id, parent=None, depth=r.depth, unit_id=r.unit_id, user_id=r.user_id,
            product_line_id=r.product_line_id, channel_id=r.channel_id,
            customer_type_id=r.customer_type_id, value=int(r.value), locked=bool(r.locked),
            months=[0] * 12, weight=r.weight, split_dim=r.split_dim,
            split_method=r.split_method, split_params=r.split_params,
            time_method=r.time_method, time_params=r.time_params)
    parents = {r.id: r.parent_id for r in rows}
    roots: list[Node] = []
    for nid, node in nodes.items():
        pid = parents[nid]
        if pid is None or pid not in nodes:
            roots.append(node)
        else:
            p = nodes[pid]
            node.parent = p
            node.dim = p.split_dim
            p.children.append(node)
    if nodes:
        index = {p.start: i for i, p in enumerate(fy_months(fy))}
        c = TargetCell.__table__
        cells = db.session.execute(
            select(c.c.target_id, c.c.start, c.c.value)
            .join(t, t.c.id == c.c.target_id)
            .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id,
                   t.c.tier == tier, c.c.kind == "month")
        ).all()
        for tid, start, value in cells:
            i = index.get(start)
            if i is not None and tid in nodes:
                nodes[tid].months[i] = int(value)
    return Tree(fy, metric, tier, nodes, roots, bool(metric.additive))


# ------------------------------------------------------------------ company context


@dataclass
class Member:
    """One child to be: its scope and a label."""

    dim: str
    key: int
    label: str
    unit_id: int | None
    user_id: int | None
    product_line_id: int | None
    channel_id: int | None
    customer_type_id: int | None


@dataclass(frozen=True)
class _Snap:
    id: int
    name: str
    name_en: str
    kind: str = ""
    path: str = "/"


class Context:
    """The company's units, reps, dimensions and last year's history, loaded once."""

    def __init__(self, fy: FiscalYear, metric: Metric, english: bool = False,
                 like: Context | None = None) -> None:
        """`like`: another metric's context of the same fiscal year and language, whose
        company snapshot (units, reps, dimensions) is shared instead of loaded again."""
        self.fy = fy
        self.metric = metric
        self.english = english
        self._history: dict[tuple[int, int | None], int] | None = None
        if like is not None and like.fy is fy and like.english == english:
            self.company = like.company
            self.metric_name = self.name(metric)
            self.units, self.reps, self.users = like.units, like.reps, like.users
            self.dims, self._rep_paths = like.dims, like._rep_paths
            self._under, self._capability = like._under, like._capability
            return
        company = db.session.get(Company, fy.company_id)
        assert company is not None
        self.company = company
        # Plain snapshots (not ORM objects), so a plan can be computed off the session.
        self.metric_name = self.name(metric)
        self.units = {u.id: _Snap(u.id, u.name, u.name_en, u.kind, u.path)
                      for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.company_id == company.id).order_by(
                OrgUnit.sort, OrgUnit.id))}
        unit_ids = list(self.units)
        self.reps = list(db.session.execute(
            select(User.id, User.unit_id, User.capability, User.display_name)
            .where(User.unit_id.in_(unit_ids), User.role == Role.REP,
                   User.active.is_(True))
            .order_by(User.unit_id, User.username)
        ).all())
        self.users = {r.id: r for r in self.reps}
        self.dims: dict[str, list[Any]] = {}
        for name, model in (("product_line", ProductLine), ("channel", Channel),
                            ("customer_type", CustomerType)):
            self.dims[name] = [_Snap(o.id, o.name, o.name_en) for o in db.session.scalars(
                select(model).where(model.company_id == company.id,
                                    model.active.is_(True)).order_by(model.sort, model.id))]
        self._rep_paths = {r.id: self.units[r.unit_id].path for r in self.reps}
        self._under: dict[int, list[int]] = {}
        self._capability: dict[int | None, int] = {}

    def name(self, obj: Any) -> str:
        return (obj.name_en or obj.name) if self.english else obj.name

    # Which reps fall under a scope.
    def users_under(self, unit_id: int | None, user_id: int | None) -> list[int]:
        if user_id is not None:
            return [user_id]
        if unit_id is None:
            return [r.id for r in self.reps]
        if not self._under:
            # Every unit's reps in one pass: a rep belongs to each unit on its unit's path.
            by_path = {u.path: uid for uid, u in self.units.items()}
            under: dict[int, list[int]] = {uid: [] for uid in self.units}
            for rid, p in self._rep_paths.items():
                parts = p.split("/")
                for k in range(1, len(parts)):
                    uid = by_path.get("/".join(parts[:k]) + "/")
                    if uid is not None:
                        under[uid].append(rid)
            self._under = under
        got = self._under.get(unit_id)
        if got is None:
            path = self.units[unit_id].path
            got = self._under[unit_id] = [
                rid for rid, p in self._rep_paths.items() if p.startswith(path)]
        return got

    def history(self) -> dict[tuple[int, int | None], int]:
        """Last fiscal year's actual of this metric per (user, product line)."""
        if self._history is None:
            start = date(self.fy.start.year - 1, self.fy.start.month, 1)
            end = date(self.fy.end.year - 1, self.fy.end.month, 1)
            rows = db.session.execute(
                select(MonthlyActual.user_id, MonthlyActual.product_line_id,
                       func.sum(MonthlyActual.value))
                .where(MonthlyActual.metric_id == self.metric.id,
                       MonthlyActual.month >= start, MonthlyActual.month <= end)
                .group_by(MonthlyActual.user_id, MonthlyActual.product_line_id)
            ).all()
            self._history = {(u, p): int(v or 0) for u, p, v in rows}
        return self._history

    def last_year(self, m: Member) -> int:
        users = set(self.users_under(m.unit_id, m.user_id))
        total = 0
        for (uid, pl), v in self.history().items():
            if uid in users and (m.product_line_id is None or pl == m.product_line_id):
                total += v
        return total

    def capability(self, m: Member) -> int:
        if m.user_id is not None:
            r = self.users.get(m.user_id)
            return int(r.capability or 0) if r is not None else 0
        key = m.unit_id
        got = self._capability.get(key)
        if got is None:
            got = self._capability[key] = sum(
                int(self.users[u].capability or 0)
                for u in self.users_under(m.unit_id, None) if u in self.users)
        return got

    def members(self, parent: Node, dim: str) -> list[Member]:
        """The children a node splits into along `dim`."""
        if dim not in DIMENSIONS:
            raise DecomposeError(_("Unknown dimension: %(dim)s.", dim=dim))
        base = dict(unit_id=parent.unit_id, user_id=parent.user_id,
                    product_line_id=parent.product_line_id, channel_id=parent.channel_id,
                    customer_type_id=parent.customer_type_id)
        out: list[Member] = []
        if dim in ("product_line", "channel", "customer_type"):
            if base[f"{dim}_id"] is not None:
                raise DecomposeError(_("This target is already split by %(dim)s.",
                                       dim=dim_label(dim)))
            for obj in self.dims[dim]:
                out.append(Member(dim, obj.id, self.name(obj), **{**base, f"{dim}_id": obj.id}))
        elif dim in ("region", "team"):
            if parent.user_id is not None:
                raise DecomposeError(_("A rep's target cannot be split by %(dim)s.",
                                       dim=dim_label(dim)))
            kind = UnitKind.REGION if dim == "region" else UnitKind.TEAM
            path = self.units[parent.unit_id].path if parent.unit_id else "/"
            for u in self.units.values():
                if u.kind == kind and u.id != parent.unit_id and u.path.startswith(path):
                    out.append(Member(dim, u.id, self.name(u), **{**base, "unit_id": u.id}))
        else:  # rep
            if parent.user_id is not None:
                raise DecomposeError(_("This target is already a rep's."))
            for uid in self.users_under(parent.unit_id, None):
                r = self.users[uid]
                out.append(Member(dim, uid, r.display_name,
                                  **{**base, "unit_id": r.unit_id, "user_id": uid}))
        if not out:
            raise DecomposeError(_("There is nothing to split this target into by %(dim)s.",
                                   dim=dim_label(dim)))
        return out

    def member_label(self, node: Node) -> str:
        return self.label(node) if node.dim else "?"

    def label(self, node: Node) -> str:
        if node.dim is None:
            return self.metric_name
        dim = node.dim
        if dim == "rep" and node.user_id in self.users:
            return str(self.users[node.user_id].display_name)
        if dim in ("region", "team") and node.unit_id in self.units:
            return self.name(self.units[node.unit_id])
        if dim in self.dims:
            key = getattr(node, f"{dim}_id")
            for obj in self.dims[dim]:
                if obj.id == key:
                    return self.name(obj)
        return "?"


def dim_label(dim: str) -> str:
    return {
        "product_line": _("product line"), "channel": _("channel"),
        "customer_type": _("customer type"), "region": _("region"), "team": _("team"),
        "rep": _("rep"),
    }.get(dim, dim)


def method_label(method: str | None) -> str:
    return {
        "equal": _("equal"), "weights": _("typed weights"),
        "last_year": _("last year's share"), "capability": _("capability scores"),
        "growth": _("growth %"), "kept": _("kept"),
    }.get(method or "", method or "")


# ------------------------------------------------------------------ input parsing


# Bounds on typed numbers, so nothing overflows a BIGINT (2^63 - 1 ~ 9.2 x 10^18) on the
# way to the database, and no exponent ("1e999999999") costs a huge integer to compute.
MAX_VALUE = 10**15  # a stored value: fen (10 trillion yuan), a count, hundredths of a %
MAX_WEIGHT = 10**15
MAX_DECIMALS = 6  # in a weight, growth rate, level or profile percentage
MIN_GROWTH, MAX_GROWTH = -100, 10_000  # percent: from nothing to 101 times
MAX_LEVEL = MAX_VALUE // 100  # a level metric's typed value (stored in hundredths)
MAX_NUMBERS = 500  # values typed in one box


def _short(text: str | None) -> str:
    t = (text or "").strip()
    return t if len(t) <= 30 else t[:29] + "…"


def parse_amount(text: str | None, metric: Metric) -> int:
    """A typed value in display units (yuan for money, percent for levels) -> integer,
    at most MAX_VALUE once stored."""
    raw = (text or "").strip().rstrip("%").strip()
    if not raw:
        raise DecomposeError(_("Enter a value."))
    try:  # the app's one parser for typed amounts (no 1e5, no 12,5)
        d = parse_decimal(raw, decimals=40, signed=True)
    except MoneyError as exc:
        if exc.code == "not_a_number":
            raise DecomposeError(_("“%(text)s” is not a number.", text=_short(text))) from None
        raise DecomposeError(str(exc)) from None
    if d < 0:
        raise DecomposeError(_("A target cannot be negative."))
    scale = 100 if metric.unit in ("money", "percent") else 1
    if d > Decimal(MAX_VALUE) / scale:
        raise DecomposeError(_("“%(text)s” is too large: at most %(max)s.", text=_short(text),
                               max=format(Decimal(MAX_VALUE) / scale, "f")))
    scaled = d * scale
    if scaled != scaled.to_integral_value():
        if scale == 1:
            raise DecomposeError(_("A count must be a whole number."))
        raise DecomposeError(_("Use at most two decimals."))
    return int(scaled)


def parse_numbers(text: str | None, what: str, lo: int | None = None,
                  hi: int | None = None) -> list[Decimal]:
    """Numbers typed in one box (commas, semicolons or spaces between them), each within
    [lo, hi] when given, with at most MAX_DECIMALS decimals."""
    parts = [p for p in (text or "").replace("，", ",").replace(";", ",").replace(" ", ",")
             .split(",") if p.strip()]
    if len(parts) > MAX_NUMBERS:
        raise DecomposeError(_("%(what)s: at most %(n)d values.", what=what, n=MAX_NUMBERS))
    out: list[Decimal] = []
    for p in parts:
        try:  # the app's one number parser (no 1e5)
            d = parse_decimal(p.strip().rstrip("%"), decimals=40, signed=True)
        except MoneyError as exc:
            if exc.code != "not_a_number":
                raise DecomposeError(f"{what}: {exc}") from None
            raise DecomposeError(_("%(what)s: “%(text)s” is not a number.", what=what,
                                   text=_short(p))) from None
        if not d.is_finite():
            raise DecomposeError(_("%(what)s: “%(text)s” is not a number.", what=what,
                                   text=_short(p)))
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            raise DecomposeError(_("%(what)s: “%(text)s” is out of range; use a number from "
                                   "%(lo)s to %(hi)s.", what=what, text=_short(p),
                                   lo=lo if lo is not None else "", hi=hi))
        if abs(d) > 10**18:  # no bounds given: still nothing that overflows
            raise DecomposeError(_("%(what)s: “%(text)s” is too large.", what=what,
                                   text=_short(p)))
        if d != d.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
            raise DecomposeError(_("%(what)s: “%(text)s” has too many decimals (at most "
                                   "%(n)d).", what=what, text=_short(p), n=MAX_DECIMALS))
        out.append(d)
    return out


def explain(exc: AllocationError, total: str | None = None) -> str:
    """The engine's reason in the user's words, without internal detail."""
    cause = getattr(exc, "cause", "internal")
    if cause == "profile_sum" and total is not None:
        return _("The seasonal profile adds up to %(total)s%%, not 100%%.", total=total)
    return {
        "not_a_number": _("One of the values is not a number."),
        "negative_weight": _("A weight cannot be negative."),
        "negative": _("A target cannot be negative."),
        "no_parts": _("There is nothing to split this target into."),
        "locks_exceed": _("The locked targets add up to more than the value to split."),
        "locks_mismatch": _("Every part is locked, and the locked values do not add up to "
                            "the value to split."),
        "count": _("The number of values does not match the number of parts."),
        "profile_sum": _("The seasonal profile must add up to 100 percent."),
        "unknown_method": _("Unknown split method."),
    }.get(cause, _("These numbers cannot be split; check them."))


# ------------------------------------------------------------------ plans


@dataclass
class Change:
    node: Node
    label: str
    old_value: int
    new_value: int
    old_locked: bool
    new_locked: bool
    old_months: list[int]
    new_months: list[int]
    # A decomposition replaces the subtree: a target with no predecessor of the same scope
    # is created, one with no successor is removed (both count as value changes).
    created: bool = False
    removed: bool = False

    @property
    def value_changed(self) -> bool:
        return self.created or self.removed or self.old_value != self.new_value

    @property
    def locked_changed(self) -> bool:
        return self.old_locked != self.new_locked


@dataclass
class Plan:
    """A computed change, not yet written."""

    tree: Tree
    kind: str  # edit | lock | decompose | time
    target: Node
    changes: list[Change] = field(default_factory=list)
    new_nodes: list[Node] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    summary: list[tuple[str, int]] = field(default_factory=list)  # decompose: child, value
    split: dict[str, Any] | None = None  # decompose: dim/method/params of the target
    # decompose: the new nodes in write order and their rows serialised for the bulk
    # write (see serialise_new_nodes), made ahead so a pipeline can do it off the writer.
    bulk: Bulk | None = None

    @property
    def value_changes(self) -> list[Change]:
        return [c for c in self.changes if c.value_changed or c.locked_changed]

    @property
    def changed(self) -> list[Change]:
        """Every target that changes: its value, its lock or only its months."""
        return [c for c in self.changes
                if c.value_changed or c.locked_changed or c.old_months != c.new_months]

    def groups(self) -> list[Group]:
        """The value changes grouped for the preview: one group per target just below the
        one changed (or per sibling, for an edit), holding every change under it."""
        base = self.target.depth + (0 if self.kind in ("edit", "lock") else 1)
        out: dict[int, Group] = {}
        order: list[Group] = []
        for ch in self.value_changes:
            n = ch.node
            if n.depth < base:  # the changed target itself (an edit of the company target)
                g = Group(n, ch)
                order.append(g)
                continue
            top = n
            while top.depth > base and top.parent is not None:
                top = top.parent
            g = out.get(id(top))
            if g is None:
                g = out[id(top)] = Group(top, None)
                order.append(g)
            if top is n:
                g.head = ch
            else:
                g.items.append(ch)
        return order


@dataclass
class Group:
    """A target of the preview and the changes below it (folded when there are any)."""

    node: Node
    head: Change | None
    items: list[Change] = field(default_factory=list)


def _fail(exc: AllocationError, where: str) -> DecomposeError:
    if getattr(exc, "cause", "") in ("locks_exceed", "locks_mismatch"):
        return DecomposeError(_(
            "%(where)s: the locked targets do not fit the new value (%(detail)s). "
            "Unlock one or change the value; nothing was changed.", where=where,
            detail=explain(exc)))
    return DecomposeError(_("%(where)s: %(detail)s", where=where, detail=explain(exc)))


class _Recorder:
    def __init__(self, ctx: Context, tree: Tree) -> None:
        self.ctx = ctx
        self.tree = tree
        self.changes: dict[int, Change] = {}

    def set(self, node: Node, value: int | None = None, months: list[int] | None = None,
            locked: bool | None = None) -> None:
        ch = self.changes.get(id(node))
        if ch is None:
            ch = Change(node, self.ctx.label(node), node.value, node.value, node.locked,
                        node.locked, list(node.months), list(node.months))
            self.changes[id(node)] = ch
        if value is not None:
            ch.new_value = value
        if months is not None:
            ch.new_months = list(months)
        if locked is not None:
            ch.new_locked = locked

    def current(self, node: Node) -> tuple[int, list[int]]:
        ch = self.changes.get(id(node))
        return (ch.new_value, ch.new_months) if ch else (node.value, node.months)

    def resplit(self, node: Node, value: int, months: list[int]) -> None:
        """Re-split `node`'s subtree for its new value/months, keeping locked children."""
        kids = node.children
        if not kids:
            return
        if self.tree.additive:
            locks = {i: k.value for i, k in enumerate(kids) if k.locked}
            try:
                vals = engine.allocate(value, [k.value for k in kids], locks)
                mat = engine.allocate_matrix(vals, months)
            except AllocationError as exc:
                raise _fail(exc, self.ctx.label(node)) from None
            for k, v, row in zip(kids, vals, mat, strict=True):
                if v != k.value or row != k.months:
                    self.set(k, v, row)
                    self.resplit(k, v, row)
        else:
            for k in kids:
                if k.locked:
                    continue
                if k.value != value or k.months != months:
                    self.set(k, value, months)
                    self.resplit(k, value, months)

    def result(self) -> list[Change]:
        return [c for c in self.changes.values()
                if c.value_changed or c.locked_changed or c.old_months != c.new_months]


def plan_edit(tree: Tree, ctx: Context, node: Node, new_value: int) -> Plan:
    """Set `node`'s year value: its unlocked siblings rebalance so the parent still adds
    up (the edited node is locked so later rebalances keep it), and every changed node's
    subtree is re-split, keeping locked descendants."""
    if new_value < 0:
        raise DecomposeError(_("A target cannot be negative."))
    rec = _Recorder(ctx, tree)
    parent = node.parent
    if not tree.additive:
        delta = new_value - node.value
        months = [max(0, m + delta) for m in node.months] if node.months else [new_value] * 12
        if all(m == node.value for m in node.months):
            months = [new_value] * 12
        rec.set(node, new_value, months, locked=True if parent is not None else None)
        rec.resplit(node, new_value, months)
    elif parent is None:
        try:
            months = engine.allocate(new_value, node.months or [1] * 12)
        except AllocationError as exc:
            raise _fail(exc, ctx.label(node)) from None
        rec.set(node, new_value, months)
        rec.resplit(node, new_value, months)
    else:
        sibs = parent.children
        idx = sibs.index(node)
        locks = {i: s.value for i, s in enumerate(sibs) if s.locked and s is not node}
        locks[idx] = new_value
        try:
            vals = engine.allocate(parent.value, [s.value for s in sibs], locks)
        except AllocationError:
            others = sum(v for i, v in locks.items() if i != idx)
            raise DecomposeError(_(
                "%(node)s cannot be set to %(new)s: with the locked siblings (%(locked)s) "
                "it would exceed %(parent)s's %(total)s. Unlock a sibling or change the "
                "parent; nothing was changed.", node=ctx.label(node),
                new=fmt(new_value, tree.metric), locked=fmt(others, tree.metric),
                parent=ctx.label(parent), total=fmt(parent.value, tree.metric))) from None
        mat = engine.allocate_matrix(vals, parent.months)
        for s, v, row in zip(sibs, vals, mat, strict=True):
            if s is node:
                rec.set(s, v, row, locked=True)
            elif v != s.value or row != s.months:
                rec.set(s, v, row)
        for s in sibs:
            v, row = rec.current(s)
            if v != s.value or row != s.months:
                rec.resplit(s, v, row)
    return Plan(tree, "edit", node, rec.result())


def plan_month(tree: Tree, ctx: Context, node: Node, month: int, new_value: int) -> Plan:
    """Set `node`'s value for one month (its index in the fiscal year): the unlocked
    siblings' same month rebalances so the parent's month, and so the parent, still add
    up; each changed target's year moves by its month's change, the edited node is locked
    (as by plan_edit), and every changed node's subtree is re-split, keeping locked
    descendants. Additive metrics only (a level is set for the year)."""
    if new_value < 0:
        raise DecomposeError(_("A target cannot be negative."))
    if not tree.additive:
        raise DecomposeError(_("A level is set for the whole year; nothing was changed."))
    label = fy_months(tree.fy)[month].label
    rec = _Recorder(ctx, tree)
    parent = node.parent
    sibs = parent.children if parent is not None else [node]
    vals = [new_value]
    if parent is not None:
        locks = {i: s.months[month] for i, s in enumerate(sibs) if s.locked and s is not node}
        locks[sibs.index(node)] = new_value
        try:
            vals = engine.allocate(parent.months[month], [s.months[month] for s in sibs],
                                   locks)
        except AllocationError:
            raise DecomposeError(_(
                "%(node)s cannot be set to %(new)s in %(month)s: %(parent)s has %(total)s "
                "that month and its locked targets hold %(locked)s, so no unlocked sibling "
                "can take the difference. Unlock a sibling or change the parent; nothing was "
                "changed.", node=ctx.label(node), new=fmt(new_value, tree.metric),
                month=label, parent=ctx.label(parent),
                total=fmt(parent.months[month], tree.metric),
                locked=fmt(sum(v for i, v in locks.items() if sibs[i] is not node),
                           tree.metric))) from None
    for s, v in zip(sibs, vals, strict=True):
        if s is node or v != s.months[month]:
            row = list(s.months)
            row[month] = v
            lock = True if s is node and parent is not None else None
            rec.set(s, s.value + v - s.months[month], row, locked=lock)
            rec.resplit(s, s.value + v - s.months[month], row)
    return Plan(tree, "edit", node, rec.result())


def plan_lock(tree: Tree, ctx: Context, node: Node, locked: bool) -> Plan:
    """Lock or unlock a node: its value is kept (or freed) in later rebalances."""
    rec = _Recorder(ctx, tree)
    if node.locked != locked:
        rec.set(node, locked=locked)
    return Plan(tree, "lock", node, rec.result())


def plan_time(tree: Tree, ctx: Context, node: Node, method: str,
              params: dict[str, Any]) -> Plan:
    """Re-split a top node's year over its months (working days, equal, a seasonal
    profile, last year, growth per quarter) and carry it down the tree."""
    if node.parent is not None:
        raise DecomposeError(_("Only the company target is split over time; the rest follows."))
    cal = company_calendar(ctx.company)
    try:
        _q, months = split_year(tree.fy, tree.metric, node.value, method, params, cal)
    except AllocationError as exc:
        total = None
        if method == "profile" and params.get("profile"):
            total = format(sum(Decimal(str(v)) for v in params["profile"]).normalize(), "f")
        raise DecomposeError(explain(exc, total)) from None
    except (TypeError, ValueError):
        raise DecomposeError(_("Check the numbers: these cannot be split.")) from None
    rec = _Recorder(ctx, tree)
    rec.set(node, node.value, months)
    rec.resplit(node, node.value, months)
    plan = Plan(tree, "time", node, rec.result())
    # Stored in a JSON column: typed Decimals become ints or decimal text (jsonable), which
    # split_year reads back the same way.
    plan.split = {"time_method": method, "time_params": jsonable(params)}
    return plan


def _weights(ctx: Context, members: list[Member], method: str,
             params: dict[str, Any]) -> list[engine.Weight]:
    n = len(members)
    if method == "equal":
        return [1] * n
    if method == "capability":
        return [ctx.capability(m) for m in members]
    if method == "last_year":
        return [ctx.last_year(m) for m in members]
    if method == "weights":
        ws = params.get("weights") or []
        if len(ws) != n:
            raise DecomposeError(ngettext(
                "Type %(num)d weight, one per %(dim)s (got %(got)d).",
                "Type %(num)d weights, one per %(dim)s (got %(got)d).", n,
                dim=dim_label(members[0].dim), got=len(ws)))
        out = [Decimal(str(w)) for w in ws]
        if any(w < 0 for w in out):
            raise DecomposeError(_("A weight cannot be negative."))
        if not any(out):
            raise DecomposeError(_("The weights are all zero: type at least one weight "
                                   "above zero."))
        return list(out)
    if method == "growth":
        gs = params.get("growth") or []
        if len(gs) != n:
            raise DecomposeError(ngettext(
                "Type %(num)d growth rate, one per %(dim)s (got %(got)d).",
                "Type %(num)d growth rates, one per %(dim)s (got %(got)d).", n,
                dim=dim_label(members[0].dim), got=len(gs)))
        ws2: list[engine.Weight] = []
        for m, g in zip(members, gs, strict=True):
            w = Fraction(ctx.last_year(m)) * (100 + Fraction(str(g))) / 100
            if w < 0:
                raise DecomposeError(_("A growth rate below -100% makes a negative target."))
            ws2.append(w)
        return ws2
    raise DecomposeError(_("Unknown split method: %(method)s.", method=method))


def _new_child(parent: Node, m: Member, value: int, months: list[int]) -> Node:
    return Node(id=None, parent=parent, depth=parent.depth + 1, unit_id=m.unit_id,
                user_id=m.user_id, product_line_id=m.product_line_id, channel_id=m.channel_id,
                customer_type_id=m.customer_type_id, value=value, locked=False,
                months=months, dim=m.dim)


def plan_decompose(tree: Tree, ctx: Context, node: Node, dims: Sequence[str], method: str,
                   params: dict[str, Any] | None = None) -> Plan:
    """Split `node` along `dims` (one level per dimension) by `method`, replacing its
    current subtree. Re-splitting along the same dimension keeps locked children."""
    params = params or {}
    dims = [d for d in dims if d]
    if not dims:
        raise DecomposeError(_("Choose a dimension to split by."))
    if len(set(dims)) != len(dims):
        raise DecomposeError(_("Each dimension can be used once."))
    if method not in METHODS:
        raise DecomposeError(_("Unknown split method: %(method)s.", method=method))
    if method in TYPED_METHODS and len(dims) > 1:
        raise DecomposeError(_("Typed weights and growth rates apply to one level at a time."))
    if not tree.additive and method != "equal" and "levels" not in params:
        method = "equal"
    old_locked = {c.scope: c.value for c in node.children if c.locked and c.dim == dims[0]}
    for c in node.children:
        for d in c.walk():
            if d.locked and not (d is c and d.dim == dims[0] and d.scope in old_locked):
                raise DecomposeError(_(
                    "%(node)s is locked below this target; unlock it before decomposing "
                    "again (nothing was changed).", node=ctx.label(d)))
    plan = Plan(tree, "decompose", node)
    plan.removed_ids = [d.id for c in node.children for d in c.walk() if d.id is not None]
    plan.split = {"split_dim": dims[0], "split_method": method,
                  "split_params": {k: [str(x) for x in v] for k, v in params.items()} or None}
    top: list[Node] = []

    def split(parent: Node, level: int, first: bool, where: str) -> list[Node]:
        members = ctx.members(parent, dims[level])
        if tree.additive:
            weights = _weights(ctx, members, method, params if first else {})
            locks = {}
            if first:
                locks = {i: old_locked[_scope(m)] for i, m in enumerate(members)
                         if _scope(m) in old_locked}
            try:
                vals = engine.allocate(parent.value, weights, locks)
                mat = engine.allocate_matrix(vals, parent.months)
            except AllocationError as exc:
                raise _fail(exc, where) from None
        else:
            levels = params.get("levels") if first else None
            if levels is not None and len(levels) != len(members):
                raise DecomposeError(ngettext(
                    "Type %(num)d level, one per %(dim)s (got %(got)d).",
                    "Type %(num)d levels, one per %(dim)s (got %(got)d).", len(members),
                    dim=dim_label(dims[level]), got=len(levels)))
            vals, mat = [], []
            for i in range(len(members)):
                if levels is not None:
                    lv = int(Decimal(str(levels[i])) * 100)
                    if lv < 0:
                        raise DecomposeError(_("A target cannot be negative."))
                    vals.append(lv)
                    mat.append([lv] * 12)
                else:
                    vals.append(parent.value)
                    mat.append(list(parent.months))
        kids = []
        for i, (m, v, row) in enumerate(zip(members, vals, mat, strict=True)):
            child = _new_child(parent, m, v, row)
            if first and _scope(m) in old_locked:
                child.locked = True
            if first and method == "weights":
                child.weight = str(params["weights"][i])
            kids.append(child)
            plan.new_nodes.append(child)
        if level + 1 < len(dims):
            for k in kids:
                k.split_dim = dims[level + 1]
                k.split_method = method
                split(k, level + 1, False, ctx.member_label(k))
        return kids

    # Work on a detached copy of the node so the tree is untouched until applied.
    shadow = Node(id=node.id, parent=None, depth=node.depth, unit_id=node.unit_id,
                  user_id=node.user_id, product_line_id=node.product_line_id,
                  channel_id=node.channel_id, customer_type_id=node.customer_type_id,
                  value=node.value, locked=node.locked, months=list(node.months),
                  dim=node.dim)
    top = split(shadow, 0, True, ctx.label(node))
    for k in top:
        k.parent = node
    plan.summary = [(ctx.label(k), k.value) for k in top]
    plan.changes = _replacement_changes(ctx, node, plan.new_nodes)
    return plan


def _replacement_changes(ctx: Context, node: Node, new_nodes: list[Node]) -> list[Change]:
    """Old -> new for every target of the new subtree (matched to the old one of the same
    scope, if any; else created) and every old one with no successor (removed)."""
    everything = [d for c in node.children for d in c.walk()]
    label = ctx.label
    if not everything:  # a first split: every target is new
        return [Change(k, label(k), 0, k.value, False, k.locked, [], k.months, created=True)
                for k in new_nodes]
    old: dict[tuple[int | None, ...], Node] = {}
    for d in everything:
        old.setdefault(d.scope, d)
    out: list[Change] = []
    seen: set[int] = set()
    for k in new_nodes:
        was = old.get(k.scope)
        if was is not None and id(was) not in seen:
            seen.add(id(was))
            out.append(Change(k, ctx.label(k), was.value, k.value, was.locked, k.locked,
                              was.months, k.months))
        else:
            out.append(Change(k, ctx.label(k), 0, k.value, False, k.locked, [], k.months,
                              created=True))
    for d in everything:
        if id(d) not in seen:
            out.append(Change(d, ctx.label(d), d.value, 0, d.locked, False, d.months, [],
                              removed=True))
    return out


def _scope(m: Member) -> tuple[int | None, ...]:
    return (m.unit_id, m.user_id, m.product_line_id, m.channel_id, m.customer_type_id)


# ------------------------------------------------------------------ writing


def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def reserve_ids(conn: Connection, n: int) -> list[int]:
    """n fresh target ids: the sequence on PostgreSQL; on SQLite a block after the largest
    id that a target has now or that an audit row names. SQLite would otherwise hand out
    max(id) + 1 again after a re-split deleted the newest targets, and one audit
    entity_id would name two targets (the Target insert hook below does the same for
    single ORM inserts)."""
    if n == 0:
        return []
    if _sqlite(conn):
        top = int(conn.exec_driver_sql(
            "SELECT max(coalesce((SELECT max(id) FROM target), 0), "
            "coalesce((SELECT max(entity_id) FROM audit_log WHERE entity = 'target'), 0))"
        ).scalar_one())
        # Ids handed out on this connection but not inserted yet (the ORM calls the
        # insert hook for every new Target of a flush before it inserts any of them).
        top = max(top, int(conn.info.get("planner_target_top", 0)))
        conn.info["planner_target_top"] = top + n
        return list(range(top + 1, top + 1 + n))
    rows = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('target', 'id')) "
        f"FROM generate_series(1, {int(n)})").scalars().all()
    return [int(x) for x in rows]


@event.listens_for(Target, "before_insert")
def _fresh_sqlite_id(_mapper: Any, conn: Connection, target: Target) -> None:
    if target.id is None and _sqlite(conn):
        target.id = reserve_ids(conn, 1)[0]


@dataclass
class Bulk:
    """New nodes in write order (parents first) and their rows as JSON, ids left out:
    node k gets id first + k. ``rows``: per node [index of its parent among the new nodes
    or null, the parent's id if it is not new, then the 12 varying target columns];
    ``cells``: per node its 12 months then its 4 quarters, flat (primary-key order)."""

    nodes: list[Node]
    rows: str
    cells: str
    # The plan's audit rows, when serialised with it: per row [index of its target among
    # the new nodes or null, the target's id if it is not new, field, old, new, details].
    audits: str | None = None


def serialise_new_nodes(nodes: Sequence[Node], additive: bool,
                        changes: Sequence[Change] | None = None) -> Bulk:
    """Pure Python, no database: safe to run in a thread beside the writer. With
    `changes` (a decomposition's), its audit rows are serialised too."""
    ordered = sorted(nodes, key=lambda n: n.depth)
    index = {id(n): k for k, n in enumerate(ordered)}
    audits = None
    if changes is not None:
        audit_rows = []
        for ch in changes:
            k = index.get(id(ch.node))
            for row in _change_audits("decompose", ch):
                audit_rows.append((k, row[1] if k is None else None, *row[2:]))
        audits = json.dumps(audit_rows, ensure_ascii=False)
    rows = []
    for n in ordered:
        p = n.parent
        assert p is not None
        k = index.get(id(p))
        rows.append((k, p.id if k is None else None, n.depth, n.unit_id, n.user_id,
                     n.product_line_id, n.channel_id, n.customer_type_id, n.value,
                     int(n.locked), n.weight, n.split_dim, n.split_method,
                     json.dumps(n.split_params) if n.split_params is not None else None))
    return Bulk(ordered, json.dumps(rows), json.dumps(_cell_values(ordered, additive)),
                audits)


def insert_nodes(conn: Connection, tree_fy_id: int, metric_id: int, tier: Tier,
                 nodes: Sequence[Node], additive: bool, user_id: int | None,
                 months: list[Period], quarters: list[Period],
                 bulk: Bulk | None = None) -> None:
    """Bulk-insert new nodes (ids assigned here; parents before children) and their 16
    cells each.

    SQLite: two INSERT ... SELECT statements over ``json_each`` (targets, then the cells
    in primary-key order), each run by SQLite in C with the GIL released, so a thread
    computing the next plan runs beside it; executemany binds row by row and took the GIL
    back for each of the 1.15 M rows of the benchmark. PostgreSQL: COPY. `bulk`: the
    nodes already serialised (serialise_new_nodes), in its order."""
    if bulk is not None:
        nodes = bulk.nodes
    ids = reserve_ids(conn, len(nodes))
    for n, i in zip(nodes, ids, strict=True):
        n.id = i
    if not nodes:
        return
    now = utcnow()
    tier_v = Tier(tier).name  # SQLAlchemy stores enum names
    columns = ("id, fiscal_year_id, metric_id, tier, parent_id, depth, unit_id, user_id, "
               "product_line_id, channel_id, customer_type_id, value, locked, weight, "
               "split_dim, split_method, split_params, updated_at, updated_by_id")
    if _sqlite(conn):
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        raw = conn.connection.driver_connection
        assert raw is not None
        first = ids[0]
        if ids[-1] - first == len(ids) - 1 and _sqlite_json(raw):
            if bulk is None:
                bulk = serialise_new_nodes(nodes, additive)
            picks = ", ".join(f"j.value ->> {k}" for k in range(2, 14))
            raw.execute(
                f"INSERT INTO target ({columns}) SELECT :first + j.key, :fy, :metric, :tier, "
                f"coalesce(:first + (j.value ->> 0), j.value ->> 1), {picks}, :stamp, :by "
                "FROM json_each(:rows) AS j",
                {"first": first, "fy": tree_fy_id, "metric": metric_id, "tier": tier_v,
                 "stamp": stamp, "by": user_id, "rows": bulk.rows})
            periods = months + quarters
            params: dict[str, Any] = {"first": first, "cells": bulk.cells}
            for k, p in enumerate(periods):
                params[f"s{k}"] = p.start.isoformat()
                params[f"e{k}"] = p.end.isoformat()
            per = len(periods)
            starts = " ".join(f"WHEN {k} THEN :s{k}" for k in range(per))
            ends = " ".join(f"WHEN {k} THEN :e{k}" for k in range(per))
            raw.execute(
                "INSERT INTO target_cell (target_id, kind, start, \"end\", value, locked) "
                f"SELECT :first + j.key / {per}, "
                f"CASE WHEN j.key % {per} < {len(months)} THEN 'month' ELSE 'quarter' END, "
                f"CASE j.key % {per} {starts} END, CASE j.key % {per} {ends} END, "
                "j.value, 0 FROM json_each(:cells) AS j", params)
            return
        # Row by row (an SQLite without JSON, or ids not in one block).
        trows = []
        for n in nodes:
            assert n.parent is not None and n.parent.id is not None and n.id is not None
            trows.append((n.id, tree_fy_id, metric_id, tier_v, n.parent.id, n.depth, n.unit_id,
                          n.user_id, n.product_line_id, n.channel_id, n.customer_type_id,
                          n.value, int(n.locked), n.weight, n.split_dim, n.split_method,
                          json.dumps(n.split_params) if n.split_params is not None else None,
                          stamp, user_id))
        raw.executemany(f"INSERT INTO target ({columns}) VALUES ({', '.join('?' * 19)})",
                        trows)
        mk = [("month", p.start.isoformat(), p.end.isoformat()) for p in months]
        qk = [("quarter", p.start.isoformat(), p.end.isoformat()) for p in quarters]
        raw.executemany(
            "INSERT INTO target_cell (target_id, kind, start, \"end\", value, locked) "
            "VALUES (?,?,?,?,?,?)", _cell_rows(nodes, mk, qk, additive))
        return
    # PostgreSQL: COPY, straight from Python values (psycopg 3 adapts them).
    raw_pg = conn.connection.driver_connection
    assert raw_pg is not None
    with raw_pg.cursor() as cur:
        with cur.copy(f"COPY target ({columns}) FROM STDIN") as copy:
            for n in nodes:
                assert n.parent is not None
                copy.write_row((
                    n.id, tree_fy_id, metric_id, tier_v, n.parent.id, n.depth, n.unit_id,
                    n.user_id, n.product_line_id, n.channel_id, n.customer_type_id, n.value,
                    n.locked, n.weight, n.split_dim, n.split_method,
                    json.dumps(n.split_params) if n.split_params is not None else None,
                    now, user_id))
        # COPY streams while the server inserts; a one-statement INSERT ... SELECT from
        # json_array_elements_text measured slightly slower (no overlap with the client).
        with cur.copy("COPY target_cell (target_id, kind, start, \"end\", value, locked) "
                      "FROM STDIN") as copy:
            mk2 = [("month", p.start, p.end) for p in months]
            qk2 = [("quarter", p.start, p.end) for p in quarters]
            write = copy.write_row
            for row in _cell_rows(nodes, mk2, qk2, additive):
                write(row)


_JSON_OK: dict[int, bool] = {}


def _sqlite_json(raw: Any) -> bool:
    """Whether this SQLite has json_each (built in since 3.38; usually compiled in before)."""
    key = id(type(raw))
    if key not in _JSON_OK:
        try:
            raw.execute("SELECT count(*) FROM json_each('[1]')").fetchone()
            _JSON_OK[key] = True
        except Exception:  # noqa: BLE001 - an old build without JSON1
            _JSON_OK[key] = False
    return _JSON_OK[key]


def _cell_values(nodes: Sequence[Node], additive: bool) -> list[int]:
    """Every node's 12 months then 4 quarters, one flat list (primary-key order)."""
    flat: list[int] = []
    add = flat.extend
    for n in nodes:
        ms = n.months
        add(ms)
        if additive:
            add((ms[0] + ms[1] + ms[2], ms[3] + ms[4] + ms[5], ms[6] + ms[7] + ms[8],
                 ms[9] + ms[10] + ms[11]))
        else:
            add(quarters_of(ms, False))
    return flat


def _cell_rows(nodes: Sequence[Node], mk: list[tuple[str, Any, Any]],
               qk: list[tuple[str, Any, Any]], additive: bool) -> Iterable[tuple[Any, ...]]:
    """(target id, kind, start, end, value, locked) per cell, in primary-key order."""
    for n in nodes:
        ms = n.months
        tid = n.id
        for (kind, s, e), v in zip(mk, ms, strict=True):
            yield (tid, kind, s, e, v, False)
        for (kind, s, e), v in zip(qk, quarters_of(ms, additive), strict=True):
            yield (tid, kind, s, e, v, False)


def _delete_targets(conn: Connection, ids: list[int]) -> None:
    t, c = Target.__table__, TargetCell.__table__
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        conn.execute(c.delete().where(c.c.target_id.in_(chunk)))
    # `ids` lists children before parents (the self reference).
    for i in range(len(ids), 0, -500):
        chunk = ids[max(0, i - 500):i]
        conn.execute(t.delete().where(t.c.id.in_(chunk)))


def apply_plan(plan: Plan, user: User | None) -> int:
    """Write a plan in bulk and audit every changed node (one row per changed value, lock
    or month split). Returns the number of targets changed."""
    tree = plan.tree
    conn = db.session.connection()
    months = fy_months(tree.fy)
    quarters = fy_quarters(tree.fy)
    uid = user.id if user is not None else None
    now = utcnow()
    audits: list[tuple[Any, ...]] = []
    t, c = Target.__table__, TargetCell.__table__
    if plan.kind == "decompose":
        node = plan.target
        # Removed ids were collected parent-first: delete deepest first.
        removed = list(reversed(plan.removed_ids))
        _delete_targets(conn, removed)
        assert plan.split is not None
        conn.execute(t.update().where(t.c.id == node.id).values(
            split_dim=plan.split["split_dim"], split_method=plan.split["split_method"],
            split_params=plan.split["split_params"], updated_at=now, updated_by_id=uid))
        # Parents before children, so parent ids exist when children are inserted.
        ordered = sorted(plan.new_nodes, key=lambda n: n.depth)
        insert_nodes(conn, tree.fy.id, tree.metric.id, tree.tier, ordered, tree.additive,
                     uid, months, quarters, plan.bulk)
        audits.append(("decompose", node.id, "split", _split_text(node),
                       json.dumps(plan.split, ensure_ascii=False),
                       {"created": len(plan.new_nodes), "removed": len(plan.removed_ids)}))
        bulk = plan.bulk
        if (bulk is not None and bulk.audits is not None and bulk.nodes
                and _sqlite(conn) and _bulk_audits(conn, now, uid, bulk)):
            _insert_audits(conn, now, uid, audits)
            db.session.commit()
            return len(plan.changed)
    else:
        trows, mrows = [], []
        for ch in plan.changes:
            n = ch.node
            trows.append({"b_id": n.id, "b_value": ch.new_value, "b_locked": ch.new_locked})
            if ch.old_months != ch.new_months:
                for p, v in zip(months, ch.new_months, strict=True):
                    mrows.append({"b_id": n.id, "b_kind": "month", "b_start": p.start,
                                  "b_value": v})
                for p, v in zip(quarters, quarters_of(ch.new_months, tree.additive),
                                strict=True):
                    mrows.append({"b_id": n.id, "b_kind": "quarter", "b_start": p.start,
                                  "b_value": v})
        from sqlalchemy import bindparam

        if trows:
            conn.execute(
                t.update().where(t.c.id == bindparam("b_id")).values(
                    value=bindparam("b_value"), locked=bindparam("b_locked"),
                    updated_at=now, updated_by_id=uid), trows)
        if mrows:
            conn.execute(
                c.update().where(c.c.target_id == bindparam("b_id"),
                                 c.c.kind == bindparam("b_kind"),
                                 c.c.start == bindparam("b_start"))
                .values(value=bindparam("b_value")), mrows)
        if plan.kind == "time" and plan.split:
            conn.execute(t.update().where(t.c.id == plan.target.id).values(**plan.split))
    for ch in plan.changes:
        audits.extend(_change_audits(plan.kind, ch))
    _insert_audits(conn, now, uid, audits)
    db.session.commit()
    return len(plan.changed)


def _change_audits(action: str, ch: Change) -> list[tuple[Any, ...]]:
    """(action, target id, field, old, new, details) rows for one change. The details
    carry the target's scope, so a row reads the same after the target is gone."""
    n = ch.node
    scope = [n.unit_id, n.user_id, n.product_line_id, n.channel_id, n.customer_type_id]
    if ch.created:  # the bulk of a first decomposition: one row, built directly
        return [(action, n.id, "value", None, str(ch.new_value),
                 {"label": ch.label, "scope": scope, "depth": n.depth, "created": True})]
    details: dict[str, Any] = {"label": ch.label, "scope": scope, "depth": n.depth}
    rows: list[tuple[Any, ...]] = []
    if ch.value_changed:
        rows.append((action, n.id, "value", str(ch.old_value),
                     None if ch.removed else str(ch.new_value),
                     {**details, "removed": True} if ch.removed else details))
    if ch.locked_changed and not (ch.created or ch.removed):
        rows.append((action, n.id, "locked", str(ch.old_locked), str(ch.new_locked), details))
    if ch.old_months != ch.new_months and not ch.value_changed:
        rows.append((action, n.id, "months", json.dumps(ch.old_months),
                     json.dumps(ch.new_months), details))
    return rows


def _bulk_audits(conn: Connection, at: Any, user_id: int | None, bulk: Bulk) -> bool:
    """Write the audit rows serialised with the bulk (SQLite, ids in one block after the
    insert); False when this SQLite cannot (the caller writes them another way)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    first = bulk.nodes[0].id
    if first is None or not _sqlite_json(raw):
        return False
    ids = [n.id for n in bulk.nodes]
    if ids[-1] - first != len(ids) - 1:  # type: ignore[operator]
        return False
    raw.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, field, old_value, "
        "new_value, details) SELECT :at, :uid, 'decompose', 'target', "
        "coalesce(:first + (j.value ->> 0), j.value ->> 1), j.value ->> 2, j.value ->> 3, "
        "j.value ->> 4, json(j.value -> 5) FROM json_each(:rows) AS j",
        {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "uid": user_id, "first": first,
         "rows": bulk.audits})
    return True


def _insert_audits(conn: Connection, at: Any, user_id: int | None,
                   rows: list[tuple[Any, ...]]) -> None:
    """Audit rows in bulk: one INSERT ... SELECT over json_each on SQLite (a decomposition
    of the benchmark company audits ~72,000 targets), COPY on PostgreSQL."""
    if not rows:
        return
    a = AuditLog.__table__
    if len(rows) < 50:
        conn.execute(a.insert(), [
            {"at": at, "user_id": user_id, "action": r[0], "entity": "target",
             "entity_id": r[1], "field": r[2], "old_value": r[3], "new_value": r[4],
             "details": r[5]} for r in rows])
        return
    if _sqlite(conn):
        raw = conn.connection.driver_connection
        assert raw is not None
        if _sqlite_json(raw):
            raw.execute(
                "INSERT INTO audit_log (at, user_id, action, entity, entity_id, field, "
                "old_value, new_value, details) SELECT :at, :uid, j.value ->> 0, 'target', "
                "j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, "
                "json(j.value -> 5) FROM json_each(:rows) AS j",
                {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "uid": user_id,
                 "rows": json.dumps(rows, ensure_ascii=False)})
            return
        conn.execute(a.insert(), [
            {"at": at, "user_id": user_id, "action": r[0], "entity": "target",
             "entity_id": r[1], "field": r[2], "old_value": r[3], "new_value": r[4],
             "details": r[5]} for r in rows])
        return
    raw_pg = conn.connection.driver_connection
    assert raw_pg is not None
    with raw_pg.cursor() as cur, cur.copy(
            "COPY audit_log (at, user_id, action, entity, entity_id, field, old_value, "
            "new_value, details) FROM STDIN") as copy:
        for r in rows:
            copy.write_row((at, user_id, r[0], "target", r[1], r[2], r[3], r[4],
                            json.dumps(r[5], ensure_ascii=False)))


def _split_text(node: Node) -> str | None:
    if not node.split_dim:
        return None
    return json.dumps({"split_dim": node.split_dim, "split_method": node.split_method,
                       "split_params": node.split_params}, ensure_ascii=False)


# ------------------------------------------------------------------ whole-year helpers


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
    ctx = Context(fy, metric)
    plan = plan_decompose(tree, ctx, root, dims, m)
    apply_plan(plan, user)
    return plan


def fmt(value: int, metric: Metric) -> str:
    """Display a stored integer of the metric's unit (planner.fmt, the one formatter)."""
    return display.value(value, metric.unit)


def tier_roots(fy: FiscalYear, metric: Metric) -> dict[str, int]:
    """{tier: company value} for the tiers that are set."""
    rows = db.session.execute(
        select(Target.tier, Target.value).where(
            Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
            Target.parent_id.is_(None))).all()
    return {str(tr.value if isinstance(tr, Tier) else tr): int(v) for tr, v in rows}


def scope_values(fy: FiscalYear, metric: Metric) -> dict[tuple[Any, ...], dict[str, int]]:
    """{scope: {tier: value}} for showing tiers side by side."""
    t = Target.__table__
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for r in db.session.execute(select(
            t.c.tier, t.c.unit_id, t.c.user_id, t.c.product_line_id, t.c.channel_id,
            t.c.customer_type_id, t.c.value).where(
            t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id)):
        out[(r.unit_id, r.user_id, r.product_line_id, r.channel_id,
             r.customer_type_id)][str(r.tier)] = int(r.value)
    return out


def create_tier(fy: FiscalYear, metric: Metric, tier: Tier, percent: Decimal,
                user: User | None) -> Target:
    """Create a sprint/challenge company target = base x (100 + percent)%, shaped like
    the base over the months."""
    if tier == Tier.BASE:
        raise DecomposeError(_("The base tier always exists."))
    base = load_tree(fy, metric, Tier.BASE)
    if not base.roots:
        raise DecomposeError(_("Set the base target first."))
    if load_tree(fy, metric, tier).roots:
        raise DecomposeError(_("This tier is already set."))
    root = base.roots[0]
    if percent < -100:
        raise DecomposeError(_("A target cannot be negative."))
    if percent > MAX_GROWTH:
        raise DecomposeError(_("Use a percentage from %(lo)s to %(hi)s.", lo=MIN_GROWTH,
                               hi=MAX_GROWTH))
    value = int((Decimal(root.value) * (100 + percent) / 100).to_integral_value())
    if value > MAX_VALUE * (100 + MAX_GROWTH) // 100:  # fits a BIGINT with room to spare
        raise DecomposeError(_("The result would be too large."))
    months = engine.allocate(value, root.months) if metric.additive else \
        [int((Decimal(m) * (100 + percent) / 100).to_integral_value()) for m in root.months]
    t = Target(fiscal_year_id=fy.id, metric_id=metric.id, tier=tier, unit_id=root.unit_id,
               value=value, locked=True, time_method=root.time_method,
               time_params=root.time_params, updated_by_id=user.id if user else None)
    db.session.add(t)
    db.session.flush()
    for kind, periods, vals in (("quarter", fy_quarters(fy),
                                 quarters_of(months, bool(metric.additive))),
                                ("month", fy_months(fy), months)):
        for p, v in zip(periods, vals, strict=True):
            db.session.add(TargetCell(target_id=t.id, kind=kind, start=p.start, end=p.end,
                                      value=v))
    db.session.add(AuditLog(user_id=user.id if user else None, action="create",
                            entity="target", entity_id=t.id, field="value", old_value=None,
                            new_value=str(value), details={"tier": str(tier)}))
    db.session.commit()
    return t

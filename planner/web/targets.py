"""Target planning pages: the decomposition tree, preview-then-apply changes, time views,
and the company calendar. Thin views: parse, call planner.services.targets, render."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import visible_units
from ..extensions import db
from ..models import FiscalYear, Metric, Role, Target, Tier
from ..refusal import Refused
from ..services import targets as dc
from ..services import years
from ..services.company import local_today
from . import bp, roles_required
from .render import render
from .years import missing_page

PLANNERS = (Role.MANAGER, Role.ADMIN)


def _english() -> bool:
    return not str(get_locale()).startswith("zh")


def _company_id() -> int:
    return int(current_user.unit.company_id)


def _years() -> list[FiscalYear]:
    """The years this person may open (a draft: managers and the director)."""
    return years.visible_years(current_user)


def _metrics() -> list[Metric]:
    return list(db.session.scalars(select(Metric).where(
        Metric.company_id == _company_id(), Metric.active.is_(True)).order_by(Metric.sort)))


def _visible_unit_ids() -> set[int]:
    return set(db.session.scalars(visible_units(current_user)))


class View:
    """What one request needs: the tree of (year, metric, tier) and who may do what."""

    dims = dc.DIMENSIONS
    methods = dc.METHODS
    time_methods = dc.TIME_METHODS

    def __init__(self, fy: FiscalYear, metric: Metric, tier: Tier, show: str | None = None,
                 node_id: int | None = None) -> None:
        """The whole tree (editing: a rebalance needs every sibling), or with `show` only
        what a page shows (services.targets.view): "tops" (the tops and their children)
        or "node" (`node_id`, its parent and its children)."""
        self.fy, self.metric, self.tier = fy, metric, tier
        self.today = local_today(current_user.company)
        self.readonly = years.is_past(fy, self.today)
        self.ctx = dc.Context(fy, metric, english=_english())
        self.admin = current_user.role == Role.ADMIN
        self.units = _visible_unit_ids()
        self._tops: list[dc.Node] | None = None
        if show is None:
            self.tree = dc.load_tree(fy, metric, tier)
            self.scopes = dc.scope_values(fy, metric)
            return
        if show == "tops":
            tops = dc.root_ids(fy, metric, tier) if self.admin else \
                dc.top_ids(fy, metric, tier, self.units)
            ids = [*tops, *dc.child_ids(tops), *dc.parent_ids(tops)]
        else:
            assert node_id is not None
            tops = []
            ids = [node_id, *dc.child_ids([node_id]), *dc.parent_ids([node_id])]
        self.tree = dc.load_nodes(fy, metric, tier, ids)
        self._tops = [self.tree.nodes[i] for i in tops if i in self.tree.nodes]
        self.scopes = dc.scope_values_for(fy, metric, tier, self.tree.nodes.values())

    def visible(self, n: dc.Node) -> bool:
        return self.admin or (n.unit_id is not None and n.unit_id in self.units)

    def can_change(self, n: dc.Node) -> bool:
        """Editing or locking a node rebalances its siblings: the parent must be ours."""
        if self.admin:
            return True
        return n.parent is not None and self.visible(n.parent)

    def tops(self) -> list[dc.Node]:
        if self._tops is not None:
            return self._tops
        if self.admin:
            return self.tree.roots
        out = []
        for n in self.tree.nodes.values():
            if self.visible(n) and (n.parent is None or not self.visible(n.parent)):
                out.append(n)
        return out

    def node(self, node_id: int) -> dc.Node:
        n = self.tree.nodes.get(node_id)
        if n is None or not self.visible(n):
            abort(404)
        return n

    def _tiers_of(self, n: dc.Node) -> list[tuple[str, int]]:
        """The node's values in the other tiers: (tier's label, value)."""
        vals = self.scopes.get(n.scope, {})
        return [(tier_label(t), vals[t]) for t in ("base", "sprint", "challenge")
                if t in vals and t != str(self.tier)]

    def page(self, nodes: Iterable[dc.Node | None]) -> TargetsPage:
        """The template's data for a page showing `nodes` (labelled here, once)."""
        shown = {n: None for n in nodes if n is not None}
        return TargetsPage(
            fy=self.fy, metric=self.metric, tier=self.tier, admin=self.admin,
            readonly=self.readonly, args=self.args(), labels={n: self.ctx.label(n) for n in shown},
            tiers={n: self._tiers_of(n) for n in shown},
            dim_labels={d: dc.dim_label(d) for d in self.dims},
            method_labels={m: dc.method_label(m) for m in (*self.methods, "kept")})

    def time_rows(self, plan: dc.Plan) -> dict[str, Any]:
        """The target's quarters and months, (label, now, new) each."""
        ch = next((c for c in plan.changes if c.node is plan.target), None)
        old = plan.target.months
        new = ch.new_months if ch is not None else old
        additive = self.tree.additive
        q_old, q_new = dc.quarters_of(old, additive), dc.quarters_of(new, additive)
        return {
            "quarters": [(p.label[-2:], o, n) for p, o, n in zip(
                dc.fy_quarters(self.fy), q_old, q_new, strict=True)],
            "months": [(p.label, o, n) for p, o, n in zip(
                dc.fy_months(self.fy), old, new, strict=True)],
            "same": old == new,
        }

    def args(self, **extra: Any) -> dict[str, Any]:
        return {"fy": self.fy.year, "metric": self.metric.code, "tier": str(self.tier), **extra}


@dataclass
class TargetsPage:
    """What a targets template shows, as plain data (`tpage` in the templates): they
    format values with the filters (``|metric_value(tpage.metric)``) and call nothing."""

    fy: FiscalYear
    metric: Metric
    tier: Tier
    admin: bool
    readonly: bool  # a past year: shown, never changed
    args: dict[str, Any]  # the page's (fy, metric, tier) for url_for
    labels: dict[dc.Node, str]  # every target the page shows, by node
    tiers: dict[dc.Node, list[tuple[str, int]]]  # their values in the other tiers
    dim_labels: dict[str, str]
    method_labels: dict[str, str]
    dims: tuple[str, ...] = dc.DIMENSIONS
    methods: tuple[str, ...] = dc.METHODS
    time_methods: tuple[str, ...] = dc.TIME_METHODS
    # The tiers side by side, when the page's first top is the company target.
    sides: dict[str, int] | None = None


def _tree_nodes(tops: list[dc.Node], open_ids: set[int]) -> Iterator[dc.Node]:
    """The targets the tree shows: the tops, and the children of every open one."""
    stack = list(reversed(tops))
    while stack:
        n = stack.pop()
        yield n
        if n.children and n.id in open_ids:
            stack.extend(reversed(n.children))


def tier_label(tier: str) -> str:
    return {"base": _("Base"), "sprint": _("Sprint"), "challenge": _("Challenge")}.get(tier, tier)


def _pick() -> tuple[FiscalYear, Metric, Tier]:
    fy = years.pick_year(current_user, request.values.get("fy", type=int),
                         local_today(current_user.company))
    if fy is None:  # a company with no fiscal year: say so, never a 404
        abort(missing_page(_("The company has no fiscal year yet, so there are no targets.")))
    metrics = _metrics()
    if not metrics:
        abort(missing_page(_("The company has no metrics yet, so there are no targets.")))
    code = request.values.get("metric")
    metric = next((m for m in metrics if m.code == code), metrics[0])
    try:
        tier = Tier(request.values.get("tier") or "base")
    except ValueError:
        tier = Tier.BASE
    return fy, metric, tier


def _ancestors(n: dc.Node | None) -> set[int]:
    out: set[int] = set()
    while n is not None:
        if n.id is not None:
            out.add(n.id)
        n = n.parent
    return out


@bp.get("/targets")
@roles_required(*PLANNERS)
def targets() -> ResponseReturnValue:
    fy, metric, tier = _pick()
    view = View(fy, metric, tier, show="tops")
    tops = view.tops()
    message = None
    if request.args.get("created"):
        message = _("The draft of %(year)s is saved. Check it, then publish it.", year=fy.year)
    elif request.args.get("published"):
        message = _("%(year)s is published: reps see it from its first day.", year=fy.year)
    return _tree_page(view, tops, {n.id for n in tops if n.id is not None}, message=message)


def _tree_page(view: View, tops: list[dc.Node], open_ids: set[int], status: int = 200,
               **extra: Any) -> ResponseReturnValue:
    """Targets with its tree: the tops, and the children of the open ones."""
    tpage = view.page(_tree_nodes(tops, open_ids))
    if tops and view.tree.roots and tops[0] is view.tree.roots[0]:
        tpage.sides = view.scopes.get(tops[0].scope, {})
    extra.setdefault("message", None)
    all_years = _years()
    return render("targets/index.html", "targets/_tree.html", status=status, tpage=tpage,
                  tops=tops, open_ids=open_ids, years=all_years, metrics=_metrics(),
                  tiers=[t.value for t in Tier],
                  can_plan=view.admin and years.can_plan(all_years, view.today),
                  **extra)


def _view_for(node_id: int, lazy: bool = False) -> tuple[View, dc.Node]:
    """The node's view: with `lazy`, only the node, its parent and its children."""
    t = db.session.get(Target, node_id)
    if t is None:
        abort(404)
    fy = db.session.get(FiscalYear, t.fiscal_year_id)
    metric = db.session.get(Metric, t.metric_id)
    if fy is None or metric is None or fy.company_id != _company_id():
        abort(404)
    view = View(fy, metric, Tier(t.tier), show="node" if lazy else None, node_id=node_id)
    return view, view.node(node_id)


@bp.get("/targets/node/<int:node_id>/children")
@roles_required(*PLANNERS)
def target_children(node_id: int) -> ResponseReturnValue:
    view, node = _view_for(node_id, lazy=True)
    expand = request.args.get("open", "1") == "1"
    return render("targets/children_page.html", "targets/_children.html",
                  tpage=view.page([node, *node.children]), node=node, expand=expand,
                  open_ids=set())


@bp.get("/targets/node/<int:node_id>/forms")
@roles_required(*PLANNERS)
def target_forms(node_id: int) -> ResponseReturnValue:
    """A node's forms, loaded when its "Change" is opened (not with every node)."""
    view, node = _view_for(node_id, lazy=True)
    return render("targets/forms_page.html", "targets/_forms.html", tpage=view.page([node]),
                  node=node, can_change=view.can_change(node))


ACTIONS = ("edit", "lock", "decompose", "time")


def _decompose_params(f: Any, metric: Any, method: str) -> dict[str, Any]:
    """The numbers typed for a split: levels, weights or growth rates, bounded by kind."""
    if not metric.additive:
        lo, hi = 0, dc.MAX_LEVEL
    elif method == "growth":
        lo, hi = dc.MIN_GROWTH, dc.MAX_GROWTH
    else:
        lo, hi = 0, dc.MAX_WEIGHT
    numbers = dc.parse_numbers(f.get("numbers"), _("Values"), lo, hi)
    params: dict[str, Any] = {}
    if not metric.additive and numbers:
        params["levels"] = numbers
    elif method in ("weights", "growth"):
        params[method] = numbers
    return params


def _time_params(f: Any, metric: Any, method: str) -> dict[str, Any]:
    """The numbers typed for a split over time: a profile, growth rates or quarters."""
    if method not in dc.TIME_METHODS:
        raise dc.DecomposeError(_("Unknown split method: %(method)s.", method=method))
    text = f.get("numbers")
    tparams: dict[str, Any] = {}
    if method == "profile":
        tparams["profile"] = dc.parse_numbers(text, _("Profile"), 0, 100)
        if len(tparams["profile"]) != 12:
            raise dc.DecomposeError(_("A seasonal profile needs 12 monthly percentages "
                                      "(got %(got)d).", got=len(tparams["profile"])))
    elif method == "growth":
        tparams["growth"] = dc.parse_numbers(text, _("Growth"), dc.MIN_GROWTH,
                                             dc.MAX_GROWTH)
        if len(tparams["growth"]) != 4:
            raise dc.DecomposeError(_("Type 4 quarterly growth rates (got %(got)d).",
                                      got=len(tparams["growth"])))
    elif method == "quarters":
        parts = [p for p in (text or "").replace("，", ",").split(",") if p.strip()]
        tparams["quarters"] = [dc.parse_amount(p, metric) for p in parts]
        if len(tparams["quarters"]) != 4:
            raise dc.DecomposeError(_("Type 4 quarter values (got %(got)d).",
                                      got=len(tparams["quarters"])))
    return tparams


def _plan(view: View, node: dc.Node, action: str) -> dc.Plan:
    """Parse the form and compute the plan (raises DecomposeError on bad input)."""
    f = request.form
    metric = view.metric
    _writable(view.fy)
    if action in ("edit", "lock") and not view.can_change(node):
        abort(404)
    if action == "edit":
        return dc.plan_edit(view.tree, view.ctx, node, dc.parse_amount(f.get("value"), metric))
    if action == "lock":
        return dc.plan_lock(view.tree, view.ctx, node, f.get("locked") == "1")
    if action == "decompose":
        dims = [d for d in (f.get("dim1"), f.get("dim2"), f.get("dim3")) if d]
        method = f.get("method") or "equal"
        return dc.plan_decompose(view.tree, view.ctx, node, dims, method,
                                 _decompose_params(f, metric, method))
    if action == "time":
        if not view.admin:
            abort(404)
        method = f.get("time_method") or "working_days"
        return dc.plan_time(view.tree, view.ctx, node, method, _time_params(f, metric, method))
    abort(404)


def _writable(fy: FiscalYear) -> None:
    """A past year keeps its figures: a change to it is refused with the reason."""
    try:
        years.check_writable(fy, local_today(current_user.company))
    except Refused as exc:
        raise dc.DecomposeError(exc.message) from None


def _preview_ctx(view: View, node: dc.Node, plan: dc.Plan | None,
                 action: str) -> dict[str, Any]:
    """A preview's data: the changes grouped, each group's target and the parent of each
    change below it labelled, and a split over time's quarters and months."""
    groups = plan.groups() if plan is not None else []
    shown = [node, *(g.node for g in groups),
             *(ch.node.parent for g in groups for ch in g.items)]
    rows = view.time_rows(plan) if plan is not None and action == "time" else None
    return {"tpage": view.page(shown), "node": node, "plan": plan, "groups": groups,
            "rows": rows, "action": action, "form": request.form}


def _planned(view: View, node: dc.Node, action: str) -> tuple[Any, Any]:
    """(the plan, None), or (None, a 422 answer with the message) when the input is bad."""
    try:
        return _plan(view, node, action), None
    except dc.DecomposeError as exc:
        db.session.rollback()
        return None, render("targets/preview_page.html", "targets/_preview.html", status=422,
                            error=str(exc), **_preview_ctx(view, node, None, action))


@bp.post("/targets/node/<int:node_id>/<action>/preview")
@roles_required(*PLANNERS)
def target_preview(node_id: int, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    view, node = _view_for(node_id)
    plan, refused = _planned(view, node, action)
    if refused is not None:
        return refused
    db.session.rollback()  # a preview never writes
    return render("targets/preview_page.html", "targets/_preview.html", error=None,
                  **_preview_ctx(view, node, plan, action))


@bp.post("/targets/node/<int:node_id>/<action>/apply")
@roles_required(*PLANNERS)
def target_apply(node_id: int, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    view, node = _view_for(node_id)
    plan, refused = _planned(view, node, action)
    if refused is not None:
        # The refusal shows in the panel under the form the user tapped (scrolled into
        # view), not in place of the tree.
        refused.headers["HX-Retarget"] = f"#panel-{node_id}"
        refused.headers["HX-Reswap"] = "innerHTML show:top"
        return refused
    changed = dc.apply_plan(plan, current_user)
    db.session.commit()
    fresh = View(view.fy, view.metric, view.tier)
    tops = fresh.tops()
    target = fresh.tree.nodes.get(node_id)
    open_ids = {n.id for n in tops if n.id is not None} | _ancestors(target)
    if action == "decompose" and target is not None:
        open_ids.add(node_id)
    message = ngettext("Applied: %(num)d target changed.", "Applied: %(num)d targets changed.",
                       changed)
    # The result shows on the card the user changed (the page scrolls to it), or above the
    # tree when that card is not on the page.
    shown = target is not None and bool(_ancestors(target) & {n.id for n in tops})
    return _tree_page(fresh, tops, open_ids, message=message,
                      message_node=node_id if shown else None)


@bp.post("/targets/tier")
@roles_required(Role.ADMIN)
def target_tier() -> ResponseReturnValue:
    fy, metric, tier = _pick()
    error = None
    try:
        _writable(fy)
        pct = dc.parse_numbers(request.form.get("percent"), _("Percent"), dc.MIN_GROWTH,
                               dc.MAX_GROWTH)
        if len(pct) != 1:
            raise dc.DecomposeError(_("Type one percentage."))
        dc.create_tier(fy, metric, tier, pct[0], current_user)
        db.session.commit()
    except dc.DecomposeError as exc:
        db.session.rollback()
        error = str(exc)
    view = View(fy, metric, tier)
    tops = view.tops()
    return _tree_page(view, tops, {n.id for n in tops if n.id is not None},
                      status=422 if error else 200, tier_error=error)


@bp.get("/targets/node/<int:node_id>/time")
@roles_required(*PLANNERS)
def target_time(node_id: int) -> ResponseReturnValue:
    view, node = _view_for(node_id)
    shown = dc.time_view(view.fy, node, view.tree.additive, view.ctx.company,
                         request.args.get("month", ""))
    return render("targets/time.html", "targets/_time.html", tpage=view.page([node]),
                  node=node, **shown)


@bp.app_template_global()
def unit_hint(metric: Metric) -> str:
    unit = str(metric.unit)
    if unit == "money":
        return _("CNY")
    if unit == "percent":
        return "%"
    return _("count")


@bp.app_template_global()
def time_label(method: str) -> str:
    return {"working_days": _("by working days"), "equal": _("equal months"),
            "profile": _("seasonal profile"), "last_year": _("last year's months"),
            "growth": _("growth over last year"), "quarters": _("typed quarters")
            }.get(method, method)


@bp.app_template_global()
def dekad_label(i: int) -> str:
    return (_("Early month"), _("Mid month"), _("Late month"))[i]


@bp.app_template_global()
def weekday_heads() -> list[tuple[str, str]]:
    """(short, full) weekday names, Monday first, for a month grid's header row."""
    return [(_("Mo"), _("Monday")), (_("Tu"), _("Tuesday")), (_("We"), _("Wednesday")),
            (_("Th"), _("Thursday")), (_("Fr"), _("Friday")), (_("Sa"), _("Saturday")),
            (_("Su"), _("Sunday"))]


@bp.app_template_global()
def weekday_label(d: date) -> str:
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[d.weekday()]


bp.add_app_template_global(tier_label, "tier_label")

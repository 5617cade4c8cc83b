"""A rep joins mid-year: a share of the team's remaining target, by capability or typed.

The newcomer's months are those not begun yet (the month after today's onward; every
month of a later fiscal year). Each month's share is taken from the unlocked teammates
in proportion to what each holds that month (an unassigned slot left by someone who
left goes first), so the team target, its past months and the teammates' past months
are unchanged.

- **By capability**: each month, the newcomer's part of what the unlocked teammates hold
  is their capability over the capabilities of those teammates plus theirs.
- **Typed**: an amount per metric (base tier) for the months left, spread over them in
  proportion to the team's months; the sprint and challenge tiers take the same
  fraction of their own months left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ...engine import Node, TreeError, allocate, handover
from ...extensions import db
from ...models import Metric, Role, Tier, User
from ...refusal import Refused, refuse
from ..targets import DecomposeError, Tree, parse_amount
from .trees import TreePlan, Trees, check_actor, month_index, today_of, worded_tree_error

MODES = ("capability", "typed")


@dataclass
class JoinPlan:
    rep: User
    mode: str
    typed: dict[int, int]  # metric id -> the typed amount (base tier)
    free: dict[int, int]  # metric id -> what the unlocked teammates hold in the months left
    metrics: list[Metric] = field(default_factory=list)
    trees: list[TreePlan] = field(default_factory=list)


def _parents(tree: Tree, unit_id: int) -> list[Node]:
    return [n for n in tree.nodes.values()
            if n.user_id is None and n.unit_id == unit_id and n.split_dim == "rep"]


def _first(trees: Trees, tree: Tree) -> int:
    return min(12, month_index(tree.fy, trees.today) + 1)


def _free(parents: list[Node], first: int) -> list[int]:
    """Per month, what the unlocked teammates hold (0 before `first`)."""
    out = [0] * 12
    for p in parents:
        for s in p.children:
            if not s.locked:  # the teammates' and an unassigned slot's
                for m in range(first, 12):
                    out[m] += s.months[m]
    return out


def join_metrics(rep: User, today: date | None = None) -> tuple[list[Metric], dict[int, int]]:
    """The additive metrics of the team's base tier, with what the team has left."""
    trees = Trees.of(rep, today_of(rep, today), parents_of=rep)
    free: dict[int, int] = {}
    metrics = []
    for tree in trees.trees:
        if tree.tier != Tier.BASE or not tree.additive:
            continue
        if tree.metric.id not in free:
            metrics.append(tree.metric)
        free[tree.metric.id] = free.get(tree.metric.id, 0) + sum(
            _free(_parents(tree, rep.unit_id), _first(trees, tree)))
    return metrics, free


def _typed(form: dict[str, str], metrics: list[Metric],
           free: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    errors: dict[str, str] = {}
    for m in metrics:
        name = f"share_{m.id}"
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = parse_amount(raw, m)
        except DecomposeError as exc:
            errors[name] = exc.message
            continue
        if value > free.get(m.id, 0):
            errors[name] = _("More than the team has left for the months to come.")
        out[m.id] = value
    if errors:
        raise Refused(_("Check the shares; nothing was changed."), errors)
    if not out:
        refuse("mode", _("Type a share for at least one metric, or choose by capability."))
    return out


def preview_join(actor: User, rep: User, form: dict[str, str],
                 today: date | None = None) -> JoinPlan:
    check_actor(actor, rep)
    if not rep.active or rep.role != Role.REP:
        refuse("rep", _("Only an active rep joins a team's targets."))
    day = today_of(rep, today)
    if Trees.of(rep, day).trees:
        refuse("rep", _("%(name)s already has targets this year: adjust them on Targets.",
                        name=rep.display_name))
    mode = form.get("mode", "")
    if mode not in MODES:
        refuse("mode", _("Choose by capability or typed."))
    metrics, free = join_metrics(rep, day)
    if not metrics:
        refuse("rep", _("%(team)s has no target split to its reps yet: decompose it on "
                        "Targets first.", team=rep.unit.name))
    typed = _typed(form, metrics, free) if mode == "typed" else {}
    plan = JoinPlan(rep, mode, typed, free, metrics)
    trees = Trees.of(rep, day, parents_of=rep)
    for tree in trees.trees:
        label = trees.label(tree)
        try:
            parents = _parents(tree, rep.unit_id)
            for p, share in zip(parents, _shares(tree, parents, plan, _first(trees, tree)),
                                strict=True):
                if share is None:
                    continue
                joiner = handover.new_node(p, rep.unit_id, rep.id, tree.additive)
                jp = handover.plan_join(tree, joiner, share)
                plan.trees.append(TreePlan(tree, jp, label))
        except TreeError as exc:
            raise worded_tree_error(exc, label, tree) from None
    return plan


def _shares(tree: Tree, parents: list[Node], plan: JoinPlan,
            first: int) -> list[list[int] | None]:
    """The newcomer's month shares under each parent (None: nothing for this metric)."""
    if not tree.additive:
        return [[0] * 12 for _p in parents]
    frees = [_free([p], first) for p in parents]
    if plan.mode == "capability":
        return [_by_capability(p, f, plan.rep) for p, f in zip(parents, frees, strict=True)]
    typed = plan.typed.get(tree.metric.id)
    base_free = plan.free.get(tree.metric.id, 0)
    if typed is None or base_free == 0:
        return [None for _p in parents]
    if tree.tier == Tier.BASE:  # exact: the typed amount, to the fen
        parts = allocate(typed, [sum(f) for f in frees])
        return [allocate(part, f) if part else [0] * 12
                for part, f in zip(parts, frees, strict=True)]
    return [[allocate(x, [typed, base_free - typed])[0] if x else 0 for x in f]
            for f in frees]


def _by_capability(parent: Node, free: list[int], rep: User) -> list[int]:
    mates = [s.user_id for s in parent.children if not s.locked and s.user_id]
    caps = dict(db.session.execute(select(User.id, User.capability).where(
        User.id.in_(mates))).all())
    others = sum(int(c) for c in caps.values())
    mine = rep.capability
    if mine + others == 0:
        mine, others = 1, len(mates)
    return [allocate(x, [mine, others])[0] if x else 0 for x in free]


def apply_join(actor: User, rep: User, form: dict[str, str],
               today: date | None = None) -> JoinPlan:
    from .trees import audit, write

    plan = preview_join(actor, rep, form, today)
    write(plan.trees, actor, "join")
    audit(actor, "join", "user", rep.id, "targets", None, plan.mode,
          typed={str(k): v for k, v in plan.typed.items()})
    return plan

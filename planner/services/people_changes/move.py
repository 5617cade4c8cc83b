"""A rep moves to another team. The history gets a row (tracking counts their figures
before the move for the old team, from the move on for the new one), and their
remaining targets (the rule of ``trees``) either move with them, into a target of
theirs under the new team's, the branches above both changing up to the common
ancestor; or stay with the old team: spread over the teammates, or kept unassigned.
The past months stay in their target under the old team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ...engine import Node, Plan, TreeError, handover
from ...models import OrgUnit, Role, UnitKind, User
from ...refusal import Refused, refuse
from ..membership import record_move
from ..targets import Tree
from .leave import _merge, _slot, _weights, manager_of
from .trees import (
    TreePlan,
    Trees,
    audit,
    check_actor,
    find_unit,
    moving_months,
    today_of,
    worded_tree_error,
    write,
)

TARGET_MODES = ("move", "spread", "unassigned")


@dataclass
class MovePlan:
    rep: User
    old_unit: OrgUnit
    new_unit: OrgUnit
    targets: str
    day: date
    trees: list[TreePlan] = field(default_factory=list)


def preview_move(actor: User, rep: User, form: dict[str, str],
                 today: date | None = None) -> MovePlan:
    check_actor(actor, rep)
    if not rep.active or rep.role != Role.REP:
        refuse("unit", _("Only an active rep moves team here."))
    unit = find_unit(actor, "unit", form.get("unit"))
    if unit.id == rep.unit_id:
        refuse("unit", _("%(name)s is already in %(team)s.", name=rep.display_name,
                         team=unit.name))
    if unit.kind != UnitKind.TEAM:
        refuse("unit", _("Choose a team (reps belong to teams)."))
    targets = form.get("targets", "")
    if targets not in TARGET_MODES:
        refuse("targets", _("Choose where the remaining targets go."))
    day = today_of(rep, today)
    plan = MovePlan(rep, rep.unit, unit, targets, day)
    trees = Trees.of(rep, day, units=(unit.id,))
    for tree in trees.trees:
        label = trees.label(tree)
        try:
            tp = _plan_tree(trees, tree, rep, unit, targets)
        except TreeError as exc:
            raise worded_tree_error(exc, label, tree) from None
        if tp is not None:
            plan.trees.append(TreePlan(tree, tp, label))
    return plan


def _new_parent(tree: Tree, old_parent: Node, unit: OrgUnit) -> Node | None:
    """The new team's target split to reps, in the same branch (product line, channel,
    customer type) as the old one."""
    for n in tree.nodes.values():
        if n.user_id is None and n.unit_id == unit.id and n.split_dim == "rep" \
                and n.product_line_id == old_parent.product_line_id \
                and n.channel_id == old_parent.channel_id \
                and n.customer_type_id == old_parent.customer_type_id:
            return n
    return None


def _plan_tree(trees: Trees, tree: Tree, rep: User, unit: OrgUnit,
               targets: str) -> Plan | None:
    nodes = trees.own_nodes(tree, rep.id)
    if not nodes:
        return None
    first = trees.first_month(tree)
    got = trees.achieved(rep, tree)
    plans = []
    for node, moving in zip(nodes, moving_months(nodes, first, got), strict=True):
        if not tree.additive and targets != "move":
            continue
        if targets == "spread":
            if any(moving):
                plans.append(handover.plan_spread(tree, node, moving, _weights(node)))
            continue
        if targets == "unassigned":
            if any(moving):
                plans.append(handover.plan_transfer(tree, node, moving, _slot(node, None)))
            continue
        assert node.parent is not None
        parent = _new_parent(tree, node.parent, unit)
        if parent is None:
            raise Refused(_("%(metric)s: %(team)s has no target split to its reps yet; "
                            "decompose it first, or keep the targets on the old team "
                            "(nothing was changed).", metric=tree.metric.name,
                            team=unit.name), {"targets": _("Not possible for this team.")})
        dest = next((s for s in parent.children if s.user_id == rep.id), None) \
            or handover.new_node(parent, unit.id, rep.id, tree.additive)
        plans.append(handover.plan_transfer(tree, node, moving, dest))
    return _merge(tree, nodes[0], plans)


def apply_move(actor: User, rep: User, form: dict[str, str],
               today: date | None = None) -> MovePlan:
    """Write the move (the caller commits)."""
    plan = preview_move(actor, rep, form, today)
    write(plan.trees, actor, "move")
    old = plan.old_unit.id
    record_move(rep, plan.new_unit, plan.day)
    boss = manager_of_unit(rep)
    rep.manager_id = boss.id if boss is not None else None
    audit(actor, "move", "user", rep.id, "unit", old, plan.new_unit.id,
          day=plan.day.isoformat(), targets=plan.targets)
    return plan


def manager_of_unit(rep: User) -> User | None:
    """The nearest active manager above the rep's (new) unit."""
    rep.manager_id = None
    return manager_of(rep)

"""A rep leaves: their remaining targets go to the teammates, a successor or an
unassigned slot on the team; their customers and open follow-ups to a successor or the
manager; then they are deactivated. Their achieved figures stay theirs (visits keep
their author) and every parent target keeps its value: the team's totals do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ...engine import Change, Node, Plan, TreeError, handover
from ...extensions import db
from ...models import Customer, PushSubscription, Reminder, ReminderStatus, Role, Stage, User
from ...refusal import Refused, refuse
from ..targets import Tree
from .trees import (
    TreePlan,
    Trees,
    audit,
    check_actor,
    find_user,
    moving_months,
    today_of,
    worded_tree_error,
    write,
)

TARGET_MODES = ("spread", "successor", "unassigned")
CUSTOMER_MODES = ("successor", "manager")


@dataclass
class LeavePlan:
    """What a rep leaving changes, computed and not written (the preview)."""

    rep: User
    targets_to: str
    customers_to: str
    successor: User | None
    heir: User  # who gets the customers
    customers: int
    follow_ups: int
    trees: list[TreePlan] = field(default_factory=list)


def manager_of(rep: User) -> User | None:
    """The rep's manager: `manager_id` if active, else the nearest active manager whose
    unit holds the rep's."""
    if rep.manager_id is not None:
        m = db.session.get(User, rep.manager_id)
        if m is not None and m.active:
            return m
    from ..reviews import approvers

    found = [u for u in approvers(rep) if u.role == Role.MANAGER]
    return found[0] if found else None


def _parse(actor: User, rep: User, form: dict[str, str]) -> tuple[str, str, User | None]:
    targets_to = form.get("targets_to", "")
    customers_to = form.get("customers_to", "")
    errors: dict[str, str] = {}
    if targets_to not in TARGET_MODES:
        errors["targets_to"] = _("Choose where the targets go.")
    if customers_to not in CUSTOMER_MODES:
        errors["customers_to"] = _("Choose who gets the customers.")
    if errors:
        raise Refused("", errors)
    need = "successor" in (targets_to, customers_to)
    successor = find_user(actor, "successor", form.get("successor"), required=need)
    if successor is not None:
        if successor.id == rep.id:
            refuse("successor", _("The successor cannot be the person who leaves."))
        if successor.role != Role.REP:
            refuse("successor", _("The successor must be a rep."))
        if targets_to == "successor" and successor.unit_id != rep.unit_id:
            refuse("successor", _("%(name)s is not in %(team)s: move them to the team "
                                  "first, so the team's totals stay as they are.",
                                  name=successor.display_name, team=rep.unit.name))
    return targets_to, customers_to, successor


def preview_leave(actor: User, rep: User, form: dict[str, str],
                  today: date | None = None) -> LeavePlan:
    """The leave's plan (nothing written); a Refused for bad input, LookupError when the
    actor may not act on `rep`."""
    check_actor(actor, rep)
    if not rep.active:
        refuse("rep", _("%(name)s has already left.", name=rep.display_name))
    if rep.role != Role.REP:
        refuse("rep", _("Only a rep leaves here; a manager is replaced on the manager "
                        "page."))
    targets_to, customers_to, successor = _parse(actor, rep, form)
    heir = successor if customers_to == "successor" else manager_of(rep)
    if heir is None:
        refuse("customers_to", _("%(name)s has no manager: choose a successor.",
                                 name=rep.display_name))
    day = today_of(rep, today)
    trees = Trees.of(rep, day)
    plan = LeavePlan(rep, targets_to, customers_to, successor, heir, *_counts(rep, day))
    for tree in trees.trees:
        label = trees.label(tree)
        try:
            tp = _plan_tree(trees, tree, rep, targets_to, successor)
        except TreeError as exc:
            raise worded_tree_error(exc, label, tree) from None
        if tp is not None:
            plan.trees.append(TreePlan(tree, tp, label))
    return plan


def _plan_tree(trees: Trees, tree: Tree, rep: User, targets_to: str,
               successor: User | None) -> Plan | None:
    """One tree: each of the rep's targets in it hands over its months left."""
    nodes = trees.own_nodes(tree, rep.id)
    if not nodes or not tree.additive:
        return None
    first = trees.first_month(tree)
    got = trees.achieved(rep, tree)
    plans = []
    for node, moving in zip(nodes, moving_months(nodes, first, got), strict=True):
        if not any(moving):
            continue
        if targets_to == "spread":
            plans.append(handover.plan_spread(tree, node, moving, _weights(node)))
        else:
            dest = _slot(node, successor.id if targets_to == "successor" and successor
                         else None)
            plans.append(handover.plan_transfer(tree, node, moving, dest))
    return _merge(tree, nodes[0], plans)


def _weights(node: Node) -> list[int] | None:
    """The tree's method for the teammates: by capability when the team was split so,
    equal when equally; else (last year, typed weights) in proportion to each one's
    month."""
    parent = node.parent
    method = parent.split_method if parent is not None else None
    mates = handover._teammates(node)
    if method == "equal":
        return [1] * len(mates)
    if method == "capability":
        caps = dict(db.session.execute(select(User.id, User.capability).where(
            User.id.in_([s.user_id for s in mates]))).all())
        return [int(caps.get(s.user_id or 0, 0)) for s in mates]
    return None


def _slot(node: Node, user_id: int | None) -> Node:
    """The target under the same parent that takes the months: the successor's (or the
    team's unassigned one) if there is one, else a new one."""
    parent = node.parent
    assert parent is not None
    for s in parent.children:
        if s is not node and s.user_id == user_id and s.dim == node.dim:
            return s
    return handover.new_node(parent, node.unit_id, user_id)


def _merge(tree: Tree, target: Node,
           plans: list[Plan]) -> Plan | None:
    """Several targets of the rep in one tree (split by product line above the team):
    their plans touch disjoint branches below the common ancestors; the changes of a
    target changed twice are folded into one."""
    if not plans:
        return None
    if len(plans) == 1:
        return plans[0]
    out = Plan(tree, "edit", target)
    seen: dict[int, Change] = {}
    for p in plans:
        for ch in p.changes:
            was = seen.get(id(ch.node))
            if was is None:
                seen[id(ch.node)] = ch
                out.changes.append(ch)
            else:
                was.new_value, was.new_months = ch.new_value, ch.new_months
                was.new_locked = ch.new_locked
        out.new_nodes.extend(p.new_nodes)
    return out


def _counts(rep: User, day: date) -> tuple[int, int]:
    customers = db.session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == rep.id)) or 0
    follow_ups = db.session.scalar(
        select(func.count(Customer.id)).join(Stage, Stage.id == Customer.stage_id)
        .where(Customer.owner_id == rep.id, Customer.next_follow_up.is_not(None),
               Stage.is_lost.is_(False), Stage.is_won.is_(False))) or 0
    return int(customers), int(follow_ups)


def apply_leave(actor: User, rep: User, form: dict[str, str],
                today: date | None = None) -> LeavePlan:
    """Write the leave (the caller commits): targets, customers, deactivation, audit."""
    plan = preview_leave(actor, rep, form, today)
    write(plan.trees, actor, "leave")
    ids = list(db.session.scalars(select(Customer.id).where(Customer.owner_id == rep.id)))
    if ids:
        db.session.execute(update(Customer).where(Customer.id.in_(ids))
                           .values(owner_id=plan.heir.id))
    audit(actor, "leave", "user", rep.id, "customers", rep.id, plan.heir.id,
          customers=len(ids), follow_ups=plan.follow_ups, targets_to=plan.targets_to,
          successor=plan.successor.id if plan.successor else None)
    _deactivate(actor, rep)
    return plan


def _deactivate(actor: User, user: User) -> None:
    """Deactivate `user`: no more login (sessions end: the session token rotates), no
    push subscription, no pending reminder; the last active admin is refused; audited.

    INTEGRATOR: switch this body to `planner.services.org.deactivate_user(actor, user)`
    once org's branch is merged (it does the same, with its own audit rows)."""
    if user.role == Role.ADMIN:
        others = db.session.scalar(select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id,
            User.unit_id.in_(_company_units(user)))) or 0
        if not others:
            refuse("rep", _("%(name)s is the last administrator and cannot be "
                            "deactivated.", name=user.display_name))
    user.active = False
    user.rotate_session()
    db.session.execute(PushSubscription.__table__.delete().where(
        PushSubscription.user_id == user.id))
    db.session.execute(update(Reminder).where(
        Reminder.user_id == user.id, Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED))
    audit(actor, "deactivate", "user", user.id, "active", True, False)
    db.session.flush()


def _company_units(user: User) -> list[int]:
    from ...models import OrgUnit

    return list(db.session.scalars(select(OrgUnit.id).where(
        OrgUnit.company_id == user.unit.company_id)))

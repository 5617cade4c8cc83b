"""What every people change shares: who may make it, the target trees a person is in,
the months that are left, naming targets for the preview, and writing the plans.

**Remaining months** (the rule every flow uses): the fiscal years not ended yet; in the
current one, every month after the current month moves whole, and of the current month
the person keeps what they achieved in it so far (never more than the month's target),
the rest moves. Earlier months stay exactly as they are: what was achieved stays
credited where it was, and so do the targets it was measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ...access import can_see_unit, can_see_user
from ...engine import Change, Node, Plan, TreeError
from ...extensions import db
from ...models import AuditLog, FiscalYear, Metric, OrgUnit, Role, Target, Tier, User
from ...refusal import Refused, refuse
from ..actuals import daily_actuals, totals
from ..company import local_today
from ..targets import Context, Tree, apply_plan, fy_months, fy_quarters, insert_nodes, worded
from .branches import load_branches


def check_actor(actor: User, subject: User) -> None:
    """The admin of the subject's company, or a manager whose unit holds the subject (not
    themselves); anybody else gets "not found" (a LookupError: the view answers 404)."""
    if actor.role == Role.ADMIN:
        if actor.company.id != subject.company.id:
            raise LookupError(subject.id)
        return
    if actor.role != Role.MANAGER or actor.id == subject.id \
            or not can_see_user(actor, subject.id):
        raise LookupError(subject.id)


def find_user(actor: User, field_name: str, raw: str | int | None, *,
              required: bool = True) -> User | None:
    """A person of the actor's reach named in a form field, or a refusal on that field."""
    text = str(raw or "").strip()
    if not text:
        if required:
            refuse(field_name, _("Choose a person."))
        return None
    if not text.isdigit():
        refuse(field_name, _("Choose a person from the list."))
    other = db.session.get(User, int(text))
    if other is None or other.company.id != actor.company.id \
            or not can_see_user(actor, other.id):
        refuse(field_name, _("This person is not in your company or your unit."))
    if not other.active:
        refuse(field_name, _("%(name)s has left the company.", name=other.display_name))
    return other


def find_unit(actor: User, field_name: str, raw: str | int | None) -> OrgUnit:
    text = str(raw or "").strip()
    if not text.isdigit():
        refuse(field_name, _("Choose a team."))
    unit = db.session.get(OrgUnit, int(text))
    if unit is None or unit.company_id != actor.company.id or not can_see_unit(actor, unit.id):
        refuse(field_name, _("This team is not in your company or your unit."))
    return unit


def today_of(user: User, today: date | None) -> date:
    return today or local_today(user.company)


def open_years(company_id: int, today: date) -> list[FiscalYear]:
    """The fiscal years not ended on `today` (the current one and any later one)."""
    return list(db.session.scalars(select(FiscalYear).where(
        FiscalYear.company_id == company_id, FiscalYear.end >= today)
        .order_by(FiscalYear.start)))


def month_index(fy: FiscalYear, today: date) -> int:
    """The index of the month holding `today` (-1 before the year, 12 after it)."""
    for i, p in enumerate(fy_months(fy)):
        if p.start <= today <= p.end:
            return i
    return -1 if today < fy.start else 12


@dataclass
class TreePlan:
    """One tree's plan, with what the preview says of it."""

    tree: Tree
    plan: Plan
    label: Callable[[Node], str]

    def __post_init__(self) -> None:
        for ch in self.plan.changes:
            ch.label = self.label(ch.node)

    @property
    def rows(self) -> list[Change]:
        return self.plan.value_changes


@dataclass
class Trees:
    """The target trees of the open fiscal years that hold a person, loaded once."""

    person: User
    today: date
    trees: list[Tree] = field(default_factory=list)
    contexts: dict[int, Context] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    _achieved: dict[int, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, person: User, today: date, parents_of: User | None = None,
           units: tuple[int, ...] = ()) -> Trees:
        """Every tree with a target of `person` (or, for a newcomer, of the team of
        `parents_of`'s unit), loaded as far as a change needs (``branches``): with the
        teams of the person's targets and of `units`."""
        out = cls(person, today)
        for fy in open_years(person.company.id, today):
            keys = _tree_keys(fy, person, parents_of)
            metrics = {m.id: m for m in db.session.scalars(
                select(Metric).where(Metric.id.in_({k[0] for k in keys})))}
            extra = (*units, parents_of.unit_id) if parents_of is not None else units
            for (mid, tier), teams in sorted(keys.items(),
                                             key=lambda k: (metrics[k[0][0]].sort, k[0][1])):
                out.trees.append(load_branches(fy, metrics[mid], Tier(tier), teams, extra))
        out.names = dict(db.session.execute(select(User.id, User.display_name).where(
            User.id.in_({n.user_id for t in out.trees for n in t.nodes.values()
                         if n.user_id is not None}))).all())
        return out

    def label(self, tree: Tree) -> Callable[[Node], str]:
        ctx = self.contexts.get(id(tree))
        if ctx is None:
            first = next(iter(self.contexts.values()), None)
            ctx = self.contexts[id(tree)] = Context(tree.fy, tree.metric, like=first)

        def name(node: Node) -> str:
            if node.user_id is not None and (node.dim == "rep" or node.parent is None
                                             or node.parent.user_id is None):
                return self.name_of(node.user_id)
            if node.dim == "rep" and node.user_id is None:
                team = ctx.label(node.parent) if node.parent is not None else ""
                return str(_("Unassigned (%(team)s)", team=team))
            return str(ctx.label(node))
        return name

    def name_of(self, user_id: int) -> str:
        """A person's name (a successor or newcomer may have no target yet)."""
        if user_id not in self.names:
            u = db.session.get(User, user_id)
            self.names[user_id] = u.display_name if u is not None else "?"
        return self.names[user_id]

    def achieved(self, user: User, tree: Tree) -> int:
        """The person's achieved of the tree's metric in the current month so far (one
        query per fiscal year for every metric)."""
        got = self._achieved.get(tree.fy.id)
        if got is None:
            metrics = list(db.session.scalars(select(Metric).where(
                Metric.company_id == tree.fy.company_id)))
            got = self._achieved[tree.fy.id] = achieved_this_month(
                user, tree.fy, self.today, metrics)
        return got.get(tree.metric.id, 0)

    def first_month(self, tree: Tree) -> int:
        return max(0, month_index(tree.fy, self.today))

    def own_nodes(self, tree: Tree, user_id: int) -> list[Node]:
        """The person's top targets in a tree (not their own split below them)."""
        return [n for n in tree.nodes.values() if n.user_id == user_id
                and (n.parent is None or n.parent.user_id != user_id)]


def _tree_keys(fy: FiscalYear, person: User,
               parents_of: User | None) -> dict[tuple[int, str], set[int]]:
    """{(metric, tier): the parents of the person's targets} of the trees involved."""
    where = [Target.fiscal_year_id == fy.id]
    if parents_of is None:
        where.append(Target.user_id == person.id)
    else:
        where += [Target.unit_id == parents_of.unit_id, Target.user_id.is_(None)]
    out: dict[tuple[int, str], set[int]] = {}
    for m, t, parent in db.session.execute(
            select(Target.metric_id, Target.tier, Target.parent_id).where(*where)).all():
        key = (int(m), str(t.value if isinstance(t, Tier) else t))
        out.setdefault(key, set())
        if parent is not None and parents_of is None:
            out[key].add(int(parent))
    return out


def achieved_this_month(user: User, fy: FiscalYear, today: date,
                        metrics: list[Metric]) -> dict[int, int]:
    """{metric id: the person's achieved in the current month so far} (additive metrics
    with an actual from visits)."""
    idx = month_index(fy, today)
    if not 0 <= idx < 12:
        return {}
    start = fy_months(fy)[idx].start
    got = totals(daily_actuals([user.id], start, today), start, today)
    return {m.id: got.get(m.source or "", 0) for m in metrics if m.additive and m.source}


def moving_months(nodes: list[Node], first: int, achieved: int) -> Iterator[list[int]]:
    """Per node: the amount of each month that leaves it (see the module's rule);
    `achieved` this month is kept, node by node, up to each node's month."""
    left = achieved
    for n in nodes:
        row = [0] * 12
        for m in range(max(first, 0), 12):
            row[m] = n.months[m]
        if 0 <= first < 12:
            keep = min(left, n.months[first])
            row[first] = n.months[first] - keep
            left -= keep
        yield row


def worded_tree_error(exc: TreeError, tp_label: Callable[[Node], str], tree: Tree) -> Refused:
    """The engine's refusal in the person's words."""
    node = exc.node
    who = tp_label(node) if node is not None else ""
    if exc.cause == "no_teammates":
        return Refused(_("%(metric)s: %(name)s has no unlocked teammate to take the months "
                         "left. Unlock a teammate's target, or choose a successor or "
                         "\"keep on the team\"; nothing was changed.",
                         metric=tree.metric.name, name=who))
    if exc.cause == "share_too_large":
        d = exc.details
        month = fy_months(tree.fy)[d["month"]].label
        return Refused(_("%(metric)s: the share for %(month)s is more than the unlocked "
                         "teammates hold that month (%(free)s); nothing was changed.",
                         metric=tree.metric.name, month=month, free=str(d["free"])),
                       {"share": _("More than the team has left.")})
    return Refused(worded(exc, tp_label, tree.metric).message)


def write(tree_plans: list[TreePlan], actor: User, kind: str) -> int:
    """Write every tree's plan: new targets first (their ids), then the changes, each
    with its audit rows (action `kind`). Returns the number of targets changed."""
    conn = db.session.connection()
    n = 0
    for tp in tree_plans:
        plan, tree = tp.plan, tp.tree
        if plan.new_nodes:
            insert_nodes(conn, tree.fy.id, tree.metric.id, tree.tier,
                         sorted(plan.new_nodes, key=lambda x: x.depth), tree.additive,
                         actor.id, fy_months(tree.fy), fy_quarters(tree.fy))
        plan.kind = kind
        plan.changes = [c for c in plan.changes if not c.created] + \
            [c for c in plan.changes if c.created]
        n += apply_plan(plan, actor)
    db.session.expire_all()
    return n


def audit(actor: User, action: str, entity: str, entity_id: int | None, field_name: str,
          old: object, new: object, **details: object) -> None:
    db.session.add(AuditLog(user_id=actor.id, action=action, entity=entity,
                            entity_id=entity_id, field=field_name,
                            old_value=None if old is None else str(old),
                            new_value=None if new is None else str(new),
                            details=details or None))


"""A manager leaves or changes: a successor takes their unit.

Who approves a weekly review is not stored: ``reviews.approvers(author)`` finds the
nearest active managers above the author's unit when it is asked (submitting, the
review group reminder, the approval page). So once the successor is the unit's active
manager (and the old one is deactivated or no longer a manager), every waiting review
and the team digest (``reminders``: managers by role, their unit's figures) go to the
successor. What is done here: the successor becomes the unit's manager (moved into it,
with a history row, if they were elsewhere), the people whose ``manager_id`` named the
old manager name the successor, each waiting review is announced to the successor (the
bell and push), and the old manager leaves (deactivated) or stays as a rep of the unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update

from ...extensions import db
from ...models import OrgUnit, ReviewStatus, Role, Target, User, WeeklyReview
from ...refusal import refuse
from ..membership import record_move
from .leave import _deactivate
from .trees import audit, check_actor, find_user, open_years, today_of

OLD_MODES = ("leave", "rep")


@dataclass
class ManagerPlan:
    manager: User
    successor: User
    old: str  # leave | rep
    unit: OrgUnit
    reports: list[User] = field(default_factory=list)  # people whose manager changes
    waiting: list[WeeklyReview] = field(default_factory=list)


def preview_manager_change(actor: User, manager: User, form: dict[str, str],
                           today: date | None = None) -> ManagerPlan:
    check_actor(actor, manager)
    if manager.role != Role.MANAGER or not manager.active:
        refuse("successor", _("%(name)s is not an active manager.",
                              name=manager.display_name))
    old = form.get("old", "")
    if old not in OLD_MODES:
        refuse("old", _("Choose what happens to %(name)s.", name=manager.display_name))
    successor = find_user(actor, "successor", form.get("successor"))
    assert successor is not None
    if successor.id == manager.id:
        refuse("successor", _("The successor cannot be the manager who is replaced."))
    if successor.role == Role.ADMIN:
        refuse("successor", _("An administrator already sees every unit: choose a rep or "
                              "a manager."))
    day = today_of(manager, today)
    years = [fy.id for fy in open_years(manager.company.id, day)]
    if successor.role == Role.REP and years and db.session.scalar(
            select(Target.id).where(Target.user_id == successor.id,
                                    Target.fiscal_year_id.in_(years)).limit(1)):
        refuse("successor", _("%(name)s has targets as a rep: hand them over first (a rep "
                              "leaves: to a successor, or kept on the team).",
                              name=successor.display_name))
    reports = list(db.session.scalars(select(User).where(
        User.manager_id == manager.id, User.id != successor.id, User.active.is_(True))
        .order_by(User.display_name)))
    under = select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id).where(
        OrgUnit.path.startswith(manager.unit.path), User.role == Role.REP)
    waiting = list(db.session.scalars(select(WeeklyReview).where(
        WeeklyReview.status == ReviewStatus.SUBMITTED, WeeklyReview.user_id.in_(under))
        .order_by(WeeklyReview.week_start)))
    return ManagerPlan(manager, successor, old, manager.unit, reports, waiting)


def apply_manager_change(actor: User, manager: User, form: dict[str, str],
                         today: date | None = None) -> ManagerPlan:
    """Write the change (the caller commits)."""
    plan = preview_manager_change(actor, manager, form, today)
    succ, day = plan.successor, today_of(manager, today)
    if succ.unit_id != plan.unit.id:
        old_unit = succ.unit_id
        record_move(succ, plan.unit, day)
        audit(actor, "manager_change", "user", succ.id, "unit", old_unit, plan.unit.id)
    if succ.role != Role.MANAGER:
        audit(actor, "manager_change", "user", succ.id, "role", succ.role.value,
              Role.MANAGER.value)
        succ.role = Role.MANAGER
    succ.manager_id = manager.manager_id
    db.session.execute(update(User).where(User.manager_id == manager.id,
                                          User.id != succ.id).values(manager_id=succ.id))
    audit(actor, "manager_change", "user", manager.id, "manager", manager.id, succ.id,
          unit=plan.unit.id, reports=[u.id for u in plan.reports],
          waiting_reviews=[r.id for r in plan.waiting], then=plan.old)
    if plan.old == "leave":
        _deactivate(actor, manager)
    else:
        audit(actor, "manager_change", "user", manager.id, "role", Role.MANAGER.value,
              Role.REP.value)
        manager.role = Role.REP
        manager.manager_id = succ.id
    db.session.flush()
    _announce(plan.waiting)
    return plan


def _announce(waiting: list[WeeklyReview]) -> None:
    """Each waiting review, announced to whoever approves it now (the successor)."""
    from ..reviews import _notify_submitted

    for review in waiting:
        author = db.session.get(User, review.user_id)
        if author is not None:
            _notify_submitted(review, author)

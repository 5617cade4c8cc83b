"""The set-up checklist an administrator lands on until every step is done (or they put
it away): company details; organisation and people; catalogue; metrics; the fiscal year
and its company targets; decomposition; inviting the reps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Company,
    FiscalYear,
    Metric,
    OrgUnit,
    ProductLine,
    Role,
    Target,
    User,
)
from .invitations import UNUSABLE, pending

STEPS = ("company", "organisation", "catalogue", "metrics", "fiscal_year",
         "decomposition", "invite")


@dataclass
class Step:
    key: str
    done: bool


def _count(q: Any) -> int:
    return int(db.session.scalar(q) or 0)


def _reps_invited(company_id: int) -> bool:
    reps = db.session.execute(
        select(User.id, User.password_hash).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(OrgUnit.company_id == company_id, User.role == Role.REP,
               User.active.is_(True))).all()
    waiting = [uid for uid, pw in reps if pw.startswith(UNUSABLE)]
    return bool(reps) and pending(waiting) == set(waiting)


def steps(company: Company) -> list[Step]:
    cid = company.id
    years = select(FiscalYear.id).where(FiscalYear.company_id == cid)
    units = _count(select(func.count(OrgUnit.id)).where(
        OrgUnit.company_id == cid, OrgUnit.parent_id.is_not(None)))
    reps = _count(select(func.count(User.id)).join(OrgUnit, OrgUnit.id == User.unit_id).where(
        OrgUnit.company_id == cid, User.role == Role.REP, User.active.is_(True)))
    done = {
        "company": bool(company.name and company.timezone and company.currency),
        "organisation": units > 0 and reps > 0,
        "catalogue": _count(select(func.count(ProductLine.id)).where(
            ProductLine.company_id == cid, ProductLine.active.is_(True))) > 0,
        "metrics": _count(select(func.count(Metric.id)).where(
            Metric.company_id == cid, Metric.active.is_(True))) > 0,
        "fiscal_year": _count(select(func.count(Target.id)).where(
            Target.fiscal_year_id.in_(years), Target.parent_id.is_(None))) > 0,
        "decomposition": _count(select(func.count(Target.id)).where(
            Target.fiscal_year_id.in_(years), Target.user_id.is_not(None))) > 0,
        "invite": _reps_invited(cid),
    }
    return [Step(k, done[k]) for k in STEPS]


def complete(company: Company) -> bool:
    return all(s.done for s in steps(company))


def lands_on_checklist(user: User) -> bool:
    """An administrator lands on the checklist until it is complete or put away."""
    if user.role != Role.ADMIN:
        return False
    company = user.unit.company
    return not company.setup_dismissed and not complete(company)

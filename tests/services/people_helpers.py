"""Helpers of the people-change tests: a target tree adds up, a snapshot of targets, a
new person, and tracking's figures against a plain query over the visits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select

from planner.extensions import db
from planner.models import (
    Company,
    FiscalYear,
    Metric,
    OrgUnit,
    Role,
    Target,
    TargetCell,
    Tier,
    UnitKind,
    UnitMembership,
    User,
    Visit,
)
from planner.services.targets import load_tree

MID_YEAR = date(2026, 6, 15)  # a working Monday; June is the current month


def user(username: str) -> User:
    u = db.session.scalar(select(User).where(User.username == username))
    assert u is not None
    return u


def team_of(username: str) -> OrgUnit:
    return user(username).unit


def other_team(unit: OrgUnit) -> OrgUnit:
    t = db.session.scalar(select(OrgUnit).where(
        OrgUnit.company_id == unit.company_id, OrgUnit.kind == UnitKind.TEAM,
        OrgUnit.id != unit.id).order_by(OrgUnit.id))
    assert t is not None
    return t


def new_rep(username: str, unit: OrgUnit, capability: int = 50,
            role: Role = Role.REP) -> User:
    u = User(username=username, display_name=username.title(), password_hash="x",
             role=role, unit_id=unit.id, capability=capability)
    db.session.add(u)
    db.session.flush()
    return u


def fiscal_year(company_id: int) -> FiscalYear:
    fy = db.session.scalar(select(FiscalYear).where(FiscalYear.company_id == company_id,
                                                    FiscalYear.year == 2026))
    assert fy is not None
    return fy


def assert_every_tree_adds_up(company_id: int) -> int:
    """Every parent equals the sum of its children, for the year and every month, in
    every (metric, tier) tree of the 2026 fiscal year; returns the parents checked."""
    fy = fiscal_year(company_id)
    checked = 0
    for mid, tier in db.session.execute(select(Target.metric_id, Target.tier).where(
            Target.fiscal_year_id == fy.id).distinct()).all():
        metric = db.session.get(Metric, mid)
        assert metric is not None
        tree = load_tree(fy, metric, Tier(tier))
        for node in tree.nodes.values():
            if tree.additive:
                assert sum(node.months) == node.value, (metric.code, node.id)
            if node.children and tree.additive:
                checked += 1
                assert sum(c.value for c in node.children) == node.value, (metric.code, node.id)
                for m in range(12):
                    assert sum(c.months[m] for c in node.children) == node.months[m], \
                        (metric.code, node.id, m)
    return checked


def targets_snapshot(company_id: int) -> dict[int, tuple[int, bool, tuple[int, ...]]]:
    fy = fiscal_year(company_id)
    cells: dict[int, list[int]] = {}
    for tid, value in db.session.execute(
            select(TargetCell.target_id, TargetCell.value).join(
                Target, Target.id == TargetCell.target_id)
            .where(Target.fiscal_year_id == fy.id, TargetCell.kind == "month")
            .order_by(TargetCell.target_id, TargetCell.start)).all():
        cells.setdefault(tid, []).append(int(value))
    return {t.id: (t.value, t.locked, tuple(cells.get(t.id, ())))
            for t in db.session.scalars(select(Target).where(Target.fiscal_year_id == fy.id))}


def visits_by_membership(unit: OrgUnit, start: date, end: date) -> tuple[int, int]:
    """(visits, amount signed) from `start` to `end` of the reps while they were in the
    unit's subtree, by the membership dates (no rows: the current unit), in plain SQL."""
    sub = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    m = UnitMembership
    in_history = select(m.id).where(
        m.user_id == Visit.user_id, m.unit_id.in_(sub),
        or_(m.start.is_(None), m.start <= Visit.local_date),
        or_(m.end.is_(None), m.end >= Visit.local_date)).exists()
    never_moved = and_(~select(m.id).where(m.user_id == Visit.user_id).exists(),
                       Visit.user_id.in_(select(User.id).where(User.unit_id.in_(sub),
                                                               User.role == Role.REP)))
    n, signed = db.session.execute(
        select(func.count(Visit.id), func.coalesce(func.sum(Visit.amount_signed), 0))
        .where(Visit.local_date >= start, Visit.local_date <= end,
               or_(in_history, never_moved))).one()
    return int(n), int(signed)


def second_company() -> tuple[Company, OrgUnit, User]:
    c = Company(name="Second Co")
    db.session.add(c)
    db.session.flush()
    root = OrgUnit(company_id=c.id, kind=UnitKind.COMPANY, code=f"SECOND-{c.id}",
                   name="Second")
    db.session.add(root)
    db.session.flush()
    root.set_path()
    stranger = User(username=f"stranger{c.id}", display_name="Stranger", password_hash="x",
                    role=Role.REP, unit_id=root.id)
    db.session.add(stranger)
    db.session.flush()
    return c, root, stranger

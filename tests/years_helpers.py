"""Helpers of the next-year tests: the company clock, an independent SQL over the
visits, cleaning a planned year away, a second company with no fiscal year."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, text

from planner.extensions import db
from planner.models import (
    Company,
    FiscalYear,
    Metric,
    MetricUnit,
    OrgUnit,
    Role,
    Target,
    TargetCell,
    UnitKind,
    User,
)
from planner.security import hash_password


@contextmanager
def company_clock(app: Flask, day: date) -> Iterator[None]:
    """The company's clock on `day` (config COMPANY_TODAY), as faketime would set it."""
    before = app.config.get("COMPANY_TODAY")
    app.config["COMPANY_TODAY"] = day
    try:
        yield
    finally:
        app.config["COMPANY_TODAY"] = before


def demo_year(app: Flask) -> int:
    with app.app_context():
        y = db.session.scalar(select(FiscalYear.year).join(Company).where(
            Company.name == "启明智能科技有限公司").order_by(FiscalYear.year))
        assert y is not None
        return int(y)


def revenue_actual_sql(company_id: int, start: date, end: date) -> int:
    """The revenue the company's reps logged from start to end, straight from SQL."""
    return int(db.session.execute(text(
        "SELECT COALESCE(SUM(v.amount_signed), 0) FROM visit v "
        "JOIN user_account u ON u.id = v.user_id JOIN org_unit o ON o.id = u.unit_id "
        "WHERE o.company_id = :c AND u.role = 'REP' "
        "AND v.local_date >= :s AND v.local_date <= :e"),
        {"c": company_id, "s": start, "e": end}).scalar_one())


def history_rows_sql(start: date, end: date) -> int:
    return int(db.session.execute(text(
        "SELECT COUNT(*) FROM monthly_actual WHERE month >= :s AND month <= :e"),
        {"s": start, "e": end}).scalar_one())


def drop_year(app: Flask, company_id: int, year: int) -> None:
    """Remove a planned year and its targets (the tests share one demo company)."""
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == company_id, FiscalYear.year == year))
        if fy is None:
            return
        ids = select(Target.id).where(Target.fiscal_year_id == fy.id)
        db.session.execute(delete(TargetCell).where(TargetCell.target_id.in_(ids)))
        db.session.execute(text("UPDATE target SET parent_id = NULL WHERE fiscal_year_id = :f"),
                           {"f": fy.id})
        db.session.execute(delete(Target).where(Target.fiscal_year_id == fy.id))
        db.session.delete(fy)
        db.session.commit()


def parents_add_up(fy_id: int) -> list[Any]:
    """Every additive target that is not the sum of its children, for the year or a
    month: empty when the tree adds up."""
    bad = []
    rows = db.session.execute(select(Target.id, Target.parent_id, Target.value, Metric.additive)
                              .join(Metric, Metric.id == Target.metric_id)
                              .where(Target.fiscal_year_id == fy_id)).all()
    cells: dict[int, dict[date, int]] = {}
    for tid, start, value in db.session.execute(
            select(TargetCell.target_id, TargetCell.start, TargetCell.value)
            .join(Target, Target.id == TargetCell.target_id)
            .where(Target.fiscal_year_id == fy_id, TargetCell.kind == "month")):
        cells.setdefault(tid, {})[start] = int(value)
    kids: dict[int, list[int]] = {}
    for tid, parent, _v, _a in rows:
        if parent is not None:
            kids.setdefault(parent, []).append(tid)
    value = {tid: int(v) for tid, _p, v, _a in rows}
    for tid, _p, v, additive in rows:
        if not additive or tid not in kids:
            continue
        if sum(value[k] for k in kids[tid]) != v:
            bad.append(("year", tid))
        if sum(cells[tid].values()) != v:
            bad.append(("months of", tid))
        for month, mv in cells[tid].items():
            if sum(cells[k].get(month, 0) for k in kids[tid]) != mv:
                bad.append((month, tid))
    return bad


def second_company(app: Flask, tag: str) -> dict[str, int]:
    """A company just created: a root unit, a team, an administrator, a manager and a
    rep, the revenue metric, and no fiscal year. Password: the demo's."""
    with app.app_context():
        co = Company(name=f"新公司 {tag}", timezone="Asia/Shanghai")
        db.session.add(co)
        db.session.flush()
        root = OrgUnit(company_id=co.id, kind=UnitKind.COMPANY, code=f"{tag}-co", name="总部")
        db.session.add(root)
        db.session.flush()
        root.set_path()
        team = OrgUnit(company_id=co.id, kind=UnitKind.TEAM, code=f"{tag}-t1", name="一组",
                       parent_id=root.id)
        db.session.add(team)
        db.session.flush()
        team.parent = root
        team.set_path()
        db.session.add(Metric(company_id=co.id, code="revenue", name="销售额",
                              name_en="Revenue", unit=MetricUnit.MONEY, additive=True,
                              source="amount_signed", sort=1))
        pw = hash_password("planner-demo-2026")
        ids = {}
        for name, role, unit in (("admin", Role.ADMIN, root), ("mgr", Role.MANAGER, team),
                                 ("rep", Role.REP, team)):
            u = User(username=f"{tag}-{name}", display_name=f"{tag} {name}", password_hash=pw,
                     role=role, unit_id=unit.id)
            db.session.add(u)
            db.session.flush()
            ids[name] = u.id
        ids["company"] = co.id
        db.session.commit()
        return ids


def first_working_day(cal: Any, day: date) -> date:
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day

"""Target planning: decomposition to every rep, exactly, with lock-and-rebalance."""

from __future__ import annotations

from collections import defaultdict

from flask import Flask
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import FiscalYear, Metric, Target, TargetCell, Tier, User
from planner.services.plan import rep_month_targets


def _demo_fy() -> FiscalYear:
    fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
    assert fy is not None
    return fy


def _leaf_cells(fy: FiscalYear, metric: Metric) -> dict[tuple[str, object], list[int]]:
    """{(kind, start): [values of the reps' leaf cells]}."""
    parent_ids = set(db.session.scalars(select(Target.parent_id).where(
        Target.fiscal_year_id == fy.id, Target.parent_id.is_not(None))))
    out: dict[tuple[str, object], list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(Target.id, TargetCell.kind, TargetCell.start, TargetCell.value)
        .join(TargetCell, TargetCell.target_id == Target.id)
        .where(Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
               Target.tier == Tier.BASE, Target.user_id.is_not(None))).all()
    for tid, kind, start, value in rows:
        if tid not in parent_ids:
            out[(kind, start)].append(int(value))
    return out


def test_the_demo_year_is_decomposed_to_every_rep_and_adds_up_to_the_fen(
    app: Flask, app_ctx: None
) -> None:
    fy = _demo_fy()
    reps = db.session.scalars(select(User.id).where(User.role == "REP")).all() or \
        db.session.scalars(select(User.id).where(User.username.like("rep%"))).all()
    for metric in db.session.scalars(select(Metric)):
        root = db.session.scalar(select(Target).where(
            Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
            Target.tier == Tier.BASE, Target.parent_id.is_(None)))
        assert root is not None
        leaves = _leaf_cells(fy, metric)
        root_cells = {(c.kind, c.start): c.value for c in root.cells}
        assert len(root_cells) == 16
        for key, value in root_cells.items():
            assert len(leaves[key]) == len(reps), (metric.code, key)
            if metric.additive:
                assert sum(leaves[key]) == value, (metric.code, key)
            else:
                assert set(leaves[key]) == {value}, (metric.code, key)
        if metric.additive:
            leaf_year = db.session.scalar(select(func.sum(Target.value)).where(
                Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
                Target.user_id.is_not(None), Target.tier == Tier.BASE))
            assert leaf_year == root.value


def test_every_rep_has_a_month_target_through_the_shared_contract(
    app: Flask, app_ctx: None
) -> None:
    fy = _demo_fy()
    rep = db.session.scalar(select(User).where(User.username == "rep01"))
    assert rep is not None
    got = rep_month_targets(rep.id, fy.id, fy.start)
    assert len(got) == 9 and all(v >= 0 for v in got.values())

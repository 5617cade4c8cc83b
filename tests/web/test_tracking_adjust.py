"""Adjusting a rep's remaining target for a month from tracking: the month's value changes,
the same month of the unlocked team-mates rebalances (decompose.plan_month), with the
same preview, lock refusals and audit rows as /targets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from planner.extensions import db
from planner.models import AuditLog, Metric, Target, TargetCell, Tier, User
from planner.services import targets as dc
from planner.services import tracking as tk
from planner.services.company import local_today
from planner.services.targets import fy_months

REP, MANAGER, OTHER_MANAGER, METRIC = "rep08", "manager2", "manager1", "visits"


def _uid(name: str) -> int:
    u = db.session.scalar(select(User).where(User.username == name))
    assert u is not None
    return u.id


def _tree_and_rep(code: str = METRIC) -> tuple[dc.Tree, dc.Context, dc.Node]:
    metric = db.session.scalar(select(Metric).where(Metric.code == code))
    assert metric is not None
    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    fy = tk.track(director, tk.top_scope(director), "year").fy
    assert fy is not None
    tree = dc.load_tree(fy, metric, Tier.BASE)
    node = next(n for n in tree.nodes.values() if n.user_id == _uid(REP) and not n.children)
    return tree, dc.Context(fy, metric), node


def _this_month(tree: dc.Tree) -> int:
    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    today = local_today(director.company)
    return next(i for i, p in enumerate(fy_months(tree.fy)) if p.start <= today <= p.end)


# ------------------------------------------------------------------ the service


def test_a_month_edit_rebalances_the_same_month_of_the_unlocked_siblings(
        app: Flask, app_ctx: None) -> None:
    tree, ctx, node = _tree_and_rep()
    parent = node.parent
    assert parent is not None
    m = _this_month(tree)
    new = node.months[m] + 7
    plan = dc.plan_month(tree, ctx, node, m, new)
    after = {id(ch.node): ch for ch in plan.changes}
    me = after[id(node)]
    assert me.new_months[m] == new and me.new_locked
    assert me.new_value == node.value + 7  # the year moves by the month's change
    col = [after[id(s)].new_months[m] if id(s) in after else s.months[m]
           for s in parent.children]
    assert sum(col) == parent.months[m]  # the team's month still adds up
    years = [after[id(s)].new_value if id(s) in after else s.value for s in parent.children]
    assert sum(years) == parent.value  # and so does its year
    for ch in plan.changes:  # only this month moves, and each year by its month's change
        assert [i for i in range(12) if ch.new_months[i] != ch.old_months[i]] in ([], [m])
        assert ch.new_value - ch.old_value == ch.new_months[m] - ch.old_months[m]
    assert id(parent) not in after


def test_a_month_edit_that_locked_siblings_cannot_absorb_is_refused(
        app: Flask, app_ctx: None) -> None:
    tree, ctx, node = _tree_and_rep()
    assert node.parent is not None
    m = _this_month(tree)
    for s in node.parent.children:
        s.locked = s is not node
    with pytest.raises(dc.DecomposeError, match="no unlocked sibling"):
        dc.plan_month(tree, ctx, node, m, node.months[m] + 1)
    with pytest.raises(dc.DecomposeError, match="negative"):
        dc.plan_month(tree, ctx, node, m, -1)


# ------------------------------------------------------------------ the pages


def _client(app: Flask, username: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c, csrf_token(c, "/tracking")


def _state(team_parent: int) -> list[tuple[int, int, bool, tuple[int, ...]]]:
    ids = list(db.session.scalars(select(Target.id).where(
        (Target.parent_id == team_parent) | (Target.id == team_parent)).order_by(Target.id)))
    out = []
    for tid in ids:
        t = db.session.get(Target, tid)
        assert t is not None
        cells = tuple(int(v) for v in db.session.scalars(
            select(TargetCell.value).where(TargetCell.target_id == tid,
                                           TargetCell.kind == "month")
            .order_by(TargetCell.start)))
        out.append((tid, int(t.value), bool(t.locked), cells))
    return out


@pytest.fixture
def rep_target(app: Flask) -> Iterator[tuple[int, int, int]]:
    """(rep id, the rep's target id, its parent's id); the team's locks are put back."""
    with app.app_context():
        metric = db.session.scalar(select(Metric).where(Metric.code == METRIC))
        assert metric is not None
        rep = _uid(REP)
        t = db.session.scalar(select(Target).where(
            Target.user_id == rep, Target.metric_id == metric.id, Target.tier == Tier.BASE))
        assert t is not None and t.parent_id is not None
        ids = (rep, t.id, t.parent_id)
        locks = dict(db.session.execute(select(Target.id, Target.locked).where(
            Target.parent_id == t.parent_id)).all())
    yield ids
    with app.app_context():
        for tid, locked in locks.items():
            db.session.execute(update(Target).where(Target.id == tid).values(locked=locked))
        db.session.commit()


def test_a_manager_adjusts_a_reps_month_with_preview_then_apply(
        app: Flask, rep_target: tuple[int, int, int]) -> None:
    rep, tid, parent = rep_target
    c, token = _client(app, MANAGER)
    page = c.get(f"/tracking/adjust?rep={rep}&metric={METRIC}&span=month&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Month target" in html and "New target for the rest of" in html
    with app.app_context():
        rep_user = db.session.get(User, rep)
        director = db.session.scalar(select(User).where(User.username == "director"))
        assert director is not None
        month = tk.track(director, tk.Scope("rep", user=rep_user), "month")
        achieved = month.total.figs[METRIC].achieved
        m = _this_month(_tree_and_rep()[0])
        before = _state(parent)
        audits = db.session.scalar(select(func.max(AuditLog.id))) or 0
    form = {"csrf_token": token, "rep": str(rep), "metric": METRIC, "span": "month",
            "month": month.period.label, "remaining": "9"}
    prev = c.post("/tracking/adjust/preview?lang=en", data=form)
    assert prev.status_code == 200 and "→" in prev.get_data(as_text=True)
    with app.app_context():
        assert _state(parent) == before  # a preview writes nothing
    resp = c.post("/tracking/adjust/apply", data=form)
    assert resp.status_code == 302 and "period=month" in resp.headers["Location"]
    with app.app_context():
        after = _state(parent)
        rows = {r[0]: r for r in after}
        assert rows[tid][3][m] == achieved + 9 and rows[tid][2]  # the month, locked
        kids = [r for r in after if r[0] != parent]
        assert sum(r[1] for r in kids) == rows[parent][1]  # the team's year adds up
        for i in range(12):  # and every month of it
            assert sum(r[3][i] for r in kids) == rows[parent][3][i]
        assert rows[parent] == next(r for r in before if r[0] == parent)
        changed = [r for r, b in zip(after, before, strict=True) if r != b]
        new_audits = db.session.scalars(select(AuditLog).where(AuditLog.id > audits)).all()
        assert {a.entity_id for a in new_audits} == {r[0] for r in changed}
        assert all(a.action == "edit" for a in new_audits)
        assert any(a.entity_id == tid and a.field == "locked" for a in new_audits) \
            or next(r for r in before if r[0] == tid)[2]


def test_a_month_change_the_locked_team_mates_cannot_absorb_is_refused_and_nothing_changes(
        app: Flask, rep_target: tuple[int, int, int]) -> None:
    rep, tid, parent = rep_target
    with app.app_context():
        db.session.execute(update(Target).where(Target.parent_id == parent, Target.id != tid)
                           .values(locked=True))
        db.session.commit()
        before = _state(parent)
        audits = db.session.scalar(select(func.count(AuditLog.id)))
    c, token = _client(app, MANAGER)
    form = {"csrf_token": token, "rep": str(rep), "metric": METRIC, "span": "month",
            "remaining": "50"}
    for step in ("preview", "apply"):
        resp = c.post(f"/tracking/adjust/{step}?lang=en", data=form)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422 and "no unlocked sibling" in body, step
        assert "Nothing was changed" in body or "nothing was changed" in body
    with app.app_context():
        assert _state(parent) == before
        assert db.session.scalar(select(func.count(AuditLog.id))) == audits


def test_only_the_reps_own_manager_or_the_director_adjusts_a_month(
        app: Flask, rep_target: tuple[int, int, int]) -> None:
    rep, _tid, parent = rep_target
    with app.app_context():
        before = _state(parent)
    other, token = _client(app, OTHER_MANAGER)
    assert other.get(f"/tracking/adjust?rep={rep}&span=month").status_code == 404
    assert other.post("/tracking/adjust/apply", data={
        "csrf_token": token, "rep": str(rep), "metric": METRIC, "span": "month",
        "remaining": "1"}).status_code == 404
    r, rtoken = _client(app, REP)
    assert r.get(f"/tracking/adjust?rep={rep}&span=month").status_code in (403, 404)
    assert r.post("/tracking/adjust/apply", data={
        "csrf_token": rtoken, "rep": str(rep), "metric": METRIC, "span": "month",
        "remaining": "1"}).status_code in (403, 404)
    d, _t = _client(app, "director")
    page = d.get(f"/tracking/adjust?rep={rep}&span=month&month=1999-01&lang=en")
    assert page.status_code == 200  # an unknown month falls back to this month
    assert f"{date.today().year}" in page.get_data(as_text=True)
    with app.app_context():
        assert _state(parent) == before

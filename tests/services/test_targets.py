"""Target planning: decomposition to every rep, exactly, with lock-and-rebalance."""

from __future__ import annotations

from collections import defaultdict

from flask import Flask
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import FiscalYear, Metric, Target, TargetCell, Tier, User
from planner.services.rep_plan import rep_month_targets


def _demo_fy() -> FiscalYear:
    fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
    assert fy is not None
    return fy


def _leaf_cells(
    fy: FiscalYear, metric: Metric
) -> dict[tuple[str, object], list[tuple[int, int]]]:
    """{(kind, start): [(rep id, value) of the reps' leaf cells]} (a rep may have several
    leaves, e.g. one per product line, when the tree splits by product line first)."""
    parent_ids = set(db.session.scalars(select(Target.parent_id).where(
        Target.fiscal_year_id == fy.id, Target.parent_id.is_not(None))))
    out: dict[tuple[str, object], list[tuple[int, int]]] = defaultdict(list)
    rows = db.session.execute(
        select(Target.id, Target.user_id, TargetCell.kind, TargetCell.start, TargetCell.value)
        .join(TargetCell, TargetCell.target_id == Target.id)
        .where(Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
               Target.tier == Tier.BASE, Target.user_id.is_not(None))).all()
    for tid, uid, kind, start, value in rows:
        if tid not in parent_ids:
            out[(kind, start)].append((int(uid), int(value)))
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
            assert {uid for uid, _ in leaves[key]} == set(reps), (metric.code, key)
            values = [v for _, v in leaves[key]]
            if metric.additive:
                assert sum(values) == value, (metric.code, key)
            else:
                assert set(values) == {value}, (metric.code, key)
        if metric.additive:
            parent_ids = select(Target.parent_id).where(Target.parent_id.is_not(None))
            leaf_year = db.session.scalar(select(func.sum(Target.value)).where(
                Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
                Target.user_id.is_not(None), Target.tier == Tier.BASE,
                Target.id.not_in(parent_ids)))
            assert leaf_year == root.value


def test_every_rep_has_a_month_target_through_the_shared_contract(
    app: Flask, app_ctx: None
) -> None:
    fy = _demo_fy()
    rep = db.session.scalar(select(User).where(User.username == "rep01"))
    assert rep is not None
    got = rep_month_targets(rep.id, fy.id, fy.start)
    assert len(got) == 9 and all(v >= 0 for v in got.values())


# ---------------------------------------------------------------- rebalancing (sprint tier)

import re  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from conftest import csrf_token, login  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from planner.models import AuditLog  # noqa: E402
from planner.services import targets as dc  # noqa: E402
from planner.services.targets import bulk as target_store  # noqa: E402


def _metric(code: str) -> Metric:
    m = db.session.scalar(select(Metric).where(Metric.code == code))
    assert m is not None
    return m


def _sprint_tree(code: str = "revenue") -> dc.Tree:
    """The sprint tier of a metric, decomposed region > team > rep (made once): the tests
    that change targets work there, so the base tier other pages read stays as demoed."""
    fy, metric = _demo_fy(), _metric(code)
    if not dc.load_tree(fy, metric, Tier.SPRINT).roots:
        dc.create_tier(fy, metric, Tier.SPRINT, Decimal(10), None)
        dc.decompose_year(fy, metric, ["region", "team", "rep"], "capability", Tier.SPRINT)
        db.session.commit()
    return dc.load_tree(fy, metric, Tier.SPRINT)


def _rep_node(tree: dc.Tree, username: str) -> dc.Node:
    uid = db.session.scalar(select(User.id).where(User.username == username))
    return next(n for n in tree.nodes.values() if n.user_id == uid and not n.children)


def _assert_adds_up(tree: dc.Tree) -> None:
    for n in tree.nodes.values():
        if n.children:
            assert sum(k.value for k in n.children) == n.value
            for i in range(12):
                assert sum(k.months[i] for k in n.children) == n.months[i]
        assert sum(n.months) == n.value


def _snapshot() -> tuple[list[tuple[int, int, bool]], int, int]:
    targets = db.session.execute(
        select(Target.id, Target.value, Target.locked).order_by(Target.id)).all()
    cells = db.session.scalar(select(func.sum(
        TargetCell.value * (TargetCell.target_id % 97 + func.length(TargetCell.kind)))))
    audits = db.session.scalar(select(func.count(AuditLog.id)))
    return [tuple(r) for r in targets], int(cells or 0), int(audits or 0)


def test_a_locked_rep_keeps_their_value_while_siblings_and_the_team_rebalance(
    app: Flask, app_ctx: None
) -> None:
    tree = _sprint_tree()
    ctx = dc.Context(tree.fy, tree.metric)
    rep = _rep_node(tree, "rep01")
    dc.apply_plan(dc.plan_lock(tree, ctx, rep, True), None)
    db.session.commit()

    tree = _sprint_tree()
    rep = _rep_node(tree, "rep01")
    kept = rep.value
    team = rep.parent
    assert team is not None
    sibling = next(k for k in team.children if k is not rep)
    plan = dc.plan_edit(tree, ctx, sibling, sibling.value + 123_456)
    assert rep.id not in {c.node.id for c in plan.value_changes}
    dc.apply_plan(plan, None)
    db.session.commit()

    tree = _sprint_tree()
    team = _rep_node(tree, "rep01").parent
    assert team is not None
    dc.apply_plan(dc.plan_edit(tree, dc.Context(tree.fy, tree.metric), team,
                               team.value - 1_000_000), None)
    db.session.commit()
    tree = _sprint_tree()
    rep = _rep_node(tree, "rep01")
    assert rep.value == kept and rep.locked
    _assert_adds_up(tree)


def test_a_locked_rep_that_no_longer_fits_is_refused_and_nothing_changes(
    app: Flask, app_ctx: None
) -> None:
    tree = _sprint_tree("visits")
    ctx = dc.Context(tree.fy, tree.metric)
    rep = _rep_node(tree, "rep02")
    dc.apply_plan(dc.plan_lock(tree, ctx, rep, True), None)
    db.session.commit()
    tree = _sprint_tree("visits")
    team = _rep_node(tree, "rep02").parent
    assert team is not None
    before = _snapshot()
    with pytest.raises(dc.DecomposeError, match="locked"):
        dc.plan_edit(tree, ctx, team, _rep_node(tree, "rep02").value - 1)
    assert _snapshot() == before


def test_rebalancing_a_level_metric_is_inherited_not_summed(app: Flask, app_ctx: None) -> None:
    tree = _sprint_tree("satisfaction")
    ctx = dc.Context(tree.fy, tree.metric)
    root = tree.roots[0]
    dc.apply_plan(dc.plan_edit(tree, ctx, root, 9300), None)
    db.session.commit()
    tree = _sprint_tree("satisfaction")
    assert all(n.value == 9300 for n in tree.nodes.values())


def _director(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "director").status_code == 302
    return client


def _sprint_ids(app: Flask, *usernames: str) -> list[int]:
    with app.app_context():
        tree = _sprint_tree()
        return [_rep_node(tree, u).id or 0 for u in usernames]


HX = {"HX-Request": "true"}


def test_a_preview_shows_old_and_new_values_and_writes_nothing(app: Flask) -> None:
    client = _director(app)
    (node_id,) = _sprint_ids(app, "rep03")
    token = csrf_token(client, "/targets")
    with app.app_context():
        before = _snapshot()
    resp = client.post(f"/targets/node/{node_id}/edit/preview",
                       data={"csrf_token": token, "value": "400000"}, headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body
    assert "→" in body and "¥400,000" in body and "/edit/apply" in body
    with app.app_context():
        assert _snapshot() == before


def test_applying_writes_the_change_and_an_audit_row_per_changed_target(app: Flask) -> None:
    client = _director(app)
    (node_id,) = _sprint_ids(app, "rep04")
    token = csrf_token(client, "/targets")
    with app.app_context():
        # The newest id, not the count: a rolled-back insert leaves a gap in the ids.
        audits = db.session.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
    resp = client.post(f"/targets/node/{node_id}/edit/apply",
                       data={"csrf_token": token, "value": "380000"}, headers=HX)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert 'id="tree"' in resp.get_data(as_text=True)
    with app.app_context():
        node = db.session.get(Target, node_id)
        assert node is not None and node.value == 38_000_000 and node.locked
        rows = db.session.scalars(select(AuditLog).where(AuditLog.id > audits)).all()
        director = db.session.scalar(select(User.id).where(User.username == "director"))
        assert {r.user_id for r in rows} == {director}
        assert any(r.entity_id == node_id and r.field == "value" and
                   r.new_value == "38000000" for r in rows)
        assert any(r.entity_id == node_id and r.field == "locked" for r in rows)
        siblings = db.session.scalars(select(Target.id).where(
            Target.parent_id == node.parent_id, Target.id != node_id,
            Target.locked.is_(False))).all()
        assert siblings
        changed = {r.entity_id for r in rows if r.field == "value"}
        assert set(siblings) <= changed
        _assert_adds_up(_sprint_tree())


@pytest.mark.parametrize(("action", "data", "message"), [
    ("edit", {"value": "-5"}, "negative"),
    ("edit", {"value": "lots"}, "not a number"),
    ("edit", {"value": "999999999"}, "exceed"),
    ("decompose", {"dim1": "product_line", "method": "weights", "numbers": "1, 2"},
     "5 weights"),
    ("time", {"time_method": "profile", "numbers": "10,10,10,10,10,10,10,10,10,10,10,11"},
     "100"),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    app: Flask, action: str, data: dict[str, str], message: str
) -> None:
    client = _director(app)
    with app.app_context():
        tree = _sprint_tree("revenue" if action == "edit" else "contracts")
        node_id = tree.roots[0].id if action != "edit" else _rep_node(tree, "rep05").id
        before = _snapshot()
    token = csrf_token(client, "/targets?lang=en")
    for step in ("preview", "apply"):
        resp = client.post(f"/targets/node/{node_id}/{action}/{step}",
                           data={"csrf_token": token, **data}, headers=HX)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422, body
        assert message in body and 'role="alert"' in body
    with app.app_context():
        assert _snapshot() == before


def test_a_manager_works_inside_their_team_and_gets_404_elsewhere(app: Flask) -> None:
    own, other = _sprint_ids(app, "rep01", "rep07")  # manager1 leads rep01..rep06
    client = app.test_client()
    assert login(client, "manager1").status_code == 302
    page = client.get("/targets?tier=sprint")
    assert page.status_code == 200
    token = csrf_token(client, "/targets")
    ok = client.post(f"/targets/node/{own}/lock/preview",
                     data={"csrf_token": token, "locked": "0"}, headers=HX)
    assert ok.status_code == 200
    for url in (f"/targets/node/{other}/edit/preview", f"/targets/node/{other}/edit/apply",
                f"/targets/node/{other}/lock/apply"):
        assert client.post(url, data={"csrf_token": token, "value": "1"},
                           headers=HX).status_code == 404
    assert client.get(f"/targets/node/{other}/time").status_code == 404
    with app.app_context():
        team = db.session.get(Target, own)
        assert team is not None
        team_id, root_id = team.parent_id, _sprint_tree().roots[0].id
    # The team node itself rebalances against other teams: not the manager's to change.
    assert client.post(f"/targets/node/{team_id}/edit/preview",
                       data={"csrf_token": token, "value": "1"}, headers=HX).status_code == 404
    assert client.get(f"/targets/node/{root_id}/children").status_code == 404
    assert client.get("/calendar").status_code == 404


def test_reps_get_404_on_target_planning(app: Flask, rep_client: FlaskClient) -> None:
    (node_id,) = _sprint_ids(app, "rep01")
    assert rep_client.get("/targets").status_code == 404
    assert rep_client.get(f"/targets/node/{node_id}/time").status_code == 404
    assert rep_client.get("/calendar").status_code == 404


def test_october_2026_split_to_days_skips_national_day_and_works_the_makeup_saturday(
    app: Flask,
) -> None:
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(FiscalYear.year == 2026))
        if fy is None:  # the demo year follows the clock; make 2026 when it is another
            from datetime import date

            from planner.devtools.demo import company_targets_spec
            from planner.devtools.demo_targets import ensure_company_targets

            company_id = db.session.scalar(select(FiscalYear.company_id))
            fy = FiscalYear(company_id=company_id, year=2026, first_month=1,
                            start=date(2026, 1, 1), end=date(2026, 12, 31), dimensions=[])
            db.session.add(fy)
            db.session.flush()
            ensure_company_targets(fy, company_targets_spec())
            db.session.commit()
        root_id = dc.load_tree(fy, _metric("visits")).roots[0].id
    client = _director(app)
    body = client.get(f"/targets/node/{root_id}/time?month=2026-10").get_data(as_text=True)
    days = {d: int(v) for d, v in re.findall(r'data-day="([\d-]+)" data-value="(\d+)"', body)}
    assert len(days) == 31
    assert all(days[f"2026-10-0{d}"] == 0 for d in range(1, 8))
    assert days["2026-10-10"] > 0  # Saturday make-up workday
    assert days["2026-10-11"] == 0  # an ordinary Sunday
    assert "上旬" in body or "Early month" in body


def test_the_calendar_page_adds_and_removes_a_company_holiday(app: Flask) -> None:
    client = _director(app)
    token = csrf_token(client, "/calendar")
    resp = client.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": "2026-06-22", "kind": "holiday", "note": "founders day"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "2026-06-22" in body and "founders day" in body
    with app.app_context():
        from planner.models import CalendarOverride, Company
        from planner.services.calendar import company_calendar

        o = db.session.scalar(
            select(CalendarOverride).where(CalendarOverride.note == "founders day"))
        assert o is not None
        company = db.session.get(Company, o.company_id)
        assert company is not None
        from datetime import date

        assert not company_calendar(company).is_working_day(date(2026, 6, 22))
        oid = o.id
    again = client.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": "2026-06-22", "kind": "workday"})
    assert again.status_code == 422
    resp = client.post(f"/calendar/{oid}/delete?year=2026", data={"csrf_token": token},
                       headers=HX)
    assert resp.status_code == 200 and "founders day" not in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CalendarOverride, oid) is None


def test_the_benchmark_builds_decomposes_and_recomputes_a_small_company(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """The bench command's code path on a small company (no timing asserted)."""
    from planner import create_app
    from planner.devtools import bench

    monkeypatch.setattr(bench, "REPS", 40)
    monkeypatch.setattr(bench, "TEAMS", 5)
    url = f"sqlite:///{tmp_path}/bench.sqlite3"
    small = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with small.app_context():
        from flask_migrate import upgrade

        upgrade()
        result = bench.run(runs=2)
        assert result.month_cells == 40 * 5 * 7 * 12
        assert result.recompute_ms > 0
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- bulk writes


def _tier_cells(fy: FiscalYear, metric: Metric,
                tier: Tier) -> dict[tuple[object, ...], tuple[int, bool]]:
    """{(scope, depth, kind, start): value} for every cell of a tier, ids left out."""
    rows = db.session.execute(
        select(Target.unit_id, Target.user_id, Target.product_line_id, Target.depth,
               TargetCell.kind, TargetCell.start, TargetCell.end, TargetCell.value,
               TargetCell.locked)
        .join(TargetCell, TargetCell.target_id == Target.id)
        .where(Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
               Target.tier == tier)).all()
    return {tuple(r[:7]): (int(r.value), bool(r.locked)) for r in rows}


@pytest.mark.parametrize("code", ["visits", "satisfaction"])
def test_the_one_statement_bulk_writes_and_the_row_by_row_one_store_the_same_cells(
    app: Flask, app_ctx: None, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    fy, metric = _demo_fy(), _metric(code)
    tier = Tier.CHALLENGE
    try:
        if not dc.load_tree(fy, metric, tier).roots:
            dc.create_tier(fy, metric, tier, Decimal(20), None)
        dc.decompose_year(fy, metric, ["region", "team", "rep"], "capability", tier)
        db.session.commit()
        fast = _tier_cells(fy, metric, tier)
        # Serialised ahead (as the benchmark's engine thread does), then written.
        tree = dc.load_tree(fy, metric, tier)
        plan = dc.plan_decompose(tree, dc.Context(fy, metric), tree.roots[0],
                                 ["region", "team", "rep"], "capability")
        plan.bulk = dc.serialise_new_nodes(plan.new_nodes, tree.additive)
        dc.apply_plan(plan, None)
        db.session.commit()
        assert _tier_cells(fy, metric, tier) == fast
        monkeypatch.setattr(target_store, "_sqlite_json", lambda raw: False)
        dc.decompose_year(fy, metric, ["region", "team", "rep"], "capability", tier)
        db.session.commit()
        slow = _tier_cells(fy, metric, tier)
        assert fast == slow
        reps = db.session.scalar(select(func.count(User.id)).where(User.role == "REP"))
        # Every node below the root: 12 months and 4 quarters, in the fiscal year.
        assert len(fast) == 16 * (1 + len({k[:4] for k in fast if k[3] > 0}))
        assert sum(1 for k in fast if k[1] is not None and k[4] == "month") == 12 * reps
        tree = dc.load_tree(fy, metric, tier)
        for n in tree.nodes.values():
            qs = dc.quarters_of(n.months, tree.additive)
            for q, (_start, value) in enumerate(sorted(
                    (k[5], v[0]) for k, v in fast.items()
                    if k[:4] == (n.unit_id, n.user_id, n.product_line_id, n.depth)
                    and k[4] == "quarter")):
                assert value == qs[q]
    finally:
        tree = dc.load_tree(fy, metric, tier)
        ids = [n.id for r in tree.roots for n in r.walk() if n.id is not None]
        dc._delete_targets(db.session.connection(), list(reversed(ids)))
        db.session.commit()

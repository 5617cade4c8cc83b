"""Every preview/apply path of target planning, applied through the web and checked in the
database: edit, lock and unlock, decomposition by each method, the split over the year by
each method (growth and seasonal profile once answered 500 on apply)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import (
    AuditLog,
    FiscalYear,
    Metric,
    MonthlyActual,
    OrgUnit,
    Role,
    Target,
    Tier,
    UnitKind,
    User,
)
from planner.services import targets as dc
from planner.services.calendar import company_calendar
from planner.services.targets import fy_months, last_year_months, split_year
from planner.services.targets import store as target_store

HX = {"HX-Request": "true"}


def _fy() -> FiscalYear:
    fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
    assert fy is not None
    return fy


def _metric(code: str) -> Metric:
    m = db.session.scalar(select(Metric).where(Metric.code == code))
    assert m is not None
    return m


def _tree(code: str, tier: Tier) -> dc.Tree:
    """The tier of a metric, made from the base (+20%) and decomposed region > team > rep
    the first time: these tests change it, the base tier other pages read stays as demoed."""
    fy, metric = _fy(), _metric(code)
    if not dc.load_tree(fy, metric, tier).roots:
        dc.create_tier(fy, metric, tier, Decimal(20), None)
        dc.decompose_year(fy, metric, ["region", "team", "rep"], "capability", tier)
        db.session.commit()
    return dc.load_tree(fy, metric, tier)


def _assert_adds_up(tree: dc.Tree) -> None:
    for n in tree.nodes.values():
        if n.children:
            assert sum(k.value for k in n.children) == n.value, tree.nodes
            for i in range(12):
                assert sum(k.months[i] for k in n.children) == n.months[i]
        assert sum(n.months) == n.value


def _director(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client, "director").status_code == 302
    return client, csrf_token(client, "/targets?lang=en")


def _last_audit() -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(AuditLog.id), 0))) or 0)


def _post(client: FlaskClient, token: str, node_id: int, action: str,
          data: dict[str, str]) -> None:
    """Preview, then apply, as the page does; both must succeed."""
    for step in ("preview", "apply"):
        resp = client.post(f"/targets/node/{node_id}/{action}/{step}?lang=en",
                           data={"csrf_token": token, **data}, headers=HX)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200, (step, body[:2000])
        if step == "preview":
            assert "/apply" in body
        else:
            assert 'id="tree"' in body and "Applied" in body


def _close(values: list[int], weights: list[Fraction | int]) -> None:
    """Largest-remainder shares: each part within one unit of its exact share."""
    total, wsum = sum(values), sum(weights)
    for v, w in zip(values, weights, strict=True):
        exact = Fraction(total) * Fraction(w) / wsum
        assert abs(v - exact) < 1, (values, weights)


# ---------------------------------------------------------------- over the year


SEASON = "6, 5, 8, 8, 8, 9, 8, 8, 9, 9, 10, 12"


@pytest.mark.parametrize(("method", "numbers"), [
    ("working_days", ""),
    ("equal", ""),
    ("profile", SEASON),
    ("profile", "8.5, 8.5, 8, 8, 8, 9, 8, 8, 9, 9, 10, 6"),
    ("last_year", ""),
    ("growth", "10, 12, 13, 15"),
    ("growth", "10.5, 12, -3, 15"),
    ("quarters", "2,600,000, 2,700,000, 3,000,000, 3,700,000"),
])
def test_each_split_over_the_year_applies_and_the_whole_tree_follows(
    app: Flask, method: str, numbers: str
) -> None:
    with app.app_context():
        tree = _tree("revenue", Tier.SPRINT)
        root = tree.roots[0]
        root_id, value = root.id, root.value
        assert root_id is not None
        before = _last_audit()
    client, token = _director(app)
    if method == "quarters":  # the four quarters must add up to the year
        parts = [Decimal(p.replace(",", "")) for p in
                 ("2600000", "2700000", "3000000", "3700000")]
        parts[-1] += Decimal(value) / 100 - sum(parts)
        numbers = ", ".join(format(p, "f") for p in parts)
    _post(client, token, root_id, "time", {"time_method": method, "numbers": numbers})

    with app.app_context():
        fy, metric = _fy(), _metric("revenue")
        t = db.session.get(Target, root_id)
        assert t is not None and t.time_method == method
        tree = dc.load_tree(fy, metric, Tier.SPRINT)
        root = tree.nodes[root_id]
        assert root.value == value
        _assert_adds_up(tree)
        months = root.months
        quarters = dc.quarters_of(months, True)
        typed = [Decimal(p) for p in numbers.replace(" ", "").split(",") if p]
        if method == "equal":
            assert max(months) - min(months) <= 1
        elif method == "profile":
            _close(months, [Fraction(p) for p in typed])
        elif method == "growth":
            ly = last_year_months(metric, fy)
            ly_q = [sum(ly[q * 3:q * 3 + 3]) for q in range(4)]
            _close(quarters, [Fraction(q) * (100 + Fraction(g)) / 100
                              for q, g in zip(ly_q, typed, strict=True)])
        elif method == "last_year":
            _close(months, last_year_months(metric, fy))
        elif method == "quarters":
            assert quarters == [int(q * 100) for q in typed]
        elif method == "working_days":
            cal = company_calendar(fy.company)
            _close(months, [cal.count(p.start, p.end) for p in fy_months(fy)])
        # What was stored splits the same way again: the params are JSON, not Decimals.
        params = t.time_params
        assert params is not None
        again = split_year(fy, metric, value, method, params,
                           company_calendar(fy.company))
        assert again[1] == months
        rows = db.session.scalars(select(AuditLog).where(AuditLog.id > before)).all()
        assert rows, "every applied change is audited"


@pytest.mark.parametrize(("method", "numbers", "message"), [
    ("growth", "10, 12, 13", "4 quarterly growth"),
    ("profile", "10, 10", "12 monthly"),
    ("profile", "10,10,10,10,10,10,10,10,5,5,5,6", "101"),
    ("quarters", "1, 2, 3", "4 quarter"),
    ("growth", "10, 12, 13, abc", "not a number"),
])
def test_a_bad_split_over_the_year_is_refused_on_apply_too(
    app: Flask, method: str, numbers: str, message: str
) -> None:
    with app.app_context():
        root_id = _tree("revenue", Tier.SPRINT).roots[0].id
        before = _last_audit()
    client, token = _director(app)
    resp = client.post(f"/targets/node/{root_id}/time/apply?lang=en", headers=HX,
                       data={"csrf_token": token, "time_method": method, "numbers": numbers})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in body, body[:1000]
    # The refusal goes where the director tapped (the node's panel), not over the tree.
    assert resp.headers.get("HX-Retarget") == f"#panel-{root_id}"
    with app.app_context():
        assert _last_audit() == before


# ---------------------------------------------------------------- decomposition


def _team_history(fy: FiscalYear, metric: Metric) -> dict[int, int]:
    """Last fiscal year's actual per team, summed from the reps' monthly history."""
    start = fy.start.replace(year=fy.start.year - 1)
    end = fy.end.replace(year=fy.end.year - 1)
    rows = db.session.execute(
        select(User.unit_id, func.sum(MonthlyActual.value))
        .join(User, User.id == MonthlyActual.user_id)
        .where(MonthlyActual.metric_id == metric.id, MonthlyActual.month >= start,
               MonthlyActual.month <= end).group_by(User.unit_id)).all()
    return {int(u): int(v) for u, v in rows}


def _teams() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.TEAM)
                                   .order_by(OrgUnit.sort, OrgUnit.id)))


@pytest.mark.parametrize(("dims", "method", "numbers"), [
    (["team", "rep"], "equal", ""),
    (["team", "rep"], "last_year", ""),
    (["team", "rep"], "capability", ""),
    (["team"], "weights", "40, 30, 20, 10"),
    (["team"], "weights", "2.5, 0, 1, 1"),
    (["team"], "growth", "10, 12, 13, 15"),
    (["region", "team", "rep"], "capability", ""),
])
def test_each_decomposition_method_applies_and_adds_up(
    app: Flask, dims: list[str], method: str, numbers: str
) -> None:
    with app.app_context():
        tree = _tree("revenue", Tier.CHALLENGE)
        root_id = tree.roots[0].id
        assert root_id is not None
        before = _last_audit()
        old = {n.scope: (n.id, n.value) for n in tree.nodes.values() if n.id != root_id}
    client, token = _director(app)
    data = {"dim1": dims[0], "dim2": dims[1] if len(dims) > 1 else "",
            "dim3": dims[2] if len(dims) > 2 else "", "method": method, "numbers": numbers}
    _post(client, token, root_id, "decompose", data)

    with app.app_context():
        fy, metric = _fy(), _metric("revenue")
        tree = dc.load_tree(fy, metric, Tier.CHALLENGE)
        root = tree.nodes[root_id]
        _assert_adds_up(tree)
        assert root.split_dim == dims[0] and root.split_method == method
        t = db.session.get(Target, root_id)
        assert t is not None
        if numbers:
            key = "weights" if method == "weights" else "growth"
            assert t.split_params == {key: [p.strip() for p in numbers.split(",")]}
        depth = {n.depth for n in tree.nodes.values()}
        assert depth == set(range(len(dims) + 1))
        leaves = [n for n in tree.nodes.values() if not n.children]
        reps = set(db.session.scalars(select(User.id).where(User.role == Role.REP)))
        if dims[-1] == "rep":
            assert {n.user_id for n in leaves} == reps and len(leaves) == len(reps)
        teams = _teams()
        by_unit = {n.unit_id: n for n in tree.nodes.values() if n.dim == "team"}
        team_values = [by_unit[u.id].value for u in teams]
        typed = [Fraction(p) for p in numbers.replace(" ", "").split(",") if p]
        if method == "equal":
            assert max(team_values) - min(team_values) <= 1
        elif method == "weights":
            _close(team_values, typed)
        elif method == "last_year":
            hist = _team_history(fy, metric)
            _close(team_values, [hist.get(u.id, 0) for u in teams])
        elif method == "growth":
            hist = _team_history(fy, metric)
            _close(team_values, [hist.get(u.id, 0) * (100 + g) / 100
                                 for u, g in zip(teams, typed, strict=True)])
        elif method == "capability":
            caps: dict[int, int] = defaultdict(int)
            for uid, cap in db.session.execute(select(User.unit_id, User.capability).where(
                    User.role == Role.REP)):
                caps[uid] += cap
            if dims[0] == "team":
                _close(team_values, [caps[u.id] for u in teams])
            for team in by_unit.values():  # the reps of a team by their scores
                kids = team.children
                if kids:
                    _close([k.value for k in kids],
                           [db.session.get(User, k.user_id).capability for k in kids])
        # An audit row per target whose value is new, and one for the split itself.
        rows = db.session.scalars(select(AuditLog).where(AuditLog.id > before)).all()
        assert any(r.field == "split" and r.entity_id == root_id for r in rows)
        valued = {r.entity_id for r in rows if r.field == "value"}
        new = {n.scope: (n.id, n.value) for n in tree.nodes.values() if n.id != root_id}
        changed = {i for scope, (i, v) in new.items() if old.get(scope, (0, None))[1] != v}
        gone = {i for scope, (i, _v) in old.items() if scope not in new}
        assert changed and valued == changed | gone
        # Every audit row names one target: an id is never handed out again (SQLite
        # reused max(id) + 1 after a re-split deleted the newest targets).
        named: dict[int, set[str]] = defaultdict(set)
        for r in db.session.scalars(select(AuditLog).where(AuditLog.entity == "target")):
            if r.details and "scope" in r.details:
                named[r.entity_id].add(repr((r.details["scope"], r.details["depth"])))
        assert all(len(v) == 1 for v in named.values()), {
            k: v for k, v in named.items() if len(v) > 1}


def test_a_bad_decomposition_is_refused_on_apply_in_the_panel(app: Flask) -> None:
    with app.app_context():
        root_id = _tree("revenue", Tier.CHALLENGE).roots[0].id
        before = _last_audit()
    client, token = _director(app)
    resp = client.post(f"/targets/node/{root_id}/decompose/apply?lang=en", headers=HX,
                       data={"csrf_token": token, "dim1": "team", "method": "weights",
                             "numbers": "1, 2"})
    assert resp.status_code == 422 and "4 weights" in resp.get_data(as_text=True)
    assert resp.headers.get("HX-Retarget") == f"#panel-{root_id}"
    with app.app_context():
        assert _last_audit() == before


# ---------------------------------------------------------------- edit, lock, unlock


def _rep_leaf(tree: dc.Tree, username: str) -> dc.Node:
    uid = db.session.scalar(select(User.id).where(User.username == username))
    return next(n for n in tree.nodes.values() if n.user_id == uid and not n.children)


def test_locking_then_unlocking_a_rep_applies_and_is_audited(app: Flask) -> None:
    with app.app_context():
        rep_id = _rep_leaf(_tree("collections", Tier.SPRINT), "rep09").id
        assert rep_id is not None
        before = _last_audit()
    client, token = _director(app)
    for locked in ("1", "0"):
        _post(client, token, rep_id, "lock", {"locked": locked})
        with app.app_context():
            t = db.session.get(Target, rep_id)
            assert t is not None and t.locked is (locked == "1")
            row = db.session.scalar(select(AuditLog).where(
                AuditLog.id > before, AuditLog.entity_id == rep_id,
                AuditLog.field == "locked").order_by(AuditLog.id.desc()))
            assert row is not None and row.new_value == str(locked == "1")
            before = row.id


def test_editing_the_company_target_applies_and_every_level_follows(app: Flask) -> None:
    with app.app_context():
        tree = _tree("collections", Tier.SPRINT)
        root_id = tree.roots[0].id
        assert root_id is not None
        new = tree.roots[0].value + 3_700  # fen
    client, token = _director(app)
    _post(client, token, root_id, "edit", {"value": str(new // 100)})
    with app.app_context():
        tree = dc.load_tree(_fy(), _metric("collections"), Tier.SPRINT)
        assert tree.nodes[root_id].value == new
        _assert_adds_up(tree)


def test_editing_a_rep_applies_their_value_and_the_team_still_adds_up(app: Flask) -> None:
    with app.app_context():
        rep = _rep_leaf(_tree("collections", Tier.SPRINT), "rep10")
        rep_id, team_value = rep.id, rep.parent.value if rep.parent else 0
        assert rep_id is not None
    client, token = _director(app)
    _post(client, token, rep_id, "edit", {"value": "3,000.5"})
    with app.app_context():
        tree = dc.load_tree(_fy(), _metric("collections"), Tier.SPRINT)
        node = tree.nodes[rep_id]
        assert node.value == 300_050 and node.locked
        assert node.parent is not None and node.parent.value == team_value
        _assert_adds_up(tree)


def test_json_columns_take_decimals_and_dates_in_one_representation(
    app: Flask, app_ctx: None
) -> None:
    from datetime import date

    from planner.jsonable import jsonable

    assert jsonable({"g": [Decimal("10"), Decimal("12.50"), Decimal("-3.0")],
                     "d": date(2026, 1, 5), "t": (1, 2)}) == \
        {"g": [10, "12.5", -3], "d": "2026-01-05", "t": [1, 2]}
    with pytest.raises(TypeError):
        jsonable(object())
    # Written straight into a JSON column (the engine's serializer), it reads back the same.
    row = AuditLog(action="test", entity="test", entity_id=None,
                   details={"when": date(2026, 1, 5), "x": Decimal("0.25")})
    db.session.add(row)
    db.session.flush()
    db.session.expire(row)
    assert row.details == {"when": "2026-01-05", "x": "0.25"}
    db.session.rollback()


def test_targets_added_in_one_flush_get_distinct_fresh_ids(app: Flask, app_ctx: None) -> None:
    fy, metric = _fy(), _metric("share")
    top = int(db.session.scalar(select(func.max(Target.id))) or 0)
    made = [Target(fiscal_year_id=fy.id, metric_id=metric.id, tier=Tier.CHALLENGE,
                   unit_id=None, value=i) for i in range(3)]
    db.session.add_all(made)
    db.session.flush()
    ids = [t.id for t in made]
    assert len(set(ids)) == 3 and min(ids) > top
    db.session.rollback()


# ---------------------------------------------------------------- the preview shows all


def test_a_re_split_preview_lists_every_rep_whose_value_changes_folded_per_team(
    app: Flask,
) -> None:
    with app.app_context():
        tree = _tree("revenue", Tier.CHALLENGE)
        root_id = tree.roots[0].id
        names = list(db.session.scalars(select(User.display_name).where(
            User.role == Role.REP)))
    client, token = _director(app)
    # First by capability, then equally: the teams may keep their values (or not), the
    # reps' values change, and the preview must say so.
    for method, step in (("capability", "apply"), ("equal", "preview")):
        resp = client.post(f"/targets/node/{root_id}/decompose/{step}?lang=en", headers=HX,
                           data={"csrf_token": token, "dim1": "team", "dim2": "rep",
                                 "method": method})
        assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "No value changes" not in body
    assert all(name in body for name in names), [n for n in names if n not in body]
    assert body.count('<details class="tfold">') == 4
    assert body.count("6 more changes below it") == 4
    assert "28 targets change their value" in body


def test_a_first_split_lists_new_targets_as_new_not_from_zero(app: Flask) -> None:
    with app.app_context():
        fy, metric = _fy(), _metric("new_customers")
        if not dc.load_tree(fy, metric, Tier.CHALLENGE).roots:
            dc.create_tier(fy, metric, Tier.CHALLENGE, Decimal(20), None)
            db.session.commit()
        root = dc.load_tree(fy, metric, Tier.CHALLENGE).roots[0]
        assert not root.children
        root_id = root.id
    client, token = _director(app)
    resp = client.post(f"/targets/node/{root_id}/decompose/preview?lang=en", headers=HX,
                       data={"csrf_token": token, "dim1": "team", "dim2": "rep",
                             "method": "equal"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:500]
    assert "→" not in body and body.count('class="badge ok">new<') == 4 + 24
    assert "28 targets are created" in body and "replaced" not in body


def test_audit_rows_serialised_beside_the_bulk_write_match_the_writers_own(
    app: Flask, app_ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmark serialises a decomposition's audit rows in the engine thread; the
    rows written that way are the ones apply_plan writes itself."""
    fy, metric = _fy(), _metric("revenue")
    used: list[bool] = []
    real = dc._bulk_audits

    def spy(*args: object) -> bool:
        used.append(real(*args))  # type: ignore[arg-type]
        return used[-1]

    monkeypatch.setattr(target_store, "_bulk_audits", spy)

    def resplit(dims: list[str], method: str, bulk: bool) -> list[tuple[object, ...]]:
        tree = dc.load_tree(fy, metric, Tier.CHALLENGE)
        plan = dc.plan_decompose(tree, dc.Context(fy, metric), tree.roots[0], dims, method)
        if bulk:
            plan.bulk = dc.serialise_new_nodes(plan.new_nodes, tree.additive, plan.changes)
        before = _last_audit()
        dc.apply_plan(plan, None)
        db.session.commit()
        ids = {n.id for n in dc.load_tree(fy, metric, Tier.CHALLENGE).nodes.values()}
        rows = db.session.scalars(select(AuditLog).where(AuditLog.id > before)).all()
        for r in rows:
            if r.details and not r.details.get("removed") and r.field != "split":
                assert r.entity_id in ids
        return sorted(repr((r.field, r.old_value, r.new_value, r.details)) for r in rows
                      if r.field != "split")

    _tree("revenue", Tier.CHALLENGE)
    resplit(["team", "rep"], "equal", False)
    own = resplit(["region", "team", "rep"], "capability", False)
    resplit(["team", "rep"], "equal", False)
    bulk = resplit(["region", "team", "rep"], "capability", True)
    assert own and bulk == own
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    assert used == ([True] if sqlite else [])

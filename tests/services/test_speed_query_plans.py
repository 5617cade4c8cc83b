"""The hot queries use indexes: SQLite's EXPLAIN QUERY PLAN of every SELECT that the hot
pages run (Today and its partial, /api/v1/today, a visit, a sync, /team for the director
and a manager, /targets and one tree level) scans none of visit, target, target_cell,
daily_plan_item in full. Runs on a SQLite database of its own (the demo company plus a
month of daily plans), whatever database the rest of the suite uses."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_PASSWORD, csrf_token  # noqa: E402
from flask import Flask
from sqlalchemy import event, select

from planner import create_app
from planner.extensions import db
from planner.models import Customer, DailyPlan, DailyPlanItem, Target, User

BIG_TABLES = ("visit", "target", "target_cell", "daily_plan_item")
FULL_SCAN = re.compile(r"^SCAN (" + "|".join(BIG_TABLES) + r")(_\d+)?( |$)")


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp: Path = tmp_path_factory.mktemp("plans")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/q.sqlite3",
                      "SECRET_KEY": "q", "SESSION_COOKIE_SECURE": False,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8 * 1024})
    with app.app_context():
        from flask_migrate import upgrade

        from planner.devtools.demo import load_demo

        upgrade()
        load_demo()
        # A month of "plan tomorrow" for every rep (Today reads a plan's items).
        reps = db.session.execute(select(User.id).where(User.role == "rep")).scalars().all()
        today = datetime.now(UTC).date()
        for uid in reps:
            cids = db.session.scalars(select(Customer.id).where(
                Customer.owner_id == uid).limit(3)).all()
            for d in range(-30, 3):
                day = today + timedelta(days=d)
                if db.session.scalar(select(DailyPlan.id).where(
                        DailyPlan.user_id == uid, DailyPlan.day == day)):
                    continue
                plan = DailyPlan(user_id=uid, day=day, notes="")
                plan.items = [DailyPlanItem(customer_id=c) for c in cids]
                db.session.add(plan)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _login(app: Flask, username: str) -> Any:
    client = app.test_client()
    token = csrf_token(client)
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302
    return client


def _full_scans(app: Flask, statements: list[tuple[str, Any]]) -> list[str]:
    bad = []
    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            cur = conn.cursor()
            for sql, params in statements:
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                plan = cur.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
                scans = [row[-1] for row in plan if FULL_SCAN.match(row[-1])]
                if scans:
                    bad.append(f"{scans}: {' '.join(sql.split())[:300]}")
        finally:
            conn.close()
    return bad


def _capture(app: Flask, run: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def listener(_conn: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if not many:
            seen.append((sql, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def _ok(resp: Any) -> None:
    assert resp.status_code < 400, (resp.status_code, resp.get_data(as_text=True)[:300])


def test_the_reps_hot_queries_use_indexes(sqlite_app: Flask) -> None:
    rep = _login(sqlite_app, "rep01")
    with sqlite_app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "rep01"))
        cid = db.session.scalar(select(Customer.id).where(Customer.owner_id == uid))
        db.session.remove()
    token = rep.get("/api/v1/csrf").get_json()["csrf_token"]

    def run() -> None:
        _ok(rep.get("/today"))
        _ok(rep.get("/today", headers={"HX-Request": "true"}))
        _ok(rep.get("/api/v1/today"))
        _ok(rep.post("/api/v1/visits", headers={"X-CSRFToken": token}, json={
            "customer_id": cid, "kind": "cold", "amount_signed_fen": 1000,
            "visited_at": datetime.now(UTC).isoformat()}))
        _ok(rep.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [{
            "id": str(uuid.uuid4()), "type": "visit", "payload": {
                "customer_id": str(cid), "kind": "existing",
                "visited_at": datetime.now(UTC).isoformat()}}]}))
        _ok(rep.get("/today"))

    statements = _capture(sqlite_app, run)
    assert len(statements) > 20
    assert _full_scans(sqlite_app, statements) == []


def test_the_managers_hot_queries_use_indexes(sqlite_app: Flask) -> None:
    director = _login(sqlite_app, "director")
    manager = _login(sqlite_app, "manager1")
    with sqlite_app.app_context():
        root = db.session.scalar(select(Target.id).where(
            Target.parent_id.is_(None), Target.tier == "base").order_by(Target.id))
        db.session.remove()

    def run() -> None:
        _ok(director.get("/team"))
        _ok(manager.get("/team"))
        _ok(director.get("/targets"))
        _ok(director.get(f"/targets/node/{root}/children", headers={"HX-Request": "true"}))
        _ok(manager.get("/targets"))

    statements = _capture(sqlite_app, run)
    assert len(statements) > 10
    assert _full_scans(sqlite_app, statements) == []


def test_the_check_finds_a_full_scan(sqlite_app: Flask) -> None:
    """The detector itself: a query by an unindexed column is reported."""
    stmts = [("SELECT id FROM daily_plan_item WHERE purpose = ?", ("x",)),
             ("SELECT id FROM visit WHERE notes = ?", ("x",)),
             ("SELECT id FROM daily_plan_item WHERE plan_id = ?", (1,))]
    assert len(_full_scans(sqlite_app, stmts)) == 2


def test_the_today_partial_loads_only_the_metrics_it_swaps(sqlite_app: Flask) -> None:
    rep = _login(sqlite_app, "rep02")
    _ok(rep.get("/today"))  # the plan is cached now

    def tables(statements: list[tuple[str, Any]]) -> set[str]:
        return {t for sql, _p in statements
                for t in re.findall(r"\bFROM (\w+)|\bJOIN (\w+)", sql) for t in t if t}

    sqlite_app.config["PAGE_CACHE"] = False  # the page rendered afresh
    try:
        full = tables(_capture(sqlite_app, lambda: _ok(rep.get("/today"))))
    finally:
        sqlite_app.config["PAGE_CACHE"] = True
    part = tables(_capture(sqlite_app, lambda: _ok(
        rep.get("/today", headers={"HX-Request": "true"}))))
    assert {"daily_plan", "customer"} <= full
    assert not {"daily_plan", "daily_plan_item", "customer", "visit", "target"} & part, part
    # The page from the page cache: its copy, the counters and the unread reminders.
    _ok(rep.get("/today"))
    cached = tables(_capture(sqlite_app, lambda: _ok(rep.get("/today"))))
    assert cached <= {"user_account", "company", "org_unit", "summary_cache", "plan_stamp",
                      "reminder"}, cached


def test_targets_pages_load_only_the_nodes_shown_and_forms_when_opened(
        sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.services import targets as decompose

    def whole_tree(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a page loaded the whole tree")

    director = _login(sqlite_app, "director")
    manager = _login(sqlite_app, "manager1")
    with sqlite_app.app_context():
        root = db.session.scalar(select(Target.id).where(
            Target.parent_id.is_(None), Target.tier == "base").order_by(Target.id))
        db.session.remove()
    monkeypatch.setattr(decompose, "load_tree", whole_tree)
    monkeypatch.setattr(decompose, "scope_values", whole_tree)
    page = director.get("/targets?lang=en").get_data(as_text=True)
    assert "/edit/preview" not in page  # no node carries its forms
    forms = re.findall(r'hx-get="(/targets/node/\d+/forms)"', page)
    assert forms and f"/targets/node/{root}/children" in page
    level = director.get(f"/targets/node/{root}/children", headers={"HX-Request": "true"})
    assert level.status_code == 200 and "/edit/preview" not in level.get_data(as_text=True)
    opened = director.get(forms[1], headers={"HX-Request": "true"})
    assert opened.status_code == 200 and "/edit/preview" in opened.get_data(as_text=True)
    assert "<html" not in opened.get_data(as_text=True)
    full = director.get(forms[1])  # without JavaScript: a page with the forms
    assert full.status_code == 200 and "/edit/preview" in full.get_data(as_text=True)
    mine = manager.get("/targets").get_data(as_text=True)
    assert re.findall(r'hx-get="(/targets/node/\d+/forms)"', mine)
    other = [f for f in forms if f not in mine]
    assert other and manager.get(other[0]).status_code == 404


def test_the_app_keeps_sqlites_planner_statistics(sqlite_app: Flask) -> None:
    """Without sqlite_stat1 SQLite guesses, and on the 2,000-rep company it read a rep's
    month targets through an index holding every target of the year. The demo load (and
    any large decomposition, and the reminder worker hourly) refreshes the statistics."""
    from planner.db import refresh_statistics

    with sqlite_app.app_context():
        def stat_tables() -> set[str]:
            return set(db.session.execute(db.text("SELECT tbl FROM sqlite_stat1")).scalars())

        assert {"target", "target_cell", "visit"} <= stat_tables()
        db.session.execute(db.text("DELETE FROM sqlite_stat1"))
        db.session.commit()
        assert not stat_tables()
        refresh_statistics(db.session.connection())
        db.session.commit()
        assert {"target", "target_cell", "visit", "daily_plan_item"} <= stat_tables()

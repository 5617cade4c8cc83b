"""Customers and leads, the stage board, the admin's stages, week and month plans and
the action plan."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from repday_helpers import a_customer_of, client_for, snapshot, user
from sqlalchemy import select

from planner.extensions import db
from planner.models import ActionPlan, Customer, Stage


def test_the_customer_list_searches_with_htmx_and_marks_overdue_follow_ups(app: Flask) -> None:
    c, _ = client_for(app, "rep05")
    with app.app_context():
        cust = a_customer_of("rep05")
        cust.next_follow_up = date.today() - timedelta(days=3)
        db.session.commit()
        name = cust.name
    full = c.get("/customers")
    assert full.status_code == 200 and "overdue" in full.get_data(as_text=True)
    frag = c.get(f"/customers?q={name}", headers={"HX-Request": "true"})
    body = frag.get_data(as_text=True)
    assert body.lstrip().startswith('<ul id="customer-rows"') and name in body
    assert "HX-Request" in frag.headers["Vary"]
    assert "Overdue" in c.get("/customers?lang=en").get_data(as_text=True)


def test_a_card_moves_to_another_stage_on_the_board(app: Flask) -> None:
    c, token = client_for(app, "rep05")
    with app.app_context():
        cust = a_customer_of("rep05", 2)
    board = c.get("/customers/board").get_data(as_text=True)
    assert 'data-stage="lead"' in board and 'data-stage="lost"' in board
    resp = c.post(f"/customers/{cust.id}/stage", data={"csrf_token": token, "stage": "won"},
                  headers={"HX-Request": "true"})
    assert resp.status_code == 200 and 'id="board"' in resp.get_data(as_text=True)
    with app.app_context():
        moved = db.session.get(Customer, cust.id)
        assert moved is not None and moved.stage.code == "won" and moved.first_won_on
    before = snapshot(app)
    bad = c.post(f"/customers/{cust.id}/stage?lang=en", data={"csrf_token": token,
                                                               "stage": "nowhere"},
                 headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "That stage does not exist." in bad.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_customer_page_shows_the_visit_history_and_next_follow_up(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    with app.app_context():
        cust = a_customer_of("rep01")
    page = c.get(f"/customers/{cust.id}?lang=en").get_data(as_text=True)
    assert cust.name in page and "Visit history" in page
    assert "/visits/" in page or "No visits yet." in page


def test_an_admin_edits_the_stages_with_clear_errors(app: Flask) -> None:
    c, token = client_for(app, "director")
    with app.app_context():
        lead = db.session.scalar(select(Stage).where(Stage.code == "lead"))
        need = db.session.scalar(select(Stage).where(Stage.code == "need"))
        assert lead is not None and need is not None
        lead_id, need_id = lead.id, need.id
    before = snapshot(app)
    for data, msg in [
        ({"action": "add", "name": "", "name_en": ""}, "Enter a name."),
        ({"action": "add", "name": "线索", "name_en": "x"}, "Another stage already has that name."),
        ({"action": "rename", "stage_id": str(lead_id), "name": "需求确认"},
         "Another stage already has that name."),
        ({"action": "rename", "stage_id": str(lead_id), "name": "长" * 121}, "at most 120"),
        ({"action": "deactivate", "stage_id": str(lead_id)}, "customers are at this stage"),
        ({"action": "up", "stage_id": str(lead_id)}, "That stage cannot move further."),
    ]:
        resp = c.post("/stages?lang=en", data={**data, "csrf_token": token})
        assert resp.status_code == 422, data
        assert msg in resp.get_data(as_text=True), data
    assert c.post("/stages", data={"action": "rename", "stage_id": "999999",
                                   "csrf_token": token}).status_code == 404
    assert snapshot(app) == before
    ok = c.post("/stages", data={"action": "add", "name": "方案报价", "name_en": "Quoted",
                                 "csrf_token": token})
    assert ok.status_code == 303
    c.post("/stages", data={"action": "down", "stage_id": str(lead_id), "csrf_token": token})
    with app.app_context():
        new = db.session.scalar(select(Stage).where(Stage.name == "方案报价"))
        won = db.session.scalar(select(Stage).where(Stage.code == "won"))
        assert new is not None and won is not None and new.sort < won.sort
        assert db.session.get(Stage, lead_id).sort > db.session.get(Stage, need_id).sort  # type: ignore[union-attr]
        new_id = new.id
    assert c.post("/stages", data={"action": "deactivate", "stage_id": str(new_id),
                                   "csrf_token": token}).status_code == 303
    c.post("/stages", data={"action": "up", "stage_id": str(lead_id), "csrf_token": token})
    board = client_for(app, "rep01")[0].get("/customers/board").get_data(as_text=True)
    assert "方案报价" not in board
    with app.app_context():
        assert db.session.get(Stage, lead_id).sort < db.session.get(Stage, need_id).sort  # type: ignore[union-attr]
    # Reps and managers do not see the stage editor.
    assert client_for(app, "manager1")[0].get("/stages").status_code == 404


def test_the_week_plan_shows_targets_from_the_engine_beside_actuals(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    page = c.get("/plans/week?lang=en").get_data(as_text=True)
    for label in ("New customers", "Cold visits", "Existing customers", "Return visits",
                  "Collections", "Signings", "Mon", "Sun", "Week total"):
        assert label in page, label
    from planner.services.period_plans import week_plan

    with app.app_context():
        data = week_plan(user("rep01"), date(2026, 11, 16))
        cold = next(r for r in data["rows"] if r.key == "cold_visits")
        assert len(cold.targets) == 7 and cold.targets[5] == 0 and cold.targets[6] == 0
        assert sum(t or 0 for t in cold.targets) > 0
        existing = next(r for r in data["rows"] if r.key == "existing")
        assert existing.targets == [None] * 7 and sum(existing.actuals) > 0


def test_the_month_plan_splits_into_early_mid_and_late_month(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    page = c.get("/plans/month?lang=zh_Hans_CN").get_data(as_text=True)
    for label in ("上旬", "中旬", "下旬"):
        assert label in page
    from planner.services.period_plans import month_plan
    from planner.services.rep_plan import rep_plan

    with app.app_context():
        u = user("rep01")
        data = month_plan(u, date(2026, 11, 27))
        revenue = next(r for r in data["rows"] if r.key == "revenue")
        plan = rep_plan(u, date(2026, 11, 27))
        month_target = next(m.target for m in plan.metrics if m.metric.code == "revenue")
        assert revenue.total_target == month_target  # the three parts add up exactly


def test_a_rep_writes_an_action_plan_and_bad_input_keeps_the_text(app: Flask) -> None:
    c, token = client_for(app, "rep06")
    url = "/plans/action?period=quarter&start=2026-10-01&lang=en"
    page = c.get(url).get_data(as_text=True)
    assert "Key actions" in page and "Rewards and penalties" in page
    before = snapshot(app)
    bad = c.post(url, data={"csrf_token": token, "key_actions": "每周拜访 15 家",
                            "milestone_stage": ["签约 3 家", ""],
                            "milestone_due": ["not a date", ""]})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Enter a date for each stage" in body and "每周拜访 15 家" in body
    assert "签约 3 家" in body
    assert snapshot(app) == before
    ok = c.post(url, data={"csrf_token": token, "key_actions": "每周拜访 15 家",
                           "rewards_penalties": "达成奖励 5000 元", "obstacles": "新品知识不足",
                           "support_needed": "技术部陪访", "milestone_stage": ["签约 3 家"],
                           "milestone_due": ["2026-11-15"]})
    assert ok.status_code == 303
    with app.app_context():
        plan = db.session.scalar(select(ActionPlan).where(
            ActionPlan.user_id == user("rep06").id, ActionPlan.period_kind == "quarter"))
        assert plan is not None and plan.period_start == date(2026, 10, 1)
        assert plan.milestones == [{"stage": "签约 3 家", "due": "2026-11-15"}]

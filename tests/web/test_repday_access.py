"""A rep cannot see or change another rep's customers, visits or plans: every route of
the rep's day, pages and API, walked as rep01 against rep02's records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from repday_helpers import a_customer_of, client_for, snapshot, user
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import (
    ActionPlan,
    CalendarOverride,
    DayKind,
    Reminder,
    Target,
    Visit,
    WeeklyReview,
)


def rep02_records(app: Flask) -> dict[str, object]:
    with app.app_context():
        rep02 = user("rep02")
        cust = a_customer_of("rep02")
        visit = db.session.scalars(select(Visit).where(Visit.user_id == rep02.id)).first()
        assert visit is not None
        if db.session.scalar(select(ActionPlan.id).where(ActionPlan.user_id == rep02.id)) is None:
            today = datetime.now(UTC).date().replace(day=1)
            db.session.add(ActionPlan(user_id=rep02.id, period_kind="month", period_start=today,
                                      key_actions="rep02's secret plan", milestones=[]))
            db.session.commit()
        node = db.session.scalar(select(func.min(Target.id)).where(Target.user_id == rep02.id))
        assert node is not None
        return {"user": rep02.id, "customer": cust.id, "customer_name": cust.name,
                "visit": visit.id, "stage": cust.stage_id, "node": node}


# What each record id in a route's address names. A new route whose address takes
# another argument fails the test below until its record is added here.
RECORD_ARGS = {"customer_id": "customer", "visit_id": "visit", "node_id": "node",
               "override_id": "override", "review_id": "review",
               "reminder_id": "reminder", "user_id": "user"}
# Not records: a weekly review's week is always the viewer's own review of that week.
REVIEW_WEEK = (date.today() - timedelta(days=date.today().weekday() + 14)).isoformat()
OTHER_ARGS = {"action": ("edit", "lock", "decompose", "time"), "week": (REVIEW_WEEK,),
              "fmt": ("xlsx", "csv"), "kind": ("targets", "customers", "history"),
              "step": ("preview", "apply")}
NOT_RECORDS = {"static", "web.vendor"}  # file names, not records
# Answers other than 404, with the reason: the viewer's own review of a week
# is theirs to read (200); a POST without its version is refused (422), nothing written;
# the tracking export without ?rep= is the rep's own figures (rep02's are a 404 there).
EXPECTED: dict[tuple[str, str], int] = {
    ("web.review_week", "GET"): 200, ("api.get_own_review", "GET"): 200,
    ("web.review_week_post", "POST"): 422, ("api.submit_review", "POST"): 422,
    ("web.tracking_export", "GET"): 200}


def test_every_route_with_a_record_id_in_its_address_answers_404_for_another_reps_record(
    app: Flask
) -> None:
    r = rep02_records(app)
    with app.app_context():
        company = user("rep02").unit.company_id
        o = db.session.scalar(select(CalendarOverride).where(
            CalendarOverride.company_id == company))
        made = o is None
        if o is None:
            o = CalendarOverride(company_id=company, day=date(2026, 5, 8),
                                 kind=DayKind.HOLIDAY, note="access test")
            db.session.add(o)
            db.session.commit()
        review = db.session.scalar(select(WeeklyReview.id).where(
            WeeklyReview.user_id == r["user"]))
        if review is None:  # rep02's weekly review
            rv = WeeklyReview(user_id=r["user"], week_start=date(2026, 1, 5),
                              completed="rep02's secret review")
            db.session.add(rv)
            db.session.commit()
            review = rv.id
        from planner.services.notify import enqueue  # a reminder of rep02

        enqueue(user("rep02").id, "review_returned", "access-test", datetime.now(UTC),
                title="t", body="b", url="/today")
        db.session.commit()
        rem = db.session.scalar(select(Reminder.id).where(
            Reminder.dedupe_key.like("%:review_returned:access-test")))
        records = {"customer": r["customer"], "visit": r["visit"], "node": r["node"],
                   "override": o.id, "review": review, "reminder": rem,
                   "user": r["user"]}
        oid = o.id
    c, token = client_for(app, "rep01")
    urls = app.url_map.bind("localhost")
    checked = []
    before = snapshot(app)
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in NOT_RECORDS:
            continue
        unknown = rule.arguments - RECORD_ARGS.keys() - OTHER_ARGS.keys()
        assert not unknown, f"{rule.rule}: say what {unknown} names in RECORD_ARGS"
        combos = [{a: records[RECORD_ARGS[a]] for a in rule.arguments if a in RECORD_ARGS}]
        for arg, choices in OTHER_ARGS.items():
            if arg in rule.arguments:
                combos = [{**v, arg: x} for v in combos for x in choices]
        for values in combos:
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                path = urls.build(rule.endpoint, values, method=method)
                resp = c.open(path, method=method, data={"csrf_token": token}
                              if method == "POST" else None)
                want = EXPECTED.get((rule.endpoint, method), 404)
                assert resp.status_code == want, (method, path, resp.status_code)
                assert r["customer_name"] not in resp.get_data().decode("utf-8", "replace"), path
                checked.append((method, rule.endpoint))
    assert snapshot(app) == before
    # The walk reached every kind of record route there is today.
    assert {e for _m, e in checked} >= {
        "web.customer_page", "web.customer_move", "web.visit_page", "api.customer",
        "api.visit", "web.calendar_delete", "web.target_children", "web.target_preview",
        "web.target_apply", "web.target_time", "web.review", "api.get_review",
        "api.list_comments", "web.review_decide",
        "web.notification_open"}
    with app.app_context():
        assert db.session.get(Reminder, rem).read_at is None  # not marked read by rep01
        db.session.delete(db.session.get(Reminder, rem))
        db.session.commit()
        assert db.session.get(CalendarOverride, oid) is not None  # not deleted by rep01
        if made:
            db.session.delete(db.session.get(CalendarOverride, oid))
            db.session.commit()


def test_every_route_of_the_reps_day_answers_404_for_another_reps_records(app: Flask) -> None:
    r = rep02_records(app)
    c, token = client_for(app, "rep01")
    u, cid = r["user"], r["customer"]
    # Record ids in the address are walked from the URL map (the test above); these are
    # the ones in a query string.
    gets = [
        f"/customers?user={u}",
        f"/customers/board?user={u}",
        f"/visits/new?customer_id={cid}",
        f"/plans/week?user={u}",
        f"/plans/month?user={u}",
        f"/plans/action?user={u}",
        f"/plans/action?user={u}&period=quarter",
        "/stages",  # admin only
        f"/api/v1/visits?customer_id={cid}",
        f"/api/v1/today?user={u}",
    ]
    for path in gets:
        resp = c.get(path)
        assert resp.status_code == 404, (path, resp.status_code)
        assert r["customer_name"] not in resp.get_data(as_text=True), path
    # Lists and searches never show rep02's records.
    for path in ("/customers", f"/customers?q={r['customer_name']}", "/customers/board",
                 f"/visits/customers?q={r['customer_name']}", "/today"):
        resp = c.get(path)
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        # The search box echoes the query; the results never hold the customer.
        body = body.replace(f'value="{r["customer_name"]}"', "")
        assert r["customer_name"] not in body, path
    api = c.get(f"/api/v1/customers?q={r['customer_name']}").get_json()
    assert api["customers"] == []
    assert all(v["user_id"] != u for v in c.get("/api/v1/visits?limit=200").get_json()["visits"])

    before = snapshot(app)
    posts = [
        (f"/customers/{cid}/stage?user={u}", {"stage": "won", "from": "page"}, 404),
        (f"/plans/action?user={u}", {"key_actions": "overwrite"}, 404),
        (f"/plans/action?user={u}&period=quarter", {"key_actions": "overwrite"}, 404),
        ("/stages", {"action": "add", "name": "hack"}, 404),
        ("/stages", {"action": "deactivate", "stage_id": str(r["stage"])}, 404),
        # Not a record address: the validator answers "unknown customer" (422) for a
        # customer that is not the rep's own, the same as for one that does not exist.
        ("/visits/new", {"customer_id": str(cid), "kind": "cold", "amount_signed": "100"}, 422),
        ("/today/tomorrow", {"notes": "x", "customer_ids": [str(cid)]}, 422),
    ]
    for path, data, status in posts:
        resp = c.post(path, data={**data, "csrf_token": token})
        assert resp.status_code == status, (path, resp.status_code)
    resp = c.post("/api/v1/visits", json={"customer_id": cid, "kind": "cold"},
                  headers={"X-CSRFToken": token})
    assert resp.status_code == 422 and "customer_id" in resp.get_json()["error"]["fields"]
    assert snapshot(app) == before


def test_a_manager_reads_a_reps_records_and_action_plan_but_not_another_teams(
    app: Flask
) -> None:
    r = rep02_records(app)
    m1, _ = client_for(app, "manager1")  # rep01..rep06 are in team 1
    m2, _ = client_for(app, "manager2")
    u, cid = r["user"], r["customer"]
    assert m1.get(f"/customers/{cid}").status_code == 200
    page = m1.get(f"/plans/action?user={u}")
    assert page.status_code == 200 and "rep02&#39;s secret plan" in page.get_data(as_text=True)
    assert m1.get(f"/plans/week?user={u}").status_code == 200
    assert m1.get(f"/api/v1/today?user={u}").status_code == 200
    for path in (f"/customers/{cid}", f"/plans/action?user={u}", f"/plans/week?user={u}",
                 f"/api/v1/customers/{cid}"):
        assert m2.get(path).status_code == 404, path

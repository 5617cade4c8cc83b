"""The weekly review at the service and HTTP level: every forbidden transition is
refused with a clear message and leaves the review as it was; a manager of another team
gets 404 for the review, its page, its API and its comments; the figures match the visits
logged that week (a week crossing a month end and the National Day week); the outbox's
review items apply at most once and a stale version is a conflict; reminders are queued
in the recipient's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from planner import engine
from planner.extensions import db
from planner.models import (
    Company,
    Reminder,
    ReviewStatus,
    User,
    Visit,
    VisitKind,
    WeeklyReview,
    WeeklyReviewComment,
    WeeklyReviewEvent,
)
from planner.services import reviews as svc
from planner.services.calendar import company_calendar
from planner.services.company import local_today
from planner.services.rep_plan import fiscal_year_of, rep_month_targets


def _client(app: Flask, username: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    c.get("/login?lang=en")  # messages in English (the session keeps the language)
    assert login(c, username).status_code == 302
    return c, csrf_token(c, "/reviews")


def _uid(app: Flask, username: str) -> int:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        db.session.remove()
    assert uid is not None
    return int(uid)


def _today(app: Flask) -> date:
    with app.app_context():
        company = db.session.scalars(select(Company)).first()
        assert company is not None
        d = local_today(company)
        db.session.remove()
    return d


def _week(app: Flask, back: int) -> str:
    """The Monday `back` weeks before this week's."""
    return (svc.week_start(_today(app)) - timedelta(days=7 * back)).isoformat()


def _snap(app: Flask, review_id: int) -> dict[str, Any]:
    with app.app_context():
        r = db.session.get(WeeklyReview, review_id)
        assert r is not None
        out = {"status": r.status, "version": r.version, "completed": r.completed,
               "comment": r.review_comment, "reviewer": r.reviewer_id,
               "events": db.session.scalar(select(func.count(WeeklyReviewEvent.id)).where(
                   WeeklyReviewEvent.review_id == review_id)),
               "comments": db.session.scalar(select(func.count(WeeklyReviewComment.id))
                                             .where(WeeklyReviewComment.review_id ==
                                                    review_id))}
        db.session.remove()
    return out


def _submitted(app: Flask, rep: str, week: str, text: str = "Met 10 customers") -> int:
    c, tok = _client(app, rep)
    r = c.get(f"/api/v1/reviews/week/{week}")
    version = r.get_json()["version"]
    r = c.post(f"/api/v1/reviews/week/{week}/submit", json={
        "version": version, "completed": text}, headers={"X-CSRFToken": tok})
    assert r.status_code == 200, r.get_json()
    return int(r.get_json()["id"])


def _post(c: FlaskClient, tok: str, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json=body, headers={"X-CSRFToken": tok})


# ------------------------------------------------------------------ transitions


def test_the_happy_path_keeps_every_transition_with_who_and_when(app: Flask) -> None:
    week = _week(app, 3)
    rid = _submitted(app, "rep03", week)
    m, mt = _client(app, "manager1")
    v = m.get(f"/api/v1/reviews/{rid}").get_json()["version"]
    r = _post(m, mt, f"/api/v1/reviews/{rid}/return", {"version": v, "comment": "More, please"})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    rep, rt = _client(app, "rep03")
    r = rep.put(f"/api/v1/reviews/week/{week}", json={
        "version": r.get_json()["version"], "missed_reasons": "A customer postponed"},
        headers={"X-CSRFToken": rt})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    assert r.get_json()["completed"] == "Met 10 customers"  # a key left out stays
    r = _post(rep, rt, f"/api/v1/reviews/week/{week}/submit", {"version": r.get_json()["version"]})
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    r = _post(m, mt, f"/api/v1/reviews/{rid}/approve", {"version": r.get_json()["version"]})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    hist = r.get_json()["history"]
    assert [(h["from"], h["to"]) for h in hist] == [
        (None, "submitted"), ("submitted", "returned"), ("returned", "submitted"),
        ("submitted", "approved")]
    assert {h["actor_id"] for h in hist} == {_uid(app, "rep03"), _uid(app, "manager1")}
    assert all(h["at"] for h in hist)
    comments = m.get(f"/api/v1/reviews/{rid}/comments").get_json()["comments"]
    assert [c["body"] for c in comments] == ["More, please"]


def test_each_forbidden_transition_is_refused_with_a_clear_message_and_changes_nothing(
        app: Flask) -> None:
    week = _week(app, 4)
    rid = _submitted(app, "rep04", week)
    rep, rt = _client(app, "rep04")
    m, mt = _client(app, "manager1")
    other_rep, ort = _client(app, "rep05")
    director, dt = _client(app, "director")
    v = _snap(app, rid)["version"]

    def refused(c: FlaskClient, tok: str, url: str, body: dict[str, Any], status: int,
                words: str, method: str = "post") -> None:
        before = _snap(app, rid)
        r = getattr(c, method)(url, json=body, headers={"X-CSRFToken": tok})
        assert r.status_code == status, (url, r.get_json())
        data = r.get_json()
        error = data["error"]  # the API's one error shape
        assert error["code"] == status
        text = error["message"] + " ".join((error.get("fields") or {}).values())
        assert words in text, text
        assert _snap(app, rid) == before

    # The author may not approve or return their own review.
    refused(rep, rt, f"/api/v1/reviews/{rid}/approve", {"version": v}, 403,
            "Nobody approves or returns their own review")
    refused(rep, rt, f"/api/v1/reviews/{rid}/return", {"version": v, "comment": "x"}, 403,
            "their own review")
    # Another rep cannot even see it.
    refused(other_rep, ort, f"/api/v1/reviews/{rid}/approve", {"version": v}, 404, "Not found")
    # A submitted review is not edited or submitted again by the author.
    refused(rep, rt, f"/api/v1/reviews/week/{week}", {"version": v, "completed": "changed"},
            409, "waits for your manager", method="put")
    refused(rep, rt, f"/api/v1/reviews/week/{week}/submit", {"version": v}, 409,
            "waits for your manager")
    # A return needs a comment; a stale version is a conflict.
    refused(m, mt, f"/api/v1/reviews/{rid}/return", {"version": v, "comment": "  "}, 422,
            "Say why you return it")
    refused(m, mt, f"/api/v1/reviews/{rid}/approve", {"version": v - 1}, 409,
            "changed on the server meanwhile")
    refused(m, mt, f"/api/v1/reviews/{rid}/approve", {}, 422, "version is missing")

    # Approved: read-only for everybody.
    assert _post(director, dt, f"/api/v1/reviews/{rid}/approve", {"version": v}).status_code \
        == 200
    v = _snap(app, rid)["version"]
    refused(m, mt, f"/api/v1/reviews/{rid}/approve", {"version": v}, 409, "approved already")
    refused(m, mt, f"/api/v1/reviews/{rid}/return", {"version": v, "comment": "no"}, 409,
            "approved already")
    refused(rep, rt, f"/api/v1/reviews/week/{week}", {"version": v, "completed": "late edit"},
            409, "approved: it can no longer be changed", method="put")
    refused(rep, rt, f"/api/v1/reviews/week/{week}/submit", {"version": v}, 409,
            "approved: it can no longer be changed")
    refused(m, mt, f"/api/v1/reviews/{rid}/comments", {"body": "late"}, 409, "read-only")
    # The page's no-JavaScript form says so as well and changes nothing.
    before = _snap(app, rid)
    r = rep.post(f"/reviews/week/{week}", data={"csrf_token": rt, "version": v,
                                                "action": "submit", "completed": "x"})
    assert r.status_code == 409 and "can no longer be changed" in r.get_data(as_text=True)
    assert _snap(app, rid) == before


def test_a_draft_is_not_approved_and_a_manager_does_not_approve_their_own(app: Flask) -> None:
    week = _week(app, 5)
    rep, rt = _client(app, "rep06")
    r = rep.put(f"/api/v1/reviews/week/{week}", json={"version": 0, "completed": "draft"},
                headers={"X-CSRFToken": rt})
    draft_id = r.get_json()["id"]
    m, mt = _client(app, "manager1")
    before = _snap(app, draft_id)
    r = _post(m, mt, f"/api/v1/reviews/{draft_id}/approve", {"version": before["version"]})
    assert r.status_code == 409 and "not submitted yet" in r.get_json()["error"]["message"]
    assert _snap(app, draft_id) == before
    # A manager writes a review too; they may not approve it, the director may.
    own = _submitted(app, "manager1", week)
    before = _snap(app, own)
    r = _post(m, mt, f"/api/v1/reviews/{own}/approve", {"version": before["version"]})
    assert r.status_code == 403 and "their own" in r.get_json()["error"]["message"]
    assert _snap(app, own) == before
    d, dt = _client(app, "director")
    assert _post(d, dt, f"/api/v1/reviews/{own}/approve",
                 {"version": before["version"]}).status_code == 200
    # Only the author submits: a submit is always of the caller's own review.
    assert _snap(app, draft_id)["status"] == ReviewStatus.DRAFT


def test_bad_input_gets_a_clear_message_and_nothing_is_written(app: Flask) -> None:
    week = _week(app, 6)
    rep, rt = _client(app, "rep09")
    for body, field in [({"version": 0, "completed": "x" * 5001}, "completed"),
                        ({"version": 0, "next_visits": "-3"}, "next_visits"),
                        ({"version": 0, "next_revenue": "lots"}, "next_revenue"),
                        ({"version": 0, "support_department": 7}, "support_department")]:
        r = rep.put(f"/api/v1/reviews/week/{week}", json=body, headers={"X-CSRFToken": rt})
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], r.get_json()
    r = _post(rep, rt, f"/api/v1/reviews/week/{week}/submit", {"version": 0})
    assert r.status_code == 422 and "completed" in r.get_json()["error"]["fields"]
    for bad in ("2026-13-01", "tomorrow", (svc.week_start(_today(app)) + timedelta(days=1))
                .isoformat(), (svc.week_start(_today(app)) + timedelta(days=7)).isoformat()):
        assert rep.get(f"/api/v1/reviews/week/{bad}").status_code == 404
        assert rep.get(f"/reviews/week/{bad}").status_code == 404
    with app.app_context():
        n = db.session.scalar(select(func.count(WeeklyReview.id)).where(
            WeeklyReview.user_id == _uid(app, "rep09")))
        db.session.remove()
    assert n == 0
    r = rep.put(f"/api/v1/reviews/week/{week}", json={
        "version": 0, "next_revenue": "12,800.50", "next_visits": "25"},
        headers={"X-CSRFToken": rt})
    assert r.get_json()["next_numbers"] == {"revenue": 1280050, "visits": 25}


def test_a_manager_of_another_team_gets_404_for_the_review_its_page_api_and_comments(
        app: Flask) -> None:
    week = _week(app, 7)
    rid = _submitted(app, "rep10", week)  # team 2 (manager2)
    own, ot = _client(app, "manager2")
    assert _post(own, ot, f"/api/v1/reviews/{rid}/comments", {"body": "Seen"}).status_code \
        == 201
    other, tok = _client(app, "manager1")
    before = _snap(app, rid)
    v = before["version"]
    assert other.get(f"/reviews/{rid}").status_code == 404
    assert other.get(f"/api/v1/reviews/{rid}").status_code == 404
    assert other.get(f"/api/v1/reviews/{rid}/comments").status_code == 404
    assert _post(other, tok, f"/api/v1/reviews/{rid}/comments", {"body": "x"}).status_code \
        == 404
    assert _post(other, tok, f"/api/v1/reviews/{rid}/approve", {"version": v}).status_code \
        == 404
    assert _post(other, tok, f"/api/v1/reviews/{rid}/return",
                 {"version": v, "comment": "x"}).status_code == 404
    r = other.post(f"/reviews/{rid}/decide", data={"csrf_token": tok, "version": v,
                                                   "action": "approve"})
    assert r.status_code == 404
    r = other.post(f"/reviews/{rid}/comments", data={"csrf_token": tok, "body": "x"})
    assert r.status_code == 404
    assert other.get(f"/reviews/history?user={_uid(app, 'rep10')}").status_code == 404
    assert other.get(f"/api/v1/reviews?user={_uid(app, 'rep10')}").status_code == 404
    listed = other.get("/api/v1/reviews").get_json()["reviews"]
    assert rid not in [x["id"] for x in listed]
    team = other.get(f"/reviews/team?week={week}").get_data(as_text=True)
    assert f"/reviews/{rid}" not in team
    # And through the offline outbox: not found, not applied.
    r = _post(other, tok, "/api/v1/sync", {"items": [{
        "id": "5b0c1a52-8f6e-4d5c-9d7e-1a2b3c4d5e6f", "type": "review",
        "payload": {"action": "approve", "review_id": rid, "version": v}}]})
    assert r.get_json()["results"][0]["status"] == "rejected"
    assert _snap(app, rid) == before
    for path in ("/reviews/99999999", "/reviews/abc", "/api/v1/reviews/1e9",
                 "/api/v1/reviews/99999999999999999999999/comments"):
        assert other.get(path).status_code == 404


# ------------------------------------------------------------------ figures


def _log(c: FlaskClient, tok: str, customer_id: int, at: str, kind: str,
         **extra: Any) -> None:
    r = c.post("/api/v1/visits", json={"customer_id": customer_id, "kind": kind,
                                       "visited_at": at, **extra},
               headers={"X-CSRFToken": tok})
    assert r.status_code == 201, r.get_json()


def _figures(app: Flask, username: str, monday: date) -> dict[str, Any]:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None
        f = svc.compute_figures(user, monday)
        db.session.remove()
    return f


def _db_counts(app: Flask, username: str, monday: date) -> dict[str, Any]:
    """What the visits table says about the week, counted independently."""
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        visits = db.session.scalars(select(Visit).where(
            Visit.user_id == uid, Visit.local_date >= monday,
            Visit.local_date <= monday + timedelta(days=6))).all()
        out = {
            "visits": len(visits),
            "per_day": [sum(1 for v in visits if v.local_date == monday + timedelta(days=i))
                        for i in range(7)],
            "kinds": {k.value: sum(1 for v in visits if v.kind == k) for k in VisitKind},
            "contracts": sum(1 for v in visits if v.amount_signed > 0),
            "revenue": sum(v.amount_signed for v in visits),
            "collections": sum(v.amount_collected for v in visits),
        }
        db.session.remove()
    return out


@pytest.mark.parametrize(("rep", "monday"), [
    ("rep11", date(2026, 6, 29)),   # June 29 .. July 5: crosses a month end
    ("rep12", date(2026, 9, 28)),   # Sep 28 .. Oct 4: month end and the National Day week
])
def test_the_figures_match_the_visits_logged_that_week(app: Flask, rep: str,
                                                       monday: date) -> None:
    c, tok = _client(app, rep)
    before = _figures(app, rep, monday)
    with app.app_context():
        from repday_helpers import a_customer_of

        cust = [a_customer_of(rep, i).id for i in range(3)]
        db.session.remove()
    sunday = monday + timedelta(days=6)
    last_of_month = date(monday.year, monday.month + 1, 1) - timedelta(days=1)
    first_of_next = last_of_month + timedelta(days=1)
    assert monday <= last_of_month < first_of_next <= sunday
    d1, d2 = last_of_month.isoformat(), first_of_next.isoformat()
    _log(c, tok, cust[0], f"{d1}T09:30", "cold")
    _log(c, tok, cust[1], f"{d1}T11:00", "existing", amount_signed_fen=1_280_000,
         products=[])
    _log(c, tok, cust[2], f"{d1}T23:50", "return", amount_collected_fen=500_000)
    _log(c, tok, cust[0], f"{d2}T00:10", "phone")
    _log(c, tok, cust[1], f"{sunday.isoformat()}T15:00", "existing",
         amount_signed_fen=250_050, amount_collected_fen=100_000)
    after = _figures(app, rep, monday)
    rows = {r["key"]: r for r in after["rows"]}
    was = {r["key"]: r for r in before["rows"]}
    assert rows["visits"]["actual"] - was["visits"]["actual"] == 5
    assert rows["cold_visits"]["actual"] - was["cold_visits"]["actual"] == 1
    assert rows["return_visits"]["actual"] - was["return_visits"]["actual"] == 1
    assert rows["existing"]["actual"] - was["existing"]["actual"] == 2
    assert rows["contracts"]["actual"] - was["contracts"]["actual"] == 2
    assert rows["revenue"]["actual"] - was["revenue"]["actual"] == 1_530_050
    assert rows["collections"]["actual"] - was["collections"]["actual"] == 600_000
    i1 = (last_of_month - monday).days
    assert rows["visits"]["actuals"][i1] - was["visits"]["actuals"][i1] == 3
    assert rows["visits"]["actuals"][i1 + 1] - was["visits"]["actuals"][i1 + 1] == 1
    assert rows["visits"]["actuals"][6] - was["visits"]["actuals"][6] == 1
    assert {k: after["kinds"][k] - before["kinds"][k] for k in after["kinds"]} == {
        "cold": 1, "existing": 2, "return": 1, "phone": 1}
    # Absolute figures equal an independent count of the visits table.
    counts = _db_counts(app, rep, monday)
    assert rows["visits"]["actual"] == counts["visits"]
    assert rows["visits"]["actuals"] == counts["per_day"]
    assert after["kinds"] == counts["kinds"]
    assert rows["contracts"]["actual"] == counts["contracts"]
    assert rows["revenue"]["actual"] == counts["revenue"]
    assert rows["collections"]["actual"] == counts["collections"]
    # Targets: each month's target split over its working days (the engine), summed over
    # the week's days on both sides of the month end; days off carry no target.
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == rep))
        company = user.company
        cal = company_calendar(company)
        from planner.models import Metric

        metric = db.session.scalar(select(Metric).where(Metric.company_id == company.id,
                                                        Metric.code == "visits"))
        want = 0
        days = {monday + timedelta(days=i) for i in range(7)}
        for d in (monday, first_of_next):
            month = engine.month_period(d.year, d.month)
            fy = fiscal_year_of(company.id, d)
            target = rep_month_targets(user.id, fy.id, month.start)[metric.id]
            want += sum(v for p, v in engine.split_month_down(target, month, cal)["days"]
                        if p.start in days)
        working = [cal.is_working_day(d) for d in sorted(days)]
        db.session.remove()
    assert rows["visits"]["target"] == want
    assert after["working"] == working
    for i, w in enumerate(working):
        if not w:
            assert rows["visits"]["targets"][i] == 0
    if monday == date(2026, 9, 28):
        assert working[3:7] == [False, False, False, False]  # 10-01 .. 10-04: 国庆
        assert rows["visits"]["targets"][3] == 0


def test_follow_ups_done_and_missed_and_the_planned_numbers_from_last_week(
        app: Flask) -> None:
    rep = "rep13"
    monday = date(2026, 11, 9)
    c, tok = _client(app, rep)
    # Last week the rep met two new leads and set a follow-up on Tuesday for each; A was
    # visited again, B was not.
    ids = []
    for name in ("Follow-up A", "Follow-up B"):
        r = c.post("/api/v1/visits", json={
            "new_customer_name": name, "kind": "cold", "visited_at": "2026-11-04T10:00",
            "next_follow_up": "2026-11-10"}, headers={"X-CSRFToken": tok})
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["customer_id"])
    a = ids[0]
    _log(c, tok, a, "2026-11-10T10:00", "return")
    f = _figures(app, rep, monday)
    assert (f["follow_ups"]["done"], f["follow_ups"]["missed"]) == (1, 1)
    # Next week's numbers of last week's review are this week's plan.
    r = c.put("/api/v1/reviews/week/2026-11-02", json={"version": 0, "next_visits": 18,
                                                      "next_collections": "3000"},
              headers={"X-CSRFToken": tok})
    assert r.status_code == 200, r.get_json()
    assert _figures(app, rep, monday)["planned_numbers"] == {"visits": 18,
                                                             "collections": 300_000}
    page = c.get("/reviews/week/2026-11-09?lang=en").get_data(as_text=True)
    assert "Your plan" in page


# ------------------------------------------------------------------ the outbox


def test_review_items_in_the_sync_apply_once_and_a_stale_version_is_a_conflict(
        app: Flask) -> None:
    week = _week(app, 8)
    rep, rt = _client(app, "rep15")
    item = {"id": "0d6f4a2e-2b6d-4c3a-9a51-6c1f3e0b7a11", "type": "review",
            "user": _uid(app, "rep15"),
            "payload": {"action": "submit", "week": week, "version": 0,
                        "fields": {"completed": "Written offline"}}}
    r = _post(rep, rt, "/api/v1/sync", {"items": [item]})
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "applied"
    rid = rep.get(f"/api/v1/reviews/week/{week}").get_json()["id"]
    before = _snap(app, rid)
    assert before["events"] == 1 and before["status"] == ReviewStatus.SUBMITTED
    assert _post(rep, rt, "/api/v1/sync", {"items": [item]}).get_json()["results"][0][
        "status"] == "duplicate"
    other = {**item, "payload": {**item["payload"], "fields": {"completed": "Other text"}}}
    res = _post(rep, rt, "/api/v1/sync", {"items": [other]}).get_json()["results"][0]
    assert res["status"] == "conflict"
    assert _snap(app, rid) == before
    # The manager returns it; the rep, still offline with the old version, submits again.
    m, mt = _client(app, "manager3")
    assert _post(m, mt, f"/api/v1/reviews/{rid}/return",
                 {"version": before["version"], "comment": "Add the numbers"}).status_code == 200
    returned = _snap(app, rid)
    stale = {"id": "7e1c2d3b-4a5f-4e6d-8c7b-9a0b1c2d3e4f", "type": "review",
             "user": _uid(app, "rep15"),
             "payload": {"action": "submit", "week": week, "version": before["version"],
                         "fields": {"completed": "Edited offline"}}}
    res = _post(rep, rt, "/api/v1/sync", {"items": [stale]}).get_json()["results"][0]
    assert res["status"] == "conflict" and "changed on the server meanwhile" in res["message"]
    assert _snap(app, rid) == returned
    # A visit in the same batch is still applied; a bad review item is rejected alone.
    bad = {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "type": "review",
           "payload": {"action": "dance"}}
    res = _post(rep, rt, "/api/v1/sync", {"items": [bad]}).get_json()["results"][0]
    assert res["status"] == "rejected" and "action" in res["errors"]


# ------------------------------------------------------------------ reminders


def test_submitting_approving_and_returning_queue_reminders_in_the_recipients_language(
        app: Flask) -> None:
    week = _week(app, 9)
    with app.app_context():
        rep = db.session.scalar(select(User).where(User.username == "rep16"))
        rep.locale = "en"
        db.session.commit()
        db.session.remove()
    rid = _submitted(app, "rep16", week)
    with app.app_context():
        to_manager = [dict(r.payload) for r in db.session.scalars(select(Reminder).where(
            Reminder.kind == "review_submitted", Reminder.user_id == _uid(app, "manager3")))]
        db.session.remove()
    to_manager = [p for p in to_manager if p.get("review_id") == rid]
    assert [p["url"] for p in to_manager] == [f"/reviews/{rid}"]
    assert to_manager[0]["title"] == "有周总结待审批"  # the manager's default zh
    m, mt = _client(app, "manager3")
    v = _snap(app, rid)["version"]
    _post(m, mt, f"/api/v1/reviews/{rid}/return", {"version": v, "comment": "Which customers?"})
    with app.app_context():
        got = [dict(r.payload) for r in db.session.scalars(select(Reminder).where(
            Reminder.kind == "review_returned", Reminder.user_id == _uid(app, "rep16")))]
        rep = db.session.scalar(select(User).where(User.username == "rep16"))
        rep.locale = None
        db.session.commit()
        db.session.remove()
    assert len(got) == 1
    assert got[0]["title"] == "Weekly review returned"
    assert "Which customers?" in got[0]["body"]
    assert got[0]["url"] == f"/reviews/week/{week}"


def test_still_not_submitted_on_monday_reminds_the_rep_and_the_manager_once(
        app: Flask) -> None:
    with app.test_request_context():
        company = db.session.scalars(select(Company)).first()
        assert company is not None
        # Mon 12:01 in Shanghai: just past the default due time (Monday 12:00)
        monday_morning = datetime(2026, 11, 2, 4, 1, tzinfo=UTC)
        last = date(2026, 10, 26)
        rep1 = db.session.scalar(select(User).where(User.username == "rep01"))
        db.session.add(WeeklyReview(user_id=rep1.id, week_start=last,
                                    status=ReviewStatus.SUBMITTED, completed="done"))
        db.session.flush()
        n = svc.remind_overdue(company, monday_morning)
        assert n > 0
        assert svc.remind_overdue(company, monday_morning) == 0  # once
        rows = db.session.scalars(select(Reminder).where(
            Reminder.kind.in_(["review_overdue", "review_overdue_team"]),
            Reminder.dedupe_key.like(f"%:{last.isoformat()}"))).all()
        by_user = {r.user_id: r for r in rows}
        rep2 = db.session.scalar(select(User).where(User.username == "rep02"))
        manager1 = db.session.scalar(select(User).where(User.username == "manager1"))
        assert rep1.id not in by_user  # submitted: no reminder
        assert by_user[rep2.id].kind == "review_overdue"
        assert by_user[rep2.id].payload["url"] == f"/reviews/week/{last.isoformat()}"
        team = by_user[manager1.id]
        assert team.kind == "review_overdue_team"
        assert rep2.display_name in team.payload["body"]
        assert rep1.display_name not in team.payload["body"]
        db.session.rollback()
        db.session.execute(delete(Reminder).where(Reminder.dedupe_key.like(
            f"%:{last.isoformat()}")))
        db.session.commit()
        db.session.remove()


def test_the_manager_sees_a_badge_and_the_team_week_and_history_search(app: Flask) -> None:
    week = _week(app, 10)
    rid = _submitted(app, "rep17", week, text="Signed the hospital in Xuhui")
    m, _t = _client(app, "manager3")
    home = m.get("/team?lang=en").get_data(as_text=True)
    assert "data-reviews-waiting" in home
    page = m.get(f"/reviews/team?week={week}&lang=en").get_data(as_text=True)
    assert f"/reviews/{rid}/decide" in page and "Signed the hospital" in page
    assert "Not started" in page
    hits = m.get("/api/v1/reviews?q=hospital").get_json()["reviews"]
    assert [h["id"] for h in hits] == [rid]
    assert m.get("/api/v1/reviews?q=nothing-like-this").get_json()["reviews"] == []
    html = m.get("/reviews/history?q=Xuhui&lang=en").get_data(as_text=True)
    assert f"/reviews/{rid}" in html
    rep, _rt = _client(app, "rep17")
    assert "data-reviews-waiting" not in rep.get("/today").get_data(as_text=True)


def test_the_review_reminders_command_queues_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    at = ["--at", "2026-11-02T12:05+08:00"]  # a Monday, after the review is due
    first = runner.invoke(args=["planner", "review-reminders", *at])
    assert first.exit_code == 0, first.output
    n = int(first.output.strip().rsplit(" ", 1)[1])
    assert n > 0
    again = runner.invoke(args=["planner", "review-reminders", *at])
    assert again.output.strip().endswith(": 0")
    with app.app_context():
        kinds = set(db.session.scalars(select(Reminder.kind).where(
            Reminder.kind.like("review_overdue%"))))
        db.session.execute(delete(Reminder).where(Reminder.kind.like("review_overdue%")))
        db.session.commit()
        db.session.remove()
    assert kinds == {"review_overdue", "review_overdue_team"}


def test_the_weeks_planned_visits_are_shown_beside_what_happened(app: Flask) -> None:
    from planner.models import DailyPlan, DailyPlanItem

    rep = "rep19"
    monday = date(2026, 10, 19)
    c, tok = _client(app, rep)
    uid = _uid(app, rep)
    ids = []
    names = ("Planned lead A", "Planned lead B")  # new leads: no other visits
    for name in names:
        r = c.post("/api/v1/visits", json={"new_customer_name": name, "kind": "cold",
                                           "visited_at": "2026-10-12T10:00"},
                   headers={"X-CSRFToken": tok})
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["customer_id"])
    with app.app_context():
        plan = DailyPlan(user_id=uid, day=date(2026, 10, 21), notes="Two calls")
        plan.items = [DailyPlanItem(customer_id=ids[0], purpose="Quote"),
                      DailyPlanItem(customer_id=ids[1], purpose="Demo")]
        db.session.add(plan)
        db.session.commit()
        db.session.remove()
    a_id = ids[0]
    _log(c, tok, a_id, "2026-10-21T10:00", "existing")
    lines = _figures(app, rep, monday)["plan_lines"]
    assert {"day": "2026-10-21", "customer": "", "purpose": "Two calls", "done": None} in lines
    got = {(x["customer"], x["purpose"]): x["done"] for x in lines if x["customer"]}
    assert got[(names[0], "Quote")] is True
    assert got[(names[1], "Demo")] is False

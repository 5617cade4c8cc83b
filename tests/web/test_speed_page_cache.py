"""Today's page is rendered once per change of what it shows and kept in the database
(services/cache/page.py): after every kind of write the page served equals a fresh
render (the page cache off), the CSRF token aside, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from planner.extensions import db
from planner.models import (
    Customer,
    Metric,
    OrgUnit,
    ReviewStatus,
    Role,
    Stage,
    SummaryCache,
    Target,
    Tier,
    User,
    WeeklyReview,
)
from planner.services import reminders
from planner.services.reminders import bell as notify

HX = {"HX-Request": "true"}
TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+')
REP = "rep07"


def _norm(html: str) -> str:
    return TOKEN.sub(r"\1<token>", html)


def _get(client: FlaskClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_data(as_text=True)


def _served_is_fresh(app: Flask, client: FlaskClient, path: str = "/today") -> str:
    """The page as served (the first answer after a write: the stored copy, if its key
    had not moved), twice, each equal to a fresh render. Returns it."""
    served = _norm(_get(client, path))
    again = _norm(_get(client, path))
    app.config["PAGE_CACHE"] = False
    try:
        fresh = _norm(_get(client, path))
    finally:
        app.config["PAGE_CACHE"] = True
    assert served == fresh
    assert again == fresh
    return served


def _ids(app: Flask, *usernames: str) -> list[int]:
    with app.app_context():
        out = [db.session.scalar(select(User.id).where(User.username == u)) for u in usernames]
        db.session.remove()
    assert all(out)
    return [int(i) for i in out if i is not None]


def _logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture()
def rep(app: Flask) -> Iterator[FlaskClient]:
    client = _logged_in(app, REP)
    _served_is_fresh(app, client)  # the page is stored
    yield client


def test_the_stored_page_is_served_until_something_it_shows_changes(
        app: Flask, rep: FlaskClient) -> None:
    (uid,) = _ids(app, REP)
    key = f"page|today|{uid}"
    with app.app_context():
        raw = db.session.scalar(select(SummaryCache.data).where(SummaryCache.key == key))
        assert raw is not None and "today-metrics" in raw
        db.session.execute(update(SummaryCache).where(SummaryCache.key == key).values(
            data=raw.replace("</main>", "<p>doctored</p></main>")))
        db.session.commit()
        db.session.remove()
    assert "doctored" in _get(rep, "/today")  # served from the database
    page = _get(rep, "/today")
    assert TOKEN.search(page) and "planner-csrf-mark" not in page  # the token filled in
    # The rep renames a customer: the rep's counter moves, the page is rendered again.
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.owner_id == uid))
        assert customer is not None
        customer.notes = (customer.notes or "") + " "
        db.session.commit()
        db.session.remove()
    assert "doctored" not in _served_is_fresh(app, rep)


def test_visits_by_form_api_and_sync_show_at_once(app: Flask, rep: FlaskClient) -> None:
    (uid,) = _ids(app, REP)
    with app.app_context():
        cid = db.session.scalar(select(Customer.id).where(Customer.owner_id == uid)
                                .order_by(Customer.id))
        db.session.remove()
    assert cid is not None
    at = datetime.now(UTC) - timedelta(minutes=5)
    before = _served_is_fresh(app, rep)

    token = csrf_token(rep, "/visits/new")
    resp = rep.post("/visits/new", data={
        "csrf_token": token, "context": "page", "id": str(uuid.uuid4()),
        "lead_uuid": str(uuid.uuid4()), "customer_id": str(cid), "kind": "return",
        "visited_at": at.strftime("%Y-%m-%dT%H:%M"), "place": "", "purpose": "",
        "amount_signed": "1,280.50", "amount_collected": "", "expenses": "", "notes": "",
        "q": ""})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    after_form = _served_is_fresh(app, rep)
    assert after_form != before

    api_token = rep.get("/api/v1/csrf").get_json()["csrf_token"]
    resp = rep.post("/api/v1/visits", headers={"X-CSRFToken": api_token}, json={
        "customer_id": cid, "kind": "cold", "amount_signed_fen": 50_000,
        "visited_at": at.isoformat()})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    after_api = _served_is_fresh(app, rep)
    assert after_api != after_form

    resp = rep.post("/api/v1/sync", headers={"X-CSRFToken": api_token}, json={"items": [{
        "id": str(uuid.uuid4()), "type": "visit", "payload": {
            "customer_id": str(cid), "kind": "existing", "amount_signed": "77.00",
            "visited_at": at.isoformat()}}]})
    assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "applied"
    assert _served_is_fresh(app, rep) != after_api


def test_target_and_calendar_edits_show_at_once(app: Flask, rep: FlaskClient) -> None:
    (uid,) = _ids(app, REP)
    director = _logged_in(app, "director")
    with app.app_context():
        node = db.session.scalar(
            select(Target).join(Metric, Metric.id == Target.metric_id).where(
                Target.user_id == uid, Metric.code == "visits", Target.tier == Tier.BASE)
            .order_by(Target.id))
        assert node is not None
        node_id, value = node.id, node.value
        db.session.remove()
    before = _served_is_fresh(app, rep)
    token = csrf_token(director, "/targets")
    resp = director.post(f"/targets/node/{node_id}/edit/apply", headers=HX,
                         data={"csrf_token": token, "value": str(value + 240)})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    after_target = _served_is_fresh(app, rep)
    assert after_target != before

    resp = director.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": (datetime.now(UTC) + timedelta(days=2)).date().isoformat(),
        "kind": "holiday", "note": "page cache test"})
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)[:300]
    _served_is_fresh(app, rep)


def test_plan_tomorrow_shows_at_once(app: Flask, rep: FlaskClient) -> None:
    (uid,) = _ids(app, REP)
    with app.app_context():
        cids = list(db.session.scalars(select(Customer.id).where(Customer.owner_id == uid)
                                       .order_by(Customer.id).limit(2)))
        db.session.remove()
    before = _served_is_fresh(app, rep)
    token = csrf_token(rep, "/today")
    resp = rep.post("/today/tomorrow", data={"csrf_token": token, "notes": "see them",
                                             "customer_ids": [str(c) for c in cids]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    after = _served_is_fresh(app, rep)
    assert after != before and "see them" in after
    resp = rep.post("/today/tomorrow", data={"csrf_token": token, "notes": "",
                                             "customer_ids": [str(cids[0])]})
    assert resp.status_code == 200
    assert _served_is_fresh(app, rep) != after


def test_reminders_show_when_due_and_when_read(app: Flask, rep: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (uid,) = _ids(app, REP)
    before = _served_is_fresh(app, rep)
    now = datetime.now(UTC)
    with app.app_context():
        assert notify.enqueue(uid, "test", f"page-cache-{uuid.uuid4()}",
                              now + timedelta(hours=2), title="Later", body="b", url="/today")
        db.session.commit()
        db.session.remove()
    # Written, but not due yet: the same page (the bell counts due reminders only).
    assert _served_is_fresh(app, rep) == before
    # Two hours later it is due: no write, yet the bell shows it.
    monkeypatch.setattr(reminders, "utcnow", lambda: now + timedelta(hours=3))
    due = _served_is_fresh(app, rep)
    assert due != before and 'class="bell-count"' in due
    token = csrf_token(rep, "/notifications")
    assert rep.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert 'class="bell-count"' not in _served_is_fresh(app, rep)


def test_names_of_units_stages_and_the_user_show_at_once(app: Flask,
                                                         rep: FlaskClient) -> None:
    (uid,) = _ids(app, REP)
    with app.app_context():
        user = db.session.get(User, uid)
        assert user is not None
        unit_id = user.unit_id
        user.display_name = user.display_name + " Jr"
        db.session.commit()
        db.session.remove()
    assert " Jr" in _served_is_fresh(app, rep)
    with app.app_context():  # a Core statement: every stored page goes
        db.session.execute(update(OrgUnit).where(OrgUnit.id == unit_id).values(
            name=OrgUnit.name + "·新"))
        db.session.commit()
        db.session.remove()
    assert "·新" in _served_is_fresh(app, rep)
    with app.app_context():  # an ORM write to a table without a user: every stored page
        stage = db.session.scalar(select(Stage).order_by(Stage.id))
        assert stage is not None
        stage_id, stage_name = stage.id, stage.name
        stage.name = stage.name + "!"
        db.session.commit()
        db.session.remove()
    _served_is_fresh(app, rep)
    with app.app_context():  # the names back (other tests use them); the page follows
        db.session.execute(update(Stage).where(Stage.id == stage_id).values(name=stage_name))
        db.session.execute(update(OrgUnit).where(OrgUnit.id == unit_id).values(
            name=func.replace(OrgUnit.name, "·新", "")))
        user = db.session.get(User, uid)
        assert user is not None
        user.display_name = user.display_name.removesuffix(" Jr")
        db.session.commit()
        db.session.remove()
    page = _served_is_fresh(app, rep)
    assert "·新" not in page and " Jr" not in page


def test_each_language_has_its_own_page(app: Flask, rep: FlaskClient) -> None:
    en = _served_is_fresh(app, rep, "/today?lang=en")
    zh = _served_is_fresh(app, rep, "/today?lang=zh_Hans_CN")
    assert en != zh and 'lang="en"' in en and 'lang="zh-CN"' in zh
    assert _served_is_fresh(app, rep, "/today?lang=en") == en


def test_a_managers_page_follows_the_reviews_waiting(app: Flask) -> None:
    """A review submitted moves the rep's counter, not the manager's: the manager's
    page counts the reviews waiting by value."""
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.role == Role.MANAGER)
                                    .order_by(User.id))
        assert manager is not None
        rep = db.session.scalar(select(User).join(OrgUnit, OrgUnit.id == User.unit_id).where(
            User.role == Role.REP, OrgUnit.path.like(f"%/{manager.unit_id}/%"))
            .order_by(User.id))
        assert rep is not None
        name, rep_id = manager.username, rep.id
        db.session.remove()
    client = _logged_in(app, name)
    _served_is_fresh(app, client)
    with app.app_context():
        review = WeeklyReview(user_id=rep_id, week_start=datetime(2020, 1, 6).date(),
                              status=ReviewStatus.SUBMITTED, submitted_at=datetime.now(UTC))
        db.session.add(review)
        db.session.commit()
        review_id = review.id
        db.session.remove()
    page = _served_is_fresh(app, client)
    assert "data-reviews-waiting" in page
    with app.app_context():
        db.session.execute(update(WeeklyReview).where(WeeklyReview.id == review_id)
                           .values(status=ReviewStatus.DRAFT))
        db.session.commit()
        db.session.remove()
    _served_is_fresh(app, client)

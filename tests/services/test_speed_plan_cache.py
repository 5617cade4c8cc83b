"""The rep's plan is computed once per change and kept in the database (services/cache): every
answer equals a fresh computation after visits, syncs, target and calendar edits."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from planner.api.today import plan_metrics_json
from planner.extensions import db
from planner.models import Customer, Metric, PlanCache, Role, Target, Tier, User
from planner.services import cache
from planner.services.cache.changes import session_wrote
from planner.services.rep_plan import rep_plan

HX = {"HX-Request": "true"}


def _director(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "director").status_code == 302
    return client


def _rep_ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(User.username, User.id).where(
            User.role == Role.REP).order_by(User.username)).all()
        db.session.remove()
    return dict(rows)


def _fresh(app: Flask, uid: int) -> list[dict[str, Any]]:
    with app.app_context():
        user = db.session.get(User, uid)
        assert user is not None
        out = plan_metrics_json(rep_plan(user))
        db.session.remove()
    return out


def _served(client: FlaskClient, uid: int) -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/today?user={uid}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return list(resp.get_json()["metrics"])


def _cached_row(app: Flask, uid: int) -> PlanCache | None:
    with app.app_context():
        row = db.session.get(PlanCache, uid)
        if row is not None:
            db.session.expunge(row)
        db.session.remove()
    return row


def _assert_every_rep_matches(app: Flask, client: FlaskClient) -> None:
    for name, uid in _rep_ids(app).items():
        first = _served(client, uid)  # computed (or cached) ...
        again = _served(client, uid)  # ... then from the cache
        fresh = _fresh(app, uid)
        assert first == fresh, name
        assert again == fresh, name
        row = _cached_row(app, uid)
        assert row is not None, f"{name}: no cached plan"


def test_a_cached_plan_is_served_until_something_it_depends_on_changes(app: Flask) -> None:
    client = _director(app)
    uid = _rep_ids(app)["rep05"]
    fresh = _served(client, uid)
    row = _cached_row(app, uid)
    assert row is not None
    # Doctor the cached row under its current key: the answer comes from the cache.
    doc = json.loads(row.data)
    doc["metrics"][0]["achieved"] = 987_654
    with app.app_context():
        db.session.execute(update(PlanCache).where(PlanCache.user_id == uid)
                           .values(data=json.dumps(doc)))
        db.session.commit()
    assert _served(client, uid)[0]["achieved"] == 987_654
    # Any write to the rep's customers moves the rep's counter: recomputed.
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.owner_id == uid))
        assert customer is not None
        customer.notes = (customer.notes or "") + " "
        db.session.commit()
    assert _served(client, uid) == fresh == _fresh(app, uid)


def test_cached_plans_equal_fresh_ones_after_visits_syncs_target_and_calendar_edits(
        app: Flask) -> None:
    director = _director(app)
    _assert_every_rep_matches(app, director)
    ids = _rep_ids(app)

    # A visit through the API (the form and the sync write through the same service).
    rep = app.test_client()
    assert login(rep, "rep02").status_code == 302
    with app.app_context():
        cid = db.session.scalar(select(Customer.id).where(Customer.owner_id == ids["rep02"]))
        db.session.remove()
    token = rep.get("/api/v1/csrf").get_json()["csrf_token"]
    before = _served(director, ids["rep02"])
    resp = rep.post("/api/v1/visits", headers={"X-CSRFToken": token}, json={
        "customer_id": cid, "kind": "cold", "amount_signed_fen": 123_400,
        "visited_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    after = _served(director, ids["rep02"])
    assert after != before and after == _fresh(app, ids["rep02"])

    # An offline sync: Today (API and page) agrees with a fresh computation.
    item = {"id": str(uuid.uuid4()), "type": "visit", "payload": {
        "customer_id": str(cid), "kind": "existing", "amount_collected": "56.78",
        "visited_at": (datetime.now(UTC) - timedelta(minutes=2)).isoformat()}}
    resp = rep.post("/api/v1/sync", json={"items": [item]}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["results"][0]["status"] == "applied"
    assert rep.get("/api/v1/today").get_json()["metrics"] == _fresh(app, ids["rep02"])
    assert _served(director, ids["rep02"]) == _fresh(app, ids["rep02"])
    assert rep.get("/today").status_code == 200
    _assert_every_rep_matches(app, director)

    # A target edit (rebalances the rep's siblings): every rep's plan follows.
    with app.app_context():
        node = db.session.scalar(
            select(Target).join(Metric, Metric.id == Target.metric_id).where(
                Target.user_id == ids["rep03"], Metric.code == "visits",
                Target.tier == Tier.BASE).order_by(Target.id))
        assert node is not None
        node_id, value = node.id, node.value
        db.session.remove()
    token = csrf_token(director, "/targets")
    resp = director.post(f"/targets/node/{node_id}/edit/apply", headers=HX,
                         data={"csrf_token": token, "value": str(value + 17)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _assert_every_rep_matches(app, director)

    # A company holiday moves every rep's working days left.
    resp = director.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": (datetime.now(UTC) + timedelta(days=3)).date().isoformat(),
        "kind": "holiday", "note": "plan cache test"})
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)
    _assert_every_rep_matches(app, director)


def test_core_statements_on_targets_move_every_reps_counter(app: Flask) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep01"))
        assert user is not None
        g0, u0 = cache.stamps(user)
        db.session.execute(update(Target).where(Target.id == -1).values(value=0))
        db.session.commit()
        g1, u1 = cache.stamps(user)
        assert g1 == g0 + 1 and u1 == u0
        db.session.remove()


def test_a_request_that_wrote_and_has_not_committed_does_not_store_the_cache(
        app: Flask) -> None:
    """A second connection would wait for the request's own locks: nothing is stored."""
    from planner.db import write_intent

    with app.test_request_context("/today"), app.app_context():
        token = write_intent.set(False)  # a read request
        try:
            user = db.session.scalar(select(User).where(User.username == "rep06"))
            assert user is not None
            db.session.execute(update(PlanCache).where(PlanCache.user_id == user.id)
                               .values(key="stale"))  # an uncommitted write
            assert session_wrote()
            cache.cached_rep_plan(user)  # computes, does not store (no wait)
            db.session.rollback()
            assert not session_wrote()
        finally:
            write_intent.reset(token)
            db.session.remove()

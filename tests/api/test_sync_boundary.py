"""Every item type of POST /api/v1/sync goes through the same boundary checks as a visit
(lone UTF-16 surrogates, NUL, lengths, types) before any service sees it, and one bad item
never fails the others: the batch answers item by item, and the good visit beside a bad
review item is saved."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest
from conftest import login, recently
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Company, Customer, User, Visit, WeeklyReviewEvent
from planner.services import reviews as review_svc
from planner.services.company import local_today

REP = "rep17"
SURROGATE = "ok \ud800 text"
NUL = "ok \x00 text"


def _client(app: Flask) -> tuple[FlaskClient, str]:
    c = app.test_client()
    c.get("/login?lang=en")
    assert login(c, REP).status_code == 302
    return c, str(c.get("/api/v1/csrf").get_json()["csrf_token"])


def _customer(app: Flask) -> int:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == REP))
        cid = db.session.scalar(select(Customer.id).where(Customer.owner_id == uid)
                                .order_by(Customer.id))
        db.session.remove()
    assert cid is not None
    return int(cid)


def _week(app: Flask, back: int) -> str:
    with app.app_context():
        company = db.session.scalars(select(Company)).first()
        assert company is not None
        monday = review_svc.week_start(local_today(company)) - timedelta(days=7 * back)
        db.session.remove()
    return monday.isoformat()


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return int(n or 0)


def _visit(cid: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "visit", "payload": {
        "customer_id": str(cid), "kind": "existing",
        "visited_at": recently().astimezone(UTC).isoformat(), "notes": "beside a bad item"}}


def _submit(monday: str, /, **change: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": "submit", "week": monday, "version": 0,
                               "fields": {"completed": "Written offline"}}
    payload.update(change)
    return {"id": str(uuid.uuid4()), "type": "review", "payload": payload}


def _decide(**change: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": "approve", "review_id": 1, "version": 1,
                               "comment": "Fine"}
    payload.update(change)
    return {"id": str(uuid.uuid4()), "type": "review", "payload": payload}


# Each probe: (name, the review item made from the week, the field its reason must name).
PROBES = [
    *((f"{bad!r} in {key}", lambda w, k=key, v=bad: _submit(w, **{k: v}), key)
      for key in ("action", "week", "version") for bad in (SURROGATE, NUL)),
    # A review's own field inside "fields" is named by its key, as the service names it.
    *((f"{bad!r} in fields", lambda w, v=bad: _submit(w, fields={"completed": v}),
       "completed") for bad in (SURROGATE, NUL)),
    ("surrogate in a fields key",
     lambda w: _submit(w, fields={"compl\udfffeted": "x"}), "completed"),
    *((f"{bad!r} in {key}", lambda w, k=key, v=bad: _decide(**{k: v}), key)
      for key in ("comment", "review_id") for bad in (SURROGATE, NUL)),
    ("surrogate in a payload key", lambda w: _submit(w, **{"x\ud800": "1"}), "x"),
]


@pytest.mark.parametrize("make, field", [(p[1], p[2]) for p in PROBES],
                         ids=[p[0] for p in PROBES])
def test_a_lone_surrogate_or_nul_in_a_review_item_rejects_that_item_alone(
        app: Flask, make: Any, field: str) -> None:
    c, tok = _client(app)
    visit = _visit(_customer(app))
    review = make(_week(app, 30))
    resp = c.post("/api/v1/sync", json={"items": [visit, review]},
                  headers={"X-CSRFToken": tok})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    results = resp.get_json()["results"]
    assert results[0] == {"id": visit["id"], "status": "applied"}
    assert results[1]["id"] == review["id"] and results[1]["status"] == "rejected"
    assert list(results[1]["errors"]) == [field]
    assert "cannot be saved" in results[1]["errors"][field]
    assert _count(app, Visit, Visit.id == visit["id"]) == 1
    assert _count(app, WeeklyReviewEvent, WeeklyReviewEvent.op_id == review["id"]) == 0


# Wrong types and sizes: each answered for the item alone, with a reason.
TYPE_PROBES = [
    ("action", ["submit"]), ("action", 7), ("week", {"y": 2026}), ("week", 20261130),
    ("version", "two"), ("version", 1.5), ("version", True), ("version", 10**40),
    ("fields", ["completed"]), ("fields", "completed"), ("fields", {"completed": ["a"]}),
    ("fields", {"completed": {"deep": {"er": "x"}}}), ("fields", {"completed": "x" * 30_000}),
    ("comment", 5), ("comment", "y" * 30_000), ("review_id", [1]), ("review_id", 10**40),
    ("review_id", -3), ("review_id", "1e3"),
]


@pytest.mark.parametrize("key, value", TYPE_PROBES, ids=[f"{k}={str(v)[:20]}"
                                                         for k, v in TYPE_PROBES])
def test_a_review_item_of_the_wrong_type_or_size_is_answered_alone(
        app: Flask, key: str, value: Any) -> None:
    c, tok = _client(app)
    visit = _visit(_customer(app))
    week = _week(app, 31)
    review = (_decide(**{key: value}) if key in ("comment", "review_id")
              else _submit(week, **{key: value}))
    resp = c.post("/api/v1/sync", json={"items": [visit, review]},
                  headers={"X-CSRFToken": tok})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    results = resp.get_json()["results"]
    assert results[0]["status"] == "applied"
    assert results[1]["status"] in ("rejected", "conflict")
    reason = results[1].get("errors") or {"message": results[1].get("message")}
    assert all(isinstance(m, str) and m for m in reason.values()), results[1]
    assert _count(app, Visit, Visit.id == visit["id"]) == 1
    assert _count(app, WeeklyReviewEvent, WeeklyReviewEvent.op_id == review["id"]) == 0


def test_the_review_operations_answer_text_that_cannot_be_stored_field_by_field(
        app: Flask) -> None:
    c, tok = _client(app)
    week = _week(app, 32)
    version = c.get(f"/api/v1/reviews/week/{week}").get_json()["version"]
    for url, method, body, field in (
            (f"/api/v1/reviews/week/{week}", "put", {"completed": SURROGATE}, "completed"),
            (f"/api/v1/reviews/week/{week}/submit", "post", {"problems": NUL}, "problems"),
            (f"/api/v1/reviews/week/{week}", "put", {"x\ud800y": "1"}, "xy")):
        resp = getattr(c, method)(url, json={"version": version, **body},
                                  headers={"X-CSRFToken": tok})
        assert resp.status_code == 422, (url, resp.get_data(as_text=True)[:300])
        error = resp.get_json()["error"]
        assert "cannot be saved" in error["fields"][field]
    assert c.get(f"/api/v1/reviews/week/{week}").get_json()["version"] == version


def test_an_error_in_an_item_handler_rejects_that_item_alone(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.api import sync as sync_module

    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("a bug in the review service")

    monkeypatch.setattr(sync_module, "review_item", broken)
    c, tok = _client(app)
    visit, review = _visit(_customer(app)), _submit(_week(app, 33))
    resp = c.post("/api/v1/sync", json={"items": [review, visit]},
                  headers={"X-CSRFToken": tok})
    assert resp.status_code == 200
    first, second = resp.get_json()["results"]
    assert first["status"] == "rejected" and "could not apply" in first["errors"]["item"]
    assert second == {"id": visit["id"], "status": "applied"}
    assert _count(app, Visit, Visit.id == visit["id"]) == 1


def test_an_api_state_change_without_a_login_answers_401_and_with_one_needs_the_token(
        app: Flask) -> None:
    anonymous = app.test_client()
    for url, method in (("/api/v1/sync", "post"), ("/api/v1/visits", "post"),
                        ("/api/v1/reviews/1/approve", "post"),
                        (f"/api/v1/reviews/week/{_week(app, 1)}", "put")):
        resp = getattr(anonymous, method)(url, json={"items": []})
        assert resp.status_code == 401, (url, resp.status_code)
        error = resp.get_json()["error"]
        assert error["code"] == 401 and error["message"] and "fields" not in error
    c, _tok = _client(app)
    resp = c.post("/api/v1/sync", json={"items": []})  # logged in, no token
    assert resp.status_code == 400 and "security token" in resp.get_json()["error"]["message"]


def test_the_document_lists_only_weeks_a_review_may_be_written_for(app: Flask) -> None:
    from datetime import date

    from planner.api.openapi import document
    from planner.api.openapi_reviews import WEEKS_LISTED

    assert WEEKS_LISTED * 7 + 7 < review_svc.MAX_WEEKS_BACK
    doc = document(date(2026, 12, 8))
    week = doc["paths"]["/reviews/week/{week}"]["get"]["parameters"][0]["schema"]
    assert week["enum"][0] == "2026-12-07" and len(week["enum"]) == WEEKS_LISTED
    visit = doc["components"]["schemas"]["VisitInput"]["properties"]
    import re as regex

    assert regex.match(visit["visited_at"]["pattern"], "2026-12-08T09:30:00+08:00")
    assert not regex.match(visit["visited_at"]["pattern"], "2000-01-01T09:30:00Z")

"""POST /api/v1/sync applies each outbox item at most once, answers item by item, and a
batch is one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import recently
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from planner.api import sync as sync_module
from planner.extensions import db
from planner.models import Customer, User, Visit
from planner.services.visits import intake as intake_module


def _token(client: FlaskClient) -> str:
    resp = client.get("/api/v1/csrf")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    return str(resp.get_json()["csrf_token"])


def _post(client: FlaskClient, items: list[dict[str, Any]], token: str | None = None) -> Any:
    return client.post("/api/v1/sync", json={"items": items},
                       headers={"X-CSRFToken": token or _token(client)})


def _customers(app: Flask, username: str = "rep01") -> list[int]:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        ids = db.session.scalars(
            select(Customer.id).where(Customer.owner_id == uid).order_by(Customer.id)
        ).all()
        db.session.remove()
    return list(ids)


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return int(n or 0)


def _visit(cid: int, **extra: Any) -> dict[str, Any]:
    payload = {"customer_id": str(cid), "kind": "existing",
               "visited_at": recently().astimezone(UTC).isoformat(),
               "amount_signed": "1280", "notes": "offline"}
    payload.update(extra)
    return {"id": str(uuid.uuid4()), "type": "visit", "payload": payload}


def test_the_csrf_token_and_the_sync_need_a_login(client: FlaskClient) -> None:
    assert client.get("/api/v1/csrf").status_code == 401
    resp = client.post("/api/v1/sync", json={"items": []})
    assert resp.status_code in (400, 401)
    assert "error" in resp.get_json()


def test_a_sync_without_the_csrf_token_changes_nothing(rep_client: FlaskClient, app: Flask) -> None:
    item = _visit(_customers(app)[0])
    resp = rep_client.post("/api/v1/sync", json={"items": [item]})
    assert resp.status_code == 400
    assert _count(app, Visit, Visit.id == item["id"]) == 0


def test_a_batch_is_applied_item_by_item_and_moves_todays_numbers(
    rep_client: FlaskClient, app: Flask
) -> None:
    cid = _customers(app)[0]
    items = [_visit(cid), _visit(cid, kind="return", amount_signed="", amount_collected="50")]
    resp = _post(rep_client, items)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert [r["id"] for r in body["results"]] == [i["id"] for i in items]
    assert body["csrf_token"]
    assert "plan" not in body  # the phone reloads Today itself
    today = rep_client.get("/api/v1/today").get_json()
    revenue = next(m for m in today["metrics"] if m["source"] == "amount_signed")
    assert revenue["achieved_today"] >= 128_000
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2


def test_the_same_batch_posted_three_times_leaves_one_copy_of_each(
    rep_client: FlaskClient, app: Flask
) -> None:
    cid = _customers(app)[1]
    lead = str(uuid.uuid4())
    items = [_visit(cid), _visit(cid, kind="cold", customer_id="", new_customer_name="新客户甲",
                                 customer_uuid=lead)]
    statuses = []
    for _ in range(3):
        resp = _post(rep_client, items)
        assert resp.status_code == 200
        statuses.append([r["status"] for r in resp.get_json()["results"]])
    assert statuses == [["applied"] * 2, ["duplicate"] * 2, ["duplicate"] * 2]
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2
    assert _count(app, Customer, Customer.uuid == lead) == 1


def test_the_same_id_with_another_payload_is_a_conflict_and_not_applied(
    rep_client: FlaskClient, app: Flask
) -> None:
    cid = _customers(app)[2]
    item = _visit(cid)
    assert _post(rep_client, [item]).get_json()["results"][0]["status"] == "applied"
    changed = {**item, "payload": {**item["payload"], "amount_signed": "999999"}}
    result = _post(rep_client, [changed]).get_json()["results"][0]
    assert result["status"] == "conflict" and result["message"]
    with app.app_context():
        assert db.session.get(Visit, item["id"]).amount_signed == 128_000  # type: ignore[union-attr]
        db.session.remove()


def test_a_rejected_item_says_why_and_does_not_stop_the_others(
    rep_client: FlaskClient, app: Flask
) -> None:
    cid = _customers(app)[3]
    other = _customers(app, "rep02")[0]
    good, bad, foreign, future = (
        _visit(cid), _visit(cid, amount_signed="-5"), _visit(other),
        _visit(cid, visited_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
    )
    results = _post(rep_client, [good, bad, foreign, future]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected"]
    assert "amount_signed" in results[1]["errors"]
    assert "customer_id" in results[2]["errors"]  # another rep's customer is unknown here
    assert "visited_at" in results[3]["errors"]
    assert _count(app, Visit, Visit.id.in_([bad["id"], foreign["id"], future["id"]])) == 0
    assert _count(app, Visit, Visit.id == good["id"]) == 1


def test_malformed_items_are_rejected_one_by_one(rep_client: FlaskClient, app: Flask) -> None:
    good = _visit(_customers(app)[4])
    results = _post(rep_client, [
        "nonsense", {"id": "not-a-uuid", "type": "visit", "payload": {}},
        {"id": str(uuid.uuid4()), "type": "spaceship", "payload": {}},
        {"id": str(uuid.uuid4()), "type": "visit"}, good,
    ]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4 + ["applied"]
    assert _post(rep_client, {"no": "list"}).status_code == 422  # type: ignore[arg-type]


def test_a_visit_to_a_lead_made_offline_in_the_same_or_an_earlier_batch(
    rep_client: FlaskClient, app: Flask
) -> None:
    lead = str(uuid.uuid4())
    first = _visit(0, customer_id="", new_customer_name="路边新店", customer_uuid=lead)
    again = _visit(0, customer_id="", customer_uuid=lead, kind="return")
    # the phone sent the lead's name with every visit to it: still one lead
    named = _visit(0, customer_id="", new_customer_name="路边新店", customer_uuid=lead)
    results = _post(rep_client, [first, again, named]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    later = _visit(0, customer_id="", customer_uuid=lead, kind="phone")
    assert _post(rep_client, [later]).get_json()["results"][0]["status"] == "applied"
    assert _count(app, Customer, Customer.uuid == lead) == 1
    with app.app_context():
        cust_id = db.session.scalar(select(Customer.id).where(Customer.uuid == lead))
        db.session.remove()
    assert _count(app, Visit, Visit.customer_id == cust_id) == 4


def test_a_batch_over_the_limit_is_refused_with_a_clear_message(
    rep_client: FlaskClient, app: Flask
) -> None:
    cid = _customers(app)[0]
    items = [_visit(cid) for _ in range(sync_module.MAX_BATCH + 1)]
    resp = _post(rep_client, items)
    assert resp.status_code == 413
    assert str(sync_module.MAX_BATCH) in resp.get_json()["error"]["message"]
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 0


def test_a_server_failing_before_the_commit_applies_nothing_and_the_retry_applies_all(
    rep_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customers(app)[5]
    items = [_visit(cid), _visit(cid, customer_id="", new_customer_name="掉线客户",
                                 customer_uuid=str(uuid.uuid4()))]
    token = _token(rep_client)

    def boom() -> None:
        raise OperationalError("COMMIT", {}, Exception("server stopped"))

    monkeypatch.setattr(sync_module, "_before_commit", boom)
    with pytest.raises(OperationalError):
        _post(rep_client, items, token)
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 0
    assert _count(app, Customer, Customer.uuid == items[1]["payload"]["customer_uuid"]) == 0
    monkeypatch.undo()
    results = _post(rep_client, items, token).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2


def test_a_database_failure_mid_batch_rolls_the_whole_batch_back(
    rep_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customers(app)[6]
    items = [_visit(cid), _visit(cid), _visit(cid)]
    real = intake_module.record_visit
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_module, "record_visit", flaky)
    with pytest.raises(OperationalError):
        _post(rep_client, items)
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 0
    monkeypatch.undo()
    assert [r["status"] for r in _post(rep_client, items).get_json()["results"]] == ["applied"] * 3


def test_an_answer_lost_after_the_commit_is_retried_as_duplicates(
    rep_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customers(app)[7]
    lead = str(uuid.uuid4())
    items = [_visit(cid), _visit(cid, customer_id="", new_customer_name="断线客户",
                                 customer_uuid=lead)]

    def lost() -> None:
        raise ConnectionResetError("connection dropped before the answer")

    monkeypatch.setattr(sync_module, "_after_commit", lost)
    with pytest.raises(ConnectionResetError):
        _post(rep_client, items)
    monkeypatch.undo()
    results = _post(rep_client, items).get_json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "duplicate"]
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2
    assert _count(app, Customer, Customer.uuid == lead) == 1


def test_another_reps_item_with_a_known_id_is_a_conflict(
    client: FlaskClient, app: Flask
) -> None:
    from conftest import login

    login(client, "rep01")
    item = _visit(_customers(app)[8])
    assert _post(client, [item]).get_json()["results"][0]["status"] == "applied"
    other = app.test_client()
    login(other, "rep02")
    theirs = str(_customers(app, "rep02")[1])
    moved = {**item, "payload": {**item["payload"], "customer_id": theirs}}
    assert _post(other, [item]).get_json()["results"][0]["status"] == "conflict"
    assert _post(other, [moved]).get_json()["results"][0]["status"] == "conflict"


def test_a_clash_with_the_database_rejects_that_item_and_applies_the_others(
    rep_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customers(app)[9]
    items = [_visit(cid), _visit(cid), _visit(cid)]
    taken = _db_uuid(app, cid)
    real = intake_module.record_visit

    def clashing(user: Any, data: Any, visit_id: str | None = None, **kw: Any) -> Any:
        if visit_id == items[1]["id"]:  # e.g. another request made the same lead meanwhile
            db.session.add(Customer(uuid=taken, company_id=user.unit.company_id,
                                    owner_id=user.id, name="dup", stage_id=1))
        return real(user, data, visit_id=visit_id, **kw)

    monkeypatch.setattr(intake_module, "record_visit", clashing)
    results = _post(rep_client, items).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "item" in results[1]["errors"]
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2


def _db_uuid(app: Flask, cid: int) -> str:
    with app.app_context():
        u = db.session.scalar(select(Customer.uuid).where(Customer.id == cid))
        db.session.remove()
    return str(u)

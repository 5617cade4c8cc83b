"""The sync never answers 500 for a bad item: every wrong value is a field's message, a
value the database refuses rejects that item alone, two syncs of the same batch at once
apply each item once, and a lead's UUID is one lead whatever its case or a resend."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from test_offline_sync_api import _count, _customers, _post, _token, _visit

from planner.api import sync as sync_module
from planner.extensions import db
from planner.models import Customer, User, Visit
from planner.refusal import Refused
from planner.services.visits import intake as intake_module
from planner.services.visits import validate_visit

TEXT_FIELDS = ["place", "purpose", "outcome", "materials", "notes", "kind", "stage",
               "amount_signed", "visited_at", "next_follow_up"]
LEAD_FIELDS = ["new_customer_name", "new_customer_contact", "new_customer_phone"]

# (payload changes, the field named in the answer): each once answered 500 or was taken.
BAD = [
    ({"customer_id": "9" * 25}, "customer_id"),
    ({"customer_id": True}, "customer_id"),
    ({"customer_id": 1.7}, "customer_id"),
    ({"customer_id": -3}, "customer_id"),
    ({"customer_id": ["1"]}, "customer_id"),
    ({"products": 5}, "products"),
    ({"products": {"lock": 1}}, "products"),
    ({"products": [["lock"]]}, "products"),
    ({"products": [True]}, "products"),
    ({"products": ["9" * 40]}, "products"),
    ({"visited_at": "0001-01-01T00:00+14:00"}, "visited_at"),
    ({"visited_at": "9999-12-31T23:59-12:00", "next_follow_up": "9999-12-31"}, "visited_at"),
    ({"visited_at": 12}, "visited_at"),
    ({"visited_at": {"at": "now"}}, "visited_at"),
    ({"next_follow_up": "9999-12-31"}, "next_follow_up"),
    ({"next_follow_up": "0001-01-01"}, "next_follow_up"),
    ({"next_follow_up": 20261201}, "next_follow_up"),
    ({"stage": "9" * 25}, "stage"),
    ({"stage": ["won"]}, "stage"),
    ({"notes": {"a": 1}}, "notes"),
    ({"kind": None, "purpose": ["x"]}, "purpose"),
    ({"latitude": "nan", "longitude": "1"}, "place"),
    ({"latitude": "1e400", "longitude": "1"}, "place"),
    ({"latitude": True, "longitude": 1}, "place"),
    ({"amount_signed": "1e999999999"}, "amount_signed"),
    ({"amount_collected": [1, 2]}, "amount_collected"),
    ({"amount_signed_fen": 10**40}, "amount_signed"),
    *[({f: "a\x00b"}, f) for f in TEXT_FIELDS],
    *[({"customer_id": "", "new_customer_name": "NUL shop", f: "a\x00b",
        "customer_uuid": str(uuid.uuid4())}, f) for f in LEAD_FIELDS],
    ({"customer_id": "", "customer_uuid": "a\x00b"}, "customer_uuid"),
    ({"products": ["lock\x00"]}, "products"),
    ({"customer_id": "", "new_customer_name": "Long contact", "new_customer_contact": "c" * 121,
      "customer_uuid": str(uuid.uuid4())}, "new_customer_contact"),
    ({"customer_id": "", "new_customer_name": "Long phone", "new_customer_phone": "1" * 41,
      "customer_uuid": str(uuid.uuid4())}, "new_customer_phone"),
]


@pytest.mark.parametrize(("changes", "field"), BAD, ids=[repr(b[0])[:60] for b in BAD])
def test_a_bad_value_in_a_synced_visit_is_a_field_message_never_a_500(
    rep_client: FlaskClient, app: Flask, changes: dict[str, Any], field: str
) -> None:
    cid = _customers(app)[0]
    bad, good = _visit(cid, **changes), _visit(cid)
    resp = _post(rep_client, [bad, good])
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    bad_r, good_r = resp.get_json()["results"]
    assert bad_r["status"] == "rejected" and field in bad_r["errors"], bad_r
    assert all(isinstance(m, str) and m for m in bad_r["errors"].values())
    assert good_r["status"] == "applied"
    assert _count(app, Visit, Visit.id == bad["id"]) == 0


@pytest.fixture()
def req_ctx(app: Flask) -> Any:
    with app.test_request_context("/?lang=en"):
        yield
        db.session.rollback()
        db.session.remove()


def test_a_lead_contact_or_phone_too_long_is_refused_not_cut(req_ctx: None) -> None:
    rep = db.session.scalar(select(User).where(User.username == "rep01"))
    assert rep is not None
    base = {"kind": "cold", "new_customer_name": "Truncated Ltd",
            "customer_uuid": str(uuid.uuid4())}
    for key, n in (("new_customer_contact", 121), ("new_customer_phone", 41)):
        with pytest.raises(Refused) as refused:
            validate_visit({**base, key: "7" * n}, rep, now=datetime.now(UTC))
        assert "At most" in refused.value.fields[key]
    data = validate_visit({**base, "new_customer_contact": "c" * 120,
                           "new_customer_phone": "1" * 40}, rep, now=datetime.now(UTC))
    assert data.new_lead is not None
    assert (len(data.new_lead.contact_name), len(data.new_lead.phone)) == (120, 40)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=30) | st.sampled_from(["0001-01-01T00:00+14:00", "9999-12-31",
                                             "9" * 30, "1e999999", "\x00", "-0", "lock"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
FIELDS = ["customer_id", "customer_uuid", "new_customer_name", "new_customer_contact",
          "new_customer_phone", "kind", "visited_at", "place", "latitude", "longitude",
          "purpose", "notes", "outcome", "amount_signed", "amount_signed_fen",
          "amount_collected", "expenses", "materials", "next_follow_up", "stage", "products"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8))
def test_validate_visit_turns_any_json_value_into_a_visit_or_field_messages(
    req_ctx: None, raw: dict[str, Any]
) -> None:
    rep = db.session.scalar(select(User).where(User.username == "rep01"))
    try:
        validate_visit(raw, rep, now=datetime.now(UTC))  # type: ignore[arg-type]
    except Refused as refused:
        errors = refused.fields
        assert errors and refused.message
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
    db.session.rollback()


def test_a_value_the_database_refuses_rejects_that_item_and_applies_the_others(
    rep_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customers(app)[10]
    items = [_visit(cid), _visit(cid), _visit(cid)]
    real = intake_module.record_visit

    def refusing(user: Any, data: Any, visit_id: str | None = None, **kw: Any) -> Any:
        if visit_id == items[1]["id"]:  # e.g. PostgreSQL's DataError for a bad byte
            raise DataError("INSERT INTO visit", {}, Exception("invalid byte sequence"))
        return real(user, data, visit_id=visit_id, **kw)

    monkeypatch.setattr(intake_module, "record_visit", refusing)
    resp = _post(rep_client, items)
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"]["item"]  # "the database refused one of its values"
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 2


def test_two_overlapping_syncs_of_the_same_batch_apply_each_item_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import login

    cid = _customers(app)[11]
    lead = str(uuid.uuid4())
    items = [_visit(cid), _visit(cid, amount_signed="", amount_collected="20"),
             _visit(0, customer_id="", new_customer_name="两个标签页", customer_uuid=lead),
             _visit(0, customer_id="", customer_uuid=lead, kind="return")]
    clients = []
    for _ in range(2):  # two tabs of the same rep
        c = app.test_client()
        assert login(c, "rep01").status_code == 302
        clients.append((c, _token(c)))
    # Both requests read what the server already has before either commits (on PostgreSQL
    # they run side by side; SQLite's write lock lets one in at a time, so no barrier there).
    with app.app_context():
        parallel = db.engine.dialect.name != "sqlite"
    barrier = threading.Barrier(2 if parallel else 1, timeout=20)
    monkeypatch.setattr(sync_module, "_after_known", lambda: barrier.wait())
    answers: list[Any] = [None, None]

    def run(i: int) -> None:
        c, token = clients[i]
        resp = c.post("/api/v1/sync", json={"items": items}, headers={"X-CSRFToken": token})
        answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a[0] for a in answers] == [200, 200], answers
    per_item = list(zip(*([r["status"] for r in a[1]["results"]] for a in answers), strict=True))
    for statuses in per_item:
        assert set(statuses) <= {"applied", "duplicate"}, per_item
        assert "applied" in statuses, per_item
    assert _count(app, Visit, Visit.id.in_([i["id"] for i in items])) == 4
    assert _count(app, Customer, Customer.uuid == lead) == 1


def test_the_same_lead_uuid_with_other_details_is_a_conflict_unless_identical(
    rep_client: FlaskClient, app: Flask
) -> None:
    lead = str(uuid.uuid4())
    first = _visit(0, customer_id="", new_customer_name="甲店", customer_uuid=lead,
                   new_customer_phone="13800000001")
    same = _visit(0, customer_id="", new_customer_name="甲店", customer_uuid=lead,
                  new_customer_phone="13800000001", kind="return")
    renamed = _visit(0, customer_id="", new_customer_name="乙店", customer_uuid=lead)
    results = _post(rep_client, [first, same, renamed]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "conflict"]
    assert "甲店" in results[2]["message"]
    later = _visit(0, customer_id="", new_customer_name="甲店", customer_uuid=lead,
                   new_customer_phone="13900000000")
    assert _post(rep_client, [later]).get_json()["results"][0]["status"] == "conflict"
    assert _count(app, Customer, Customer.uuid == lead) == 1
    assert _count(app, Visit, Visit.id.in_([renamed["id"], later["id"]])) == 0
    with app.app_context():
        c = db.session.scalar(select(Customer).where(Customer.uuid == lead))
        assert c is not None and (c.name, c.phone) == ("甲店", "13800000001")
        db.session.remove()


def test_lead_and_visit_uuids_match_whatever_their_case(
    rep_client: FlaskClient, app: Flask
) -> None:
    lead = str(uuid.uuid4())
    first = _visit(0, customer_id="", new_customer_name="大小写", customer_uuid=lead.upper())
    first["id"] = first["id"].upper()
    by_ref = _visit(0, customer_id="", customer_uuid=lead.upper(), kind="return")
    again = _visit(0, customer_id="", new_customer_name="大小写", customer_uuid=lead)
    results = _post(rep_client, [first, by_ref, again]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    assert results[0]["id"] == first["id"]  # answered with the id the phone sent
    resent = {**first, "id": first["id"].lower()}
    assert _post(rep_client, [resent]).get_json()["results"][0]["status"] == "duplicate"
    assert _count(app, Customer, Customer.uuid == lead) == 1
    assert _count(app, Visit, Visit.id == first["id"].lower()) == 1
    with app.app_context():
        cust = db.session.scalar(select(Customer.id).where(Customer.uuid == lead))
        n = db.session.scalar(select(func.count()).select_from(Visit)
                              .where(Visit.customer_id == cust))
        db.session.remove()
    assert n == 3


def test_items_saved_by_another_account_are_never_applied_under_this_one(
    rep_client: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        other = db.session.scalar(select(User.id).where(User.username == "rep02"))
        mine = db.session.scalar(select(User.id).where(User.username == "rep01"))
        db.session.remove()
    cid = _customers(app)[12]
    theirs = {**_visit(cid), "user": other}
    ours = {**_visit(cid), "user": mine}
    resp = _post(rep_client, [ours, theirs])
    assert resp.status_code == 409
    assert resp.get_json()["error"]["message"]  # "saved ... by another account"
    assert _count(app, Visit, Visit.id.in_([theirs["id"], ours["id"]])) == 0
    assert _post(rep_client, [ours]).get_json()["results"][0]["status"] == "applied"


def test_a_visit_time_far_in_the_past_or_future_is_a_message(req_ctx: None) -> None:
    rep = db.session.scalar(select(User).where(User.username == "rep01"))
    now = datetime.now(UTC)
    for at in ("0001-01-01T00:00+14:00", "9999-12-31T23:59:59-12:00",
               (now - timedelta(days=400)).isoformat()):
        with pytest.raises(Refused) as refused:
            validate_visit({"customer_id": "1", "kind": "cold", "visited_at": at,
                            "next_follow_up": "9999-12-31"}, rep,  # type: ignore[arg-type]
                           now=now)
        assert "visited_at" in refused.value.fields

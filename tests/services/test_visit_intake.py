"""One way in for a visit (services.intake): the form, POST /api/v1/visits and the offline
sync save a visit at most once whichever two of them send it; times are instants; bad
customer ids, money and text limits are answered the same everywhere."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from repday_helpers import client_for, snapshot
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from planner.extensions import db
from planner.models import Customer, User, Visit
from planner.services.visits import LEAD_LIMITS, TEXT_LIMITS

SHANGHAI = ZoneInfo("Asia/Shanghai")
REP = "rep14"


def _customer(app: Flask, username: str = REP, offset: int = 0) -> int:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        cid = db.session.scalars(select(Customer.id).where(Customer.owner_id == uid)
                                 .order_by(Customer.id).offset(offset).limit(1)).one()
        db.session.remove()
    return int(cid)


def _visits(app: Flask, vid: str) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Visit).where(Visit.id == vid))
        db.session.remove()
    return int(n or 0)


def _stored(app: Flask, vid: str) -> Visit:
    with app.app_context():
        v = db.session.get(Visit, vid)
        assert v is not None
        db.session.expunge(v)
        db.session.remove()
    return v


def _local(minutes_ago: int) -> datetime:
    """A company-local time to the minute, `minutes_ago` minutes back."""
    return (datetime.now(SHANGHAI) - timedelta(minutes=minutes_ago)).replace(second=0,
                                                                              microsecond=0)


# ------------------------------------------------------------------ the three channels
# The same visit, as each channel sends it: the form's strings (yuan), the API's JSON
# (numbers, money in fen), the outbox's strings (as static/js/offline.js makes them).
def _form(token: str, vid: str, cid: int, at: datetime) -> dict[str, Any]:
    return {"csrf_token": token, "context": "page", "id": vid, "lead_uuid": str(uuid.uuid4()),
            "customer_id": str(cid), "kind": "return", "visited_at": at.strftime("%Y-%m-%dT%H:%M"),
            "place": " 浦江 ", "purpose": "复购", "amount_signed": "1,280.50",
            "amount_collected": "", "expenses": "35", "notes": "", "products": ["lock"], "q": ""}


def _api(vid: str, cid: int, at: datetime) -> dict[str, Any]:
    return {"id": vid, "customer_id": cid, "kind": "return",
            "visited_at": at.strftime("%Y-%m-%dT%H:%M"), "place": "浦江", "purpose": "复购",
            "amount_signed_fen": 128050, "expenses_fen": 3500, "products": ["lock"]}


def _outbox(cid: int, at: datetime) -> dict[str, Any]:
    return {"customer_id": str(cid), "kind": "return", "visited_at": at.strftime("%Y-%m-%dT%H:%M"),
            "place": "浦江", "purpose": "复购", "amount_signed": "1280.50", "expenses": "35.00",
            "products": ["lock"], "logged_at": datetime.now(UTC).isoformat()}


def _send(channel: str, c: FlaskClient, token: str, vid: str, cid: int, at: datetime) -> str:
    """Send the visit through one channel; its answer as applied / duplicate / other."""
    if channel == "form":
        resp = c.post("/visits/new", data=_form(token, vid, cid, at))
        if resp.status_code != 303:
            return f"form {resp.status_code}"
        return "saved"
    if channel == "api":
        resp = c.post("/api/v1/visits", json=_api(vid, cid, at), headers={"X-CSRFToken": token})
        return {201: "saved", 200: "saved"}.get(resp.status_code, f"api {resp.status_code}")
    resp = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
        {"id": vid.upper(), "type": "visit", "payload": _outbox(cid, at)}]})
    status = resp.get_json()["results"][0]["status"]
    return "saved" if status in ("applied", "duplicate") else f"sync {status}"


@pytest.mark.parametrize(("first", "second"), [
    ("form", "api"), ("api", "form"), ("form", "sync"), ("sync", "form"),
    ("api", "sync"), ("sync", "api")])
def test_the_same_visit_sent_through_two_channels_is_saved_once(
    app: Flask, first: str, second: str
) -> None:
    c, token = client_for(app, REP)
    cid = _customer(app)
    vid, at = str(uuid.uuid4()), _local(30)
    assert _send(first, c, token, vid, cid, at) == "saved"
    before = snapshot(app)
    assert _send(second, c, token, vid, cid, at) == "saved"  # a duplicate: success
    assert snapshot(app) == before
    assert _visits(app, vid) == 1
    v = _stored(app, vid)
    assert (v.amount_signed, v.expenses, v.payload_hash is not None) == (128050, 3500, True)


@pytest.mark.parametrize("second", ["form", "api", "sync"])
def test_the_same_id_with_other_details_is_a_conflict_through_any_channel(
    app: Flask, second: str
) -> None:
    c, token = client_for(app, REP)
    cid, other = _customer(app), _customer(app, offset=1)
    vid, at = str(uuid.uuid4()), _local(20)
    assert _send("api", c, token, vid, cid, at) == "saved"
    before = snapshot(app)
    answer = _send(second, c, token, vid, other, at)
    assert answer in ("form 422", "api 409", "sync conflict")
    assert snapshot(app) == before


# ------------------------------------------------------------------ POST /api/v1/visits
def test_the_api_answers_a_saved_visit_even_if_nothing_can_be_read_after_the_commit(
    app: Flask
) -> None:
    c, token = client_for(app, REP)
    cid, vid = _customer(app), str(uuid.uuid4())
    committed = {"yes": False}

    def after_commit(session: Any) -> None:
        committed["yes"] = True

    def no_reads(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if committed["yes"] and statement.lstrip().upper().startswith("SELECT"):
            raise OperationalError(statement, {}, Exception("the database went away"))

    with app.app_context():
        engine = db.engine
    event.listen(db.session, "after_commit", after_commit)
    event.listen(engine, "before_cursor_execute", no_reads)
    try:
        resp = c.post("/api/v1/visits", json=_api(vid, cid, _local(10)),
                      headers={"X-CSRFToken": token})
    finally:
        event.remove(engine, "before_cursor_execute", no_reads)
        event.remove(db.session, "after_commit", after_commit)
    assert committed["yes"]
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["id"], body["customer_id"], body["amount_signed_fen"]) == (vid, cid, 128050)
    assert body["products"] and body["visited_at"].endswith("+00:00")
    assert _visits(app, vid) == 1


def test_the_api_answers_a_repeat_with_the_saved_visit_and_stores_the_payload_hash(
    app: Flask
) -> None:
    c, token = client_for(app, REP)
    cid, vid = _customer(app), str(uuid.uuid4())
    body = _api(vid, cid, _local(12))
    first = c.post("/api/v1/visits", json=body, headers={"X-CSRFToken": token})
    again = c.post("/api/v1/visits", json=body, headers={"X-CSRFToken": token})
    changed = c.post("/api/v1/visits", json={**body, "purpose": "另一件事"},
                     headers={"X-CSRFToken": token})
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert again.get_json() == first.get_json()
    assert again.headers["Location"].endswith(vid)
    assert _stored(app, vid).payload_hash
    assert _visits(app, vid) == 1


# ------------------------------------------------------------------ times
@pytest.mark.parametrize("offset", ["+00:00", "+08:00", "-05:00"])
def test_one_instant_sent_with_any_offset_is_stored_and_answered_as_that_instant(
    app: Flask, offset: str
) -> None:
    c, token = client_for(app, REP)
    instant = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    sign = -1 if offset[0] == "-" else 1
    shift = timedelta(hours=int(offset[1:3])) * sign
    sent = (instant + shift).replace(tzinfo=None).isoformat() + offset
    vid = str(uuid.uuid4())
    resp = c.post("/api/v1/visits", json={"id": vid, "customer_id": _customer(app),
                                          "kind": "phone", "visited_at": sent},
                  headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    answered = resp.get_json()["visited_at"]
    got = c.get(f"/api/v1/visits/{vid}").get_json()["visited_at"]
    assert answered == got == instant.isoformat()  # "...+00:00": with its offset
    assert _stored(app, vid).visited_at == instant


def test_a_visit_with_the_time_left_empty_and_one_typed_are_both_instants(app: Flask) -> None:
    c, token = client_for(app, REP)
    cid = _customer(app)
    typed, empty = str(uuid.uuid4()), str(uuid.uuid4())
    at = _local(90)
    form = _form(token, typed, cid, at)
    assert c.post("/visits/new", data=form).status_code == 303
    before = datetime.now(UTC)
    form = {**_form(token, empty, cid, at), "visited_at": "", "purpose": "刚刚"}
    assert c.post("/visits/new", data=form).status_code == 303
    after = datetime.now(UTC)
    v_typed, v_empty = _stored(app, typed), _stored(app, empty)
    assert v_typed.visited_at == at  # aware, compared as instants
    assert v_typed.visited_at.utcoffset() == v_empty.visited_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= v_empty.visited_at <= after + timedelta(seconds=1)
    # The visit's page shows the time of day (company time), not only the date.
    page = c.get(f"/visits/{typed}?lang=en").get_data(as_text=True)
    assert at.strftime("%Y-%m-%d %H:%M") in page


def test_the_blank_visit_form_leaves_the_time_empty_for_the_moment_of_saving(
    app: Flask
) -> None:
    c, _token = client_for(app, REP)
    page = c.get("/visits/new").get_data(as_text=True)
    field = re.search(r'<input id="v-time"[^>]*>', page)
    assert field is not None and 'value=""' in field.group(0)


# ------------------------------------------------------------------ customer ids
@pytest.mark.parametrize("bad", ["99999999999999999999", "²", "٣", "-1", "1.5", "0x10"])
def test_a_customer_id_that_is_no_id_is_answered_not_a_500(app: Flask, bad: str) -> None:
    c, token = client_for(app, REP)
    assert c.get("/visits/customers", query_string={"customer_id": bad}).status_code == 200
    assert c.get("/visits/new", query_string={"customer_id": bad}).status_code == 404
    before = snapshot(app)
    form = {**_form(token, str(uuid.uuid4()), 1, _local(5)), "customer_id": bad}
    resp = c.post("/visits/new?lang=en", data=form, headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert "Unknown customer" in resp.get_data(as_text=True)
    assert snapshot(app) == before


# ------------------------------------------------------------------ money
@pytest.mark.parametrize(("typed", "message"), [
    ("1e5", "without an exponent"), ("12,5", "Use a point for decimals"),
    ("12,50", "Use a point for decimals"), ("1,23,456", "groups of three digits"),
    ("1.2.3", "groups of three digits"), ("12.345", "at most 2 decimals"),
    ("NaN", "Enter an amount in yuan"), ("Infinity", "Enter an amount in yuan"),
    ("1 000", "Enter an amount in yuan"), ("-5", "cannot be negative"),
    ("0x10", "Enter an amount in yuan"), ("١٢", "Enter an amount in yuan"),
])
def test_a_money_field_refuses_what_is_not_a_plain_amount(
    app: Flask, typed: str, message: str
) -> None:
    c, token = client_for(app, REP)
    before = snapshot(app)
    form = {**_form(token, str(uuid.uuid4()), _customer(app), _local(5)), "amount_signed": typed}
    resp = c.post("/visits/new?lang=en", data=form, headers={"HX-Request": "true"})
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert 'id="err-amount_signed"' in body and message in body
    assert snapshot(app) == before
    sync = c.post("/api/v1/sync?lang=en", headers={"X-CSRFToken": token}, json={"items": [
        {"id": str(uuid.uuid4()), "type": "visit",
         "payload": {**_outbox(_customer(app), _local(5)), "amount_signed": typed}}]})
    result = sync.get_json()["results"][0]
    assert result["status"] == "rejected" and message in result["errors"]["amount_signed"]
    assert snapshot(app) == before


@pytest.mark.parametrize(("typed", "fen"), [
    ("100000", 10_000_000), ("1,234,567.89", 123_456_789), ("¥12,800", 1_280_000),
    ("12800.5", 1_280_050), ("0.05", 5), (".5", 50), ("1，280", 128_000), (" 35 ", 3500),
])
def test_a_money_field_takes_plain_amounts_with_unambiguous_separators(
    app: Flask, typed: str, fen: int
) -> None:
    c, token = client_for(app, REP)
    vid = str(uuid.uuid4())
    form = {**_form(token, vid, _customer(app), _local(5)), "amount_signed": typed}
    assert c.post("/visits/new", data=form).status_code == 303
    assert _stored(app, vid).amount_signed == fen


@pytest.mark.parametrize(("typed", "message"), [
    ("1e5", "without an exponent"), ("12,5", "Use a point for decimals"),
    ("1,23,456", "groups of three digits"),
])
def test_a_target_value_refuses_what_is_not_a_plain_amount(
    app: Flask, typed: str, message: str
) -> None:
    from planner.services import targets as dc

    with app.test_request_context("/?lang=en"):
        metric = type("M", (), {"unit": "money"})()
        with pytest.raises(dc.DecomposeError, match=message):
            dc.parse_amount(typed, metric)  # type: ignore[arg-type]
        assert dc.parse_amount("1,234,567.89", metric) == 123_456_789  # type: ignore[arg-type]
        with pytest.raises(dc.DecomposeError, match="without an exponent"):
            dc.parse_numbers("10, 1e1, 13, 15", "Growth")


# ------------------------------------------------------------------ one source for limits
def test_the_forms_maxlength_is_the_servers_limit_for_every_text_field(app: Flask) -> None:
    c, _token = client_for(app, REP)
    page = c.get("/visits/new").get_data(as_text=True)
    shown = {m.group(1): int(m.group(2)) for m in re.finditer(
        r'<(?:input|textarea)[^>]*\bname="([a-z_]+)"[^>]*\bmaxlength="(\d+)"', page)}
    assert shown == {**TEXT_LIMITS, **LEAD_LIMITS}


@pytest.mark.parametrize("field", [*TEXT_LIMITS, *LEAD_LIMITS])
def test_text_at_the_forms_maxlength_is_saved_and_one_more_is_refused(
    app: Flask, field: str
) -> None:
    c, token = client_for(app, REP)
    limit = {**TEXT_LIMITS, **LEAD_LIMITS}[field]
    base = _form(token, "", _customer(app), _local(5))
    if field.startswith("new_customer"):
        base.update(customer_id="", new_customer_name="新客户")
    ok = {**base, "id": str(uuid.uuid4()), field: "字" * limit}
    assert c.post("/visits/new", data=ok).status_code == 303
    too_long = {**base, "id": str(uuid.uuid4()), "lead_uuid": str(uuid.uuid4()),
                field: "字" * (limit + 1)}
    assert c.post("/visits/new", data=too_long, headers={"HX-Request": "true"}).status_code == 422


@pytest.mark.parametrize("uid", ["²", "99999999999999999999", "٣"])
def test_a_session_naming_no_user_id_is_logged_out_not_a_500(app: Flask, uid: str) -> None:
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = f"{uid}:token"
        sess["_fresh"] = True
    assert c.get("/today").status_code == 302  # to the login page


def test_a_customer_picked_wins_over_a_lead_name_typed_before_the_pick(app: Flask) -> None:
    c, token = client_for(app, REP)
    cid, vid, at = _customer(app), str(uuid.uuid4()), _local(5)
    before = snapshot(app)["customers"]
    form = {**_form(token, vid, cid, at), "new_customer_name": "打错的新客户"}
    assert c.post("/visits/new", data=form).status_code == 303
    assert _stored(app, vid).customer_id == cid
    assert snapshot(app)["customers"] == before  # no lead made
    # The same visit from the outbox (static/js/offline.js drops the lead's name too).
    resp = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
        {"id": vid, "type": "visit", "payload": _outbox(cid, at)}]})
    assert resp.get_json()["results"][0]["status"] == "duplicate"


def test_a_form_saved_with_the_time_empty_and_resent_from_the_outbox_is_a_duplicate(
    app: Flask
) -> None:
    # The answer to the form's POST was lost; the phone kept the visit in its outbox with
    # the moment it was saved (logged_at): the same visit, saved once.
    c, token = client_for(app, REP)
    cid, vid, at = _customer(app), str(uuid.uuid4()), _local(5)
    form = {**_form(token, vid, cid, at), "visited_at": ""}
    assert c.post("/visits/new", data=form).status_code == 303
    payload = {k: v for k, v in _outbox(cid, at).items() if k != "visited_at"}
    resp = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
        {"id": vid, "type": "visit", "payload": payload}]})
    assert resp.get_json()["results"][0]["status"] == "duplicate"
    assert _visits(app, vid) == 1

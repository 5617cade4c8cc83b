"""Logging a visit: every bad input shows its message, keeps what was typed and saves
nothing; a good one is saved and moves Today's numbers."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from conftest import recently
from flask import Flask
from flask.testing import FlaskClient
from repday_helpers import a_customer_of, client_for, snapshot, user
from sqlalchemy import select

from planner.extensions import db
from planner.models import Customer, Visit


def good_form(token: str, customer_id: int | str) -> dict[str, object]:
    return {
        "csrf_token": token, "context": "today", "customer_id": str(customer_id),
        "kind": "existing", "visited_at": recently().strftime("%Y-%m-%dT%H:%M"),
        "place": "浦江科技园 3 号楼", "purpose": "介绍新款门锁", "outcome": "客户有兴趣",
        "notes": "下周带样品", "amount_signed": "1,280.50", "amount_collected": "",
        "expenses": "35", "materials": "样品册", "next_follow_up": "", "stage": "",
        "products": ["lock"],
    }


def company_tz_of_demo():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def far_future() -> str:
    return (datetime.now(company_tz_of_demo()) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


BAD = [
    # (field changed, bad value, field with the error, message (en))
    ("amount_signed", "-500", "amount_signed", "An amount cannot be negative."),
    ("amount_signed", "999999999999", "amount_signed", "That amount is too large to be right"),
    ("amount_collected", "12.345", "amount_collected", "Use at most 2 decimals."),
    ("amount_collected", "一千", "amount_collected", "Enter an amount in yuan"),
    ("expenses", "5000000", "expenses", "That amount is too large to be right"),
    ("visited_at", "FUTURE", "visited_at", "The visit time is in the future."),
    ("visited_at", "2020-01-01T09:00", "visited_at", "The visit time is more than a year ago."),
    ("visited_at", "yesterday-ish", "visited_at", "Enter the time of the visit"),
    ("customer_id", "999999", "customer_id", "Unknown customer"),
    ("customer_id", "abc", "customer_id", "Unknown customer"),
    ("customer_id", "FOREIGN", "customer_id", "Unknown customer"),
    ("customer_id", "", "customer_id", "Choose a customer, or type the name of a new one."),
    ("stage", "no-such-stage", "stage", "That stage does not exist."),
    ("stage", "99999", "stage", "That stage does not exist."),
    ("kind", "teleport", "kind", "Choose the kind of visit."),
    ("kind", "", "kind", "Choose the kind of visit."),
    ("purpose", "x" * 301, "purpose", "At most 300 characters."),
    ("notes", "长" * 5001, "notes", "At most 5000 characters."),
    ("next_follow_up", "2020-01-01", "next_follow_up", "cannot be before the visit"),
    ("next_follow_up", "31/12/2026", "next_follow_up", "Enter a date"),
    ("products", "no-such-product", "products", "Unknown product line."),
    ("new_customer_name", "N" * 201, "new_customer_name", "At most 200 characters."),
]


@pytest.mark.parametrize(("field", "value", "error_field", "message"), BAD,
                         ids=[f"{b[0]}={b[1][:12]!r}" for b in BAD])
def test_a_bad_visit_shows_the_message_keeps_what_was_typed_and_saves_nothing(
    app: Flask, field: str, value: str, error_field: str, message: str
) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        mine = a_customer_of("rep01")
        foreign = a_customer_of("rep02")
        data = good_form(token, mine.id)
        if value == "FUTURE":
            value = far_future()
        if value == "FOREIGN":
            value = str(foreign.id)
    data[field] = value
    if field == "new_customer_name":
        data["customer_id"] = ""
    before = snapshot(app)
    resp = c.post("/visits/new?lang=en", data=data, headers={"HX-Request": "true"})
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert 'id="err-' + error_field + '"' in body
    assert message in body
    assert "Nothing was saved" in body
    # What was typed is still in the form.
    assert "浦江科技园 3 号楼" in body and "样品册" in body
    if field not in ("purpose", "notes", "amount_signed"):
        assert "介绍新款门锁" in body and "下周带样品" in body and 'value="1,280.50"' in body
    if field != "products":
        assert 'value="lock" checked' in body
    if field in ("purpose", "amount_signed", "amount_collected") and value:
        assert f'value="{value}"' in body
    assert snapshot(app) == before


def test_the_error_is_shown_in_chinese_too(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        data = good_form(token, a_customer_of("rep01").id)
    data["amount_signed"] = "-1"
    resp = c.post("/visits/new?lang=zh_Hans_CN", data=data, headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert "金额不能为负数" in resp.get_data(as_text=True) or "负" in resp.get_data(as_text=True)


def test_a_good_visit_is_saved_and_today_numbers_come_back_out_of_band(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        cust = a_customer_of("rep01", 1)
        data = good_form(token, cust.id)
        data["stage"] = "trust"
        data["next_follow_up"] = (datetime.now(company_tz_of_demo()).date()
                                  + timedelta(days=7)).isoformat()
    before_api = c.get("/api/v1/today").get_json()
    resp = c.post("/visits/new?lang=en", data=data, headers={"HX-Request": "true"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    body = resp.get_data(as_text=True)
    assert "Visit saved" in body
    assert re.search(r'<section id="today-metrics"[^>]*hx-swap-oob="true"', body)
    after_api = c.get("/api/v1/today").get_json()
    rev_b = next(m for m in before_api["metrics"] if m["code"] == "revenue")
    rev_a = next(m for m in after_api["metrics"] if m["code"] == "revenue")
    assert rev_a["achieved_today"] == rev_b["achieved_today"] + 128050
    with app.app_context():
        v = db.session.scalars(select(Visit).where(Visit.customer_id == cust.id)
                               .order_by(Visit.created_at.desc())).first()
        assert v is not None and v.amount_signed == 128050 and v.expenses == 3500
        assert [p.product_line_id for p in v.products]
        c2 = db.session.get(Customer, cust.id)
        assert c2 is not None and c2.stage.code == "trust"
        assert c2.next_follow_up is not None


def test_a_visit_with_a_new_lead_creates_the_lead(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    data = good_form(token, "")
    data["new_customer_name"] = "滨江新区测试线索"
    data["new_customer_phone"] = "13800000000"
    data["amount_signed"] = ""
    resp = c.post("/visits/new", data=data)  # no htmx: redirect to Today
    assert resp.status_code == 303 and "/today" in resp.headers["Location"]
    with app.app_context():
        lead = db.session.scalar(select(Customer).where(Customer.name == "滨江新区测试线索"))
        assert lead is not None and lead.owner_id == user("rep01").id
        assert lead.stage.code == "lead"


def test_the_customer_search_lists_only_the_reps_own_customers(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    with app.app_context():
        mine = a_customer_of("rep01")
        other = a_customer_of("rep02")
    body = c.get(f"/visits/customers?q={mine.name[:4]}",
                 headers={"HX-Request": "true"}).get_data(as_text=True)
    assert mine.name in body and 'id="customer-choices"' in body and "<html" not in body
    body = c.get(f"/visits/customers?q={other.name}",
                 headers={"HX-Request": "true"}).get_data(as_text=True)
    assert other.name not in body


def test_the_api_validates_with_the_same_rules_and_answers_422(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        cid = a_customer_of("rep01").id
        foreign = a_customer_of("rep02").id
    before = snapshot(app)
    h = {"X-CSRFToken": token}
    for payload, field in [
        ({"customer_id": cid, "kind": "cold", "amount_signed_fen": -1}, "amount_signed"),
        ({"customer_id": cid, "kind": "cold", "amount_signed_fen": 10**13}, "amount_signed"),
        ({"customer_id": cid, "kind": "cold", "amount_signed_fen": "12"}, "amount_signed"),
        ({"customer_id": foreign, "kind": "cold"}, "customer_id"),
        ({"customer_id": cid, "kind": "cold", "stage": "nope"}, "stage"),
        ({"customer_id": cid, "kind": "cold", "visited_at": "2999-01-01T00:00:00+08:00"},
         "visited_at"),
    ]:
        resp = c.post("/api/v1/visits", json=payload, headers=h)
        assert resp.status_code == 422, payload
        assert field in resp.get_json()["error"]["fields"], resp.get_json()
    assert c.post("/api/v1/visits", data="not json", headers=h).status_code == 422
    assert snapshot(app) == before
    resp = c.post("/api/v1/visits", json={"customer_id": cid, "kind": "phone",
                                          "amount_collected_fen": 50000}, headers=h)
    assert resp.status_code == 201
    v = resp.get_json()
    assert v["amount_collected_fen"] == 50000 and resp.headers["Location"].endswith(v["id"])
    assert c.get(f"/api/v1/visits/{v['id']}").get_json()["id"] == v["id"]
    again = c.post("/api/v1/visits", json={"id": v["id"], "customer_id": cid, "kind": "phone"},
                   headers=h)
    assert again.status_code == 409


def _form_ids(c: FlaskClient) -> tuple[str, str]:
    body = c.get("/visits/new?context=today").get_data(as_text=True)
    vid = re.search(r'name="id" value="([0-9a-f-]{36})"', body)
    lead = re.search(r'name="lead_uuid" value="([0-9a-f-]{36})"', body)
    assert vid and lead, "the form carries its visit's and its new lead's UUIDs"
    return vid.group(1), lead.group(1)


def test_posting_the_same_form_twice_creates_one_visit(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    vid, lead_uuid = _form_ids(c)
    assert _form_ids(c)[0] != vid  # one UUID per form
    with app.app_context():
        data = good_form(token, a_customer_of("rep01", 2).id)
    data.update(id=vid, lead_uuid=lead_uuid)
    before = snapshot(app)["visits"]
    first = c.post("/visits/new?lang=en", data=data, headers={"HX-Request": "true"})
    again = c.post("/visits/new?lang=en", data=data, headers={"HX-Request": "true"})
    plain = c.post("/visits/new?lang=en", data=data)  # the answer lost, the page resubmitted
    assert first.status_code == again.status_code == 200
    assert "Visit saved" in again.get_data(as_text=True)
    assert 'id="today-metrics"' in again.get_data(as_text=True)  # Today updated, once
    assert plain.status_code == 303
    assert snapshot(app)["visits"] == before + 1
    with app.app_context():
        assert db.session.get(Visit, vid) is not None


def test_the_same_form_id_with_other_details_is_a_conflict_message(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    vid, lead_uuid = _form_ids(c)
    with app.app_context():
        data = good_form(token, a_customer_of("rep01", 3).id)
    data.update(id=vid, lead_uuid=lead_uuid)
    assert c.post("/visits/new", data=data, headers={"HX-Request": "true"}).status_code == 200
    before = snapshot(app)
    changed = {**data, "amount_signed": "99"}
    resp = c.post("/visits/new?lang=en", data=changed, headers={"HX-Request": "true"})
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert "saved already with other details" in body and 'id="err-id"' in body
    assert 'value="99"' in body and f'value="{vid}"' not in body  # a new id to save anew
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.get(Visit, vid).amount_signed == 128050  # type: ignore[union-attr]


def test_a_form_post_whose_answer_was_lost_is_a_duplicate_from_the_outbox(app: Flask) -> None:
    """offline.js puts the same form into the outbox under the form's id (saveForm): the
    sync knows it is the visit the form saved, new lead included."""
    from planner.services.visits import form_payload

    c, token = client_for(app, "rep01")
    vid, lead_uuid = _form_ids(c)
    data = good_form(token, "")
    data.update(id=vid, lead_uuid=lead_uuid, new_customer_name="  回答丢失的新店 ",
                amount_signed="", q="回答", products=["lock"])
    before = snapshot(app)
    assert c.post("/visits/new", data=data).status_code == 303
    # What formPayload + saveForm make of the same form on the phone.
    from werkzeug.datastructures import MultiDict

    payload = form_payload(MultiDict([(k, v) for k, vs in data.items()
                                      for v in (vs if isinstance(vs, list) else [vs])]))
    assert "id" not in payload and "csrf_token" not in payload and "customer_id" not in payload
    assert payload["customer_uuid"] == lead_uuid and payload["products"] == ["lock"]
    resp = c.post("/api/v1/sync", json={"items": [{"id": vid.upper(), "type": "visit",
                                                   "payload": payload}]},
                  headers={"X-CSRFToken": token})
    assert resp.get_json()["results"][0]["status"] == "duplicate"
    after = snapshot(app)
    assert (after["visits"], after["customers"]) == (before["visits"] + 1,
                                                     before["customers"] + 1)

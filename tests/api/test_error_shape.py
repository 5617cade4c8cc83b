"""Every error of the JSON API has one shape, {"error": {"code", "message", "fields"?}}
(planner.errors.error_body), the one the OpenAPI document calls "Error": a refusal of the
request (400, 401, 404, 405, 409, 413, 422) from any endpoint, with the fields when the
input was wrong. An outbox item's result inside a sync answer is not an HTTP error and
keeps its own shape (status, errors, message)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import jsonschema_rs
from flask import Flask
from repday_helpers import a_customer_of, client_for

from planner.api.openapi import document
from planner.services.reviews import week_start


def _error_validator() -> Any:
    doc = document()
    return jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/Error", "components": doc["components"]})


def _error(resp: Any, status: int) -> dict[str, Any]:
    """The answer's error, checked against the document's one error shape."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
    body = resp.get_json()
    _error_validator().validate(body)
    error: dict[str, Any] = body["error"]
    assert error["code"] == status and error["message"].strip()
    return error


def test_every_refusal_of_the_api_has_the_one_error_shape(app: Flask) -> None:
    assert _error(app.test_client().get("/api/v1/me"), 401)
    c, token = client_for(app, "rep01")
    h = {"X-CSRFToken": token}
    with app.app_context():
        cid = a_customer_of("rep01").id
    assert "fields" not in _error(c.get("/api/v1/customers/987654"), 404)
    assert _error(c.delete("/api/v1/visits"), 405)
    assert _error(c.post("/api/v1/visits", json={"kind": "cold", "customer_id": cid}), 400)
    assert _error(c.post("/api/v1/sync", json={}, headers=h), 422)
    assert _error(c.post("/api/v1/sync", json={"items": [{}] * 201}, headers=h), 413)


def test_bad_input_names_its_fields_and_the_message_says_them(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    h = {"X-CSRFToken": token}
    error = _error(c.get("/api/v1/visits?since=0001-01-01"), 422)
    assert set(error["fields"]) == {"since"} and error["message"] == error["fields"]["since"]
    assert set(_error(c.post("/api/v1/visits", data="not json", headers=h),
                      422)["fields"]) == {"body"}
    assert set(_error(c.post("/api/v1/visits", json={"id": "x", "kind": "cold"}, headers=h),
                      422)["fields"]) == {"id"}
    assert "customer_id" in _error(
        c.post("/api/v1/visits", json={"kind": "cold"}, headers=h), 422)["fields"]


def test_a_visit_id_taken_by_other_fields_is_a_409_naming_the_id(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    h = {"X-CSRFToken": token}
    with app.app_context():
        cid = a_customer_of("rep01").id
    vid = str(uuid.uuid4())
    assert c.post("/api/v1/visits", json={"id": vid, "customer_id": cid, "kind": "phone"},
                  headers=h).status_code == 201
    error = _error(c.post("/api/v1/visits", json={"id": vid, "customer_id": cid,
                                                  "kind": "cold"}, headers=h), 409)
    assert set(error["fields"]) == {"id"}


def test_a_review_refused_for_its_fields_has_the_same_shape(app: Flask) -> None:
    c, token = client_for(app, "rep13")
    # A week no other test writes a review for (the version is checked before the fields).
    monday = (week_start(date.today()) - timedelta(days=7 * 30)).isoformat()
    error = _error(c.put(f"/api/v1/reviews/week/{monday}",
                         json={"version": 0, "next_visits": "-3"},
                         headers={"X-CSRFToken": token}), 422)
    assert set(error["fields"]) == {"next_visits"}


def test_a_sync_item_result_is_not_an_http_error_and_keeps_its_own_shape(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    resp = c.post("/api/v1/sync", json={"items": [{"id": "not-a-uuid", "type": "visit",
                                                   "payload": {}}]},
                  headers={"X-CSRFToken": token})
    assert resp.status_code == 200
    (result,) = resp.get_json()["results"]
    assert result["status"] == "rejected" and set(result["errors"]) == {"id"}
    items = document()["paths"]["/sync"]["post"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["results"]["items"]
    assert {"status", "errors", "message"} <= set(items["properties"])

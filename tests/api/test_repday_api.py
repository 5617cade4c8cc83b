"""The JSON API of the rep's day and its OpenAPI document."""

from __future__ import annotations

import re

from flask import Flask
from repday_helpers import a_customer_of, client_for

from planner.api.openapi import document

METHODS = {"get", "post", "put", "patch", "delete"}


def _api_routes(app: Flask) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for m in rule.methods or ():
            if m.lower() in METHODS:
                out.add((path, m.lower()))
    return out


def test_the_openapi_document_describes_exactly_the_routes_that_exist(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc == document() or doc["openapi"] == "3.1.0"
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/api/v1"}]
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops if m in METHODS}
    routes = _api_routes(app)
    assert documented - routes == set(), "documented but not routed"
    assert routes - documented == set(), "routed but not documented in planner/api/openapi.py"
    # Every $ref resolves.
    text = str(doc)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in doc["components"]["schemas"], name
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == params, path


def test_the_api_answers_what_the_document_says(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    schemas = document()["components"]["schemas"]
    today = c.get("/api/v1/today").get_json()
    assert set(today) == set(schemas["Today"]["properties"])
    assert set(today["metrics"][0]) == set(schemas["MetricPlan"]["properties"])
    customers = c.get("/api/v1/customers?q=&limit=5").get_json()["customers"]
    assert 0 < len(customers) <= 5
    assert set(customers[0]) == set(schemas["Customer"]["properties"])
    with app.app_context():
        cid = a_customer_of("rep01").id
    assert c.get(f"/api/v1/customers/{cid}").get_json()["id"] == cid
    visits = c.get(f"/api/v1/visits?customer_id={cid}&since=2026-01-01").get_json()["visits"]
    assert visits and set(visits[0]) == set(schemas["Visit"]["properties"])
    assert all(v["customer_id"] == cid for v in visits)
    assert c.get("/api/v1/visits?since=yesterday").status_code == 422
    anon = app.test_client()
    assert anon.get("/api/v1/today").status_code == 401
    assert anon.get("/api/v1/openapi.json").status_code == 200

"""Ids past the INTEGER columns, text no database can
store (a NUL, a lone surrogate), the login's password check outside any write transaction,
throttling that counts atomically and does not lock an office out, 405s with Allow, and an
OpenAPI document that says what the API does. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from conftest import DEMO_PASSWORD, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from repday_helpers import a_customer_of, client_for, snapshot
from sqlalchemy import func, select

from planner import auth
from planner.api.openapi import document
from planner.extensions import db
from planner.models import LoginFailure, User, Visit
from planner.models.base import utcnow
from planner.parsing import MAX_ID, parse_id, unstorable, unstorable_in

# Past PostgreSQL's INTEGER (2^31-1) and up to BIGINT's end: no record has such an id.
PAST_INTEGER = [str(2**31), str(2**40), str(2**63 - 1)]
JSON = {"Content-Type": "application/json"}


def _visit(**extra: Any) -> dict[str, Any]:
    return {"kind": "phone", "new_customer_name": "Hardening lead", **extra}


# ---------------------------------------------------------------- 6. ids past INTEGER


def test_an_id_is_at_most_what_an_integer_column_holds() -> None:
    assert MAX_ID == 2**31 - 1
    assert parse_id(str(2**31 - 1)) == 2**31 - 1
    for bad in [*PAST_INTEGER, 2**31, 2**63 - 1]:
        assert parse_id(bad) is None, bad


def test_ids_past_the_integer_columns_answer_404_on_every_route(app: Flask) -> None:
    admin, token = client_for(app, "director")
    for big in PAST_INTEGER:
        for path in (f"/api/v1/customers/{big}", f"/customers/{big}", f"/customers?user={big}",
                     f"/customers/board?user={big}", f"/plans/week?user={big}",
                     f"/plans/month?user={big}", f"/plans/action?user={big}",
                     f"/api/v1/today?user={big}", f"/api/v1/visits?customer_id={big}",
                     f"/targets/node/{big}/children", f"/targets/node/{big}/time"):
            assert admin.get(path).status_code == 404, (path, big)
        for path in (f"/customers/{big}/stage", f"/calendar/{big}/delete",
                     f"/targets/node/{big}/edit/preview"):
            resp = admin.post(path, data={"csrf_token": token, "stage": "won"})
            assert resp.status_code == 404, (path, big)


def test_ids_past_the_integer_columns_in_form_and_json_fields_are_a_clear_422(
    app: Flask
) -> None:
    c, token = client_for(app, "rep12")
    with app.app_context():
        own = a_customer_of("rep12").id
    before = snapshot(app)
    for big in PAST_INTEGER:
        for body in ({"kind": "phone", "customer_id": int(big)},
                     {"kind": "phone", "customer_id": big},
                     {"kind": "phone", "customer_id": own, "products": [int(big)]},
                     {"kind": "phone", "customer_id": own, "stage": big}):
            resp = c.post("/api/v1/visits", json=body, headers={"X-CSRFToken": token})
            assert resp.status_code == 422, (body, resp.get_data(as_text=True))
        resp = c.post(f"/customers/{own}/stage?lang=en", data={"csrf_token": token,
                                                               "stage": big})
        assert resp.status_code == 422
        resp = c.post("/today/tomorrow?lang=en", data={"csrf_token": token, "notes": "x",
                                                       "customer_ids": [big]})
        assert resp.status_code == 422
        sync = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
            {"id": str(uuid.uuid4()), "type": "visit",
             "payload": {"kind": "phone", "customer_id": big}}]})
        assert sync.status_code == 200
        assert sync.get_json()["results"][0]["status"] == "rejected"
    assert snapshot(app) == before


# ---------------------------------------------------------------- 7. lone surrogates


def test_text_no_database_can_store_is_noticed_anywhere_in_json() -> None:
    assert unstorable("a\x00b") and unstorable("\ud800x") and unstorable("x\udfff")
    assert not unstorable("普通 text 😀") and not unstorable(5)
    assert unstorable_in({"a": [{"b": "\ud800"}]}) and unstorable_in({"\ud800": 1})
    assert not unstorable_in({"a": ["😀", 1, None]})


def test_a_lone_surrogate_in_a_visit_is_a_clear_422_and_saves_nothing(app: Flask) -> None:
    c, token = client_for(app, "rep12")
    with app.app_context():
        own = a_customer_of("rep12").id
    before = snapshot(app)
    # json.dumps writes a lone surrogate as the escape "\\ud800", as a phone's JSON would.
    for body in ({"kind": "phone", "customer_id": own, "notes": "\ud800x"},
                 {"kind": "phone", "new_customer_name": "Lead \udc00"},
                 {"kind": "phone", "customer_id": own, "\ud800": "x"},
                 {"kind": "phone", "customer_id": own, "products": ["\ud800"]},
                 {"id": "\ud800", "kind": "phone", "customer_id": own}):
        raw = json.dumps(body)
        assert "\\ud800" in raw or "\\udc00" in raw
        resp = c.post("/api/v1/visits", data=raw, headers={**JSON, "X-CSRFToken": token})
        assert resp.status_code == 422, (raw, resp.status_code)
        assert resp.get_json()["error"]["fields"], raw
    assert snapshot(app) == before


def test_a_lone_surrogate_in_one_sync_item_rejects_that_item_and_the_others_apply(
    app: Flask
) -> None:
    c, token = client_for(app, "rep12")
    with app.app_context():
        own = a_customer_of("rep12").id
    good = str(uuid.uuid4())
    bad_payload = str(uuid.uuid4())
    body = json.dumps({"items": [
        {"id": good, "type": "visit",
         "payload": {"kind": "phone", "customer_id": own, "notes": "ok"}},
        {"id": bad_payload, "type": "visit",
         "payload": {"kind": "phone", "customer_id": own, "notes": "\ud800x"}},
        {"id": "\ud800", "type": "visit", "payload": {"kind": "phone", "customer_id": own}},
        {"id": str(uuid.uuid4()), "type": "visit",
         "payload": {"kind": "phone", "customer_id": own, "\udfff": 1}},
    ]})
    resp = c.post("/api/v1/sync", data=body, headers={**JSON, "X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected"]
    assert results[1]["errors"] == {"notes": results[1]["errors"]["notes"]}
    assert results[2]["id"] is None and "id" in results[2]["errors"]
    with app.app_context():
        assert db.session.get(Visit, good) is not None
        assert db.session.get(Visit, bad_payload) is None


# ---------------------------------------------------------------- 8. NUL bytes


def test_a_nul_in_a_search_is_a_clear_400_on_every_database(app: Flask) -> None:
    rep, _ = client_for(app, "rep12")
    for path in ("/customers?q=a%00b", "/api/v1/customers?q=%00", "/visits/customers?q=a%00"):
        resp = rep.get(path + "&lang=en")
        assert resp.status_code == 400, (path, resp.status_code)
        assert "cannot be saved" in resp.get_data(as_text=True)
    assert rep.get("/api/v1/customers?q=%00").get_json()["error"]["code"] == 400


def test_a_nul_in_a_sync_item_id_rejects_that_item_and_the_others_apply(app: Flask) -> None:
    c, token = client_for(app, "rep12")
    with app.app_context():
        own = a_customer_of("rep12").id
    good = str(uuid.uuid4())
    resp = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
        {"id": good[:-1] + "\x00", "type": "visit", "payload": {"kind": "phone",
                                                                 "customer_id": own}},
        {"id": good, "type": "visit", "payload": {"kind": "phone", "customer_id": own}},
        {"id": str(uuid.uuid4()), "type": "visit",
         "payload": {"kind": "phone", "customer_id": own, "notes": "a\x00b"}},
    ]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [r["status"] for r in resp.get_json()["results"]] == [
        "rejected", "applied", "rejected"]


def test_text_no_database_can_store_never_reaches_one(app: Flask) -> None:
    """The last line: whatever view forgets to check, the statement is refused before it
    runs (SQLite would store a NUL, PostgreSQL would fail with a 500)."""
    from planner.db import UnstorableText

    with app.app_context():
        for bad in ("a\x00b", "\ud800"):
            with pytest.raises(UnstorableText):
                db.session.scalar(select(User.id).where(User.username == bad))
            db.session.rollback()
    resp = app.test_client().post("/login?lang=en", data={
        "username": "rep12\x00", "password": "x",
        "csrf_token": csrf_token(app.test_client())})
    assert resp.status_code in (400, 401)  # never a 500


# ---------------------------------------------------------------- 13. the write lock


def test_the_password_is_checked_outside_any_write_transaction(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, bool]] = []
    real = auth.verify_password

    def checking(stored: str | None, password: str) -> bool:
        in_tx = db.session().in_transaction()
        other_can_write = True
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            # Another connection takes SQLite's write lock at once while the hash runs.
            other = sqlite3.connect(url.database or "", timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError:
                other_can_write = False
            finally:
                other.close()
        seen.append((in_tx, other_can_write))
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", checking)
    for password, status in (("wrong", 401), (DEMO_PASSWORD, 302)):
        c = app.test_client()
        resp = c.post("/login", data={"username": "rep14", "password": password,
                                      "csrf_token": csrf_token(c)},
                      environ_base={"REMOTE_ADDR": "198.51.100.13"})
        assert resp.status_code == status
    assert seen == [(False, True), (False, True)]


def test_password_checks_queue_and_a_login_that_waits_too_long_is_told_to_retry(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most ARGON2_MAX_PARALLEL checks at once (each holds 64 MiB and a CPU): a burst of
    logins queues instead of starving the requests that write. One that waits too long
    gets a 503 with Retry-After, and counts as no failure."""
    from planner import security

    monkeypatch.setitem(app.config, "ARGON2_WAIT_SECONDS", 0.05)
    release = threading.Event()
    with app.app_context():
        busy = security._pool().submit(release.wait, 30)  # another check is running
    try:
        c = app.test_client()
        resp = c.post("/login?lang=en", data={"username": "rep19", "password": DEMO_PASSWORD,
                                               "csrf_token": csrf_token(c)},
                      environ_base={"REMOTE_ADDR": "198.51.100.19"})
    finally:
        release.set()
        busy.result(5)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "busy" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id)).where(
            LoginFailure.remote_addr == "198.51.100.19")) == 0
    assert _post_login(app, "rep19", DEMO_PASSWORD, "198.51.100.19") == 302


# ---------------------------------------------------------------- 14. throttling


def _post_login(app: Flask, username: str, password: str, addr: str) -> int:
    c = app.test_client()
    token = csrf_token(c)
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": token},
                  environ_base={"REMOTE_ADDR": addr}).status_code


def test_parallel_wrong_passwords_from_one_address_get_only_the_limit_checked(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    addr, limit = "198.51.100.30", app.config["LOGIN_MAX_FAILURES"]
    checked: list[int] = []
    gate = threading.Barrier(30)
    real = auth.verify_password

    def slow(stored: str | None, password: str) -> bool:
        checked.append(1)
        ok = real(stored, password)
        threading.Event().wait(0.2)  # a real hash takes this long: others come meanwhile
        return ok

    monkeypatch.setattr(auth, "verify_password", slow)
    clients = []
    for _ in range(30):
        c = app.test_client()
        clients.append((c, csrf_token(c)))
    statuses: list[int] = []

    def attempt(c: FlaskClient, token: str) -> None:
        gate.wait()
        resp = c.post("/login", data={"username": "rep13", "password": "wrong",
                                      "csrf_token": token}, environ_base={"REMOTE_ADDR": addr})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=attempt, args=ct) for ct in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(checked) == limit
    assert sorted(statuses) == [401] * limit + [429] * (30 - limit)
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id)).where(
            LoginFailure.remote_addr == addr)) == limit


def test_made_up_usernames_from_one_address_do_not_lock_its_reps_out(app: Flask) -> None:
    addr = "198.51.100.50"
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ADDR"]):
        assert _post_login(app, f"nobody-{i}", "guess", addr) == 401
    # More made-up names from that address are refused without a check...
    assert _post_login(app, "nobody-else", "guess", addr) == 429
    # ...but a rep behind the same office NAT still logs in with the right password,
    assert _post_login(app, "rep15", DEMO_PASSWORD, addr) == 302
    # and a known user's wrong password is still checked (their own limit still holds).
    assert _post_login(app, "rep16", "wrong", addr) == 401


def test_a_successful_login_keeps_the_failures_recorded_from_other_addresses(
    app: Flask
) -> None:
    for _ in range(3):
        assert _post_login(app, "rep17", "wrong", "198.51.100.71") == 401
    assert _post_login(app, "rep17", "wrong", "198.51.100.72") == 401
    assert _post_login(app, "rep17", DEMO_PASSWORD, "198.51.100.72") == 302
    with app.app_context():
        left = dict(db.session.execute(
            select(LoginFailure.remote_addr, func.count(LoginFailure.id))
            .where(LoginFailure.username == "rep17").group_by(LoginFailure.remote_addr)).all())
    assert left == {"198.51.100.71": 3}


def test_a_refused_attempt_records_nothing_and_old_failures_do_not_count(app: Flask) -> None:
    addr = "198.51.100.90"
    with app.app_context():
        long_ago = utcnow() - timedelta(hours=2)
        for _ in range(10):
            db.session.add(LoginFailure(username="rep18", remote_addr=addr, at=long_ago))
        db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(app, "rep18", "wrong", addr) == 401
    assert _post_login(app, "rep18", DEMO_PASSWORD, addr) == 429
    with app.app_context():
        recent = db.session.scalar(select(func.count(LoginFailure.id)).where(
            LoginFailure.remote_addr == addr, LoginFailure.at > long_ago))
    assert recent == app.config["LOGIN_MAX_FAILURES"]


# ---------------------------------------------------------------- 15. 405 and OpenAPI


def test_a_405_names_the_methods_that_are_allowed(app: Flask) -> None:
    c = app.test_client()
    for method, path, allowed in (("DELETE", "/api/v1/visits", {"GET", "POST"}),
                                  ("PUT", "/api/v1/sync", {"POST"}),
                                  ("DELETE", "/login", {"GET", "POST"})):
        resp = c.open(path, method=method)
        assert resp.status_code == 405, path
        assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}, path
    assert app.test_client().delete("/api/v1/visits").get_json()["error"]["code"] == 405


def _validator(name: str) -> Any:
    doc = document()
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": doc["components"]},
        validate_formats=True)


def test_a_visit_the_document_calls_valid_names_a_customer_and_a_supported_year() -> None:
    v = _validator("VisitInput")
    assert not v.is_valid({"kind": "cold"})  # no customer: the API answers 422
    assert v.is_valid({"kind": "cold", "customer_id": 1})
    assert v.is_valid({"kind": "cold", "new_customer_name": "A lead"})
    assert not v.is_valid({"kind": "chat", "customer_id": 1})
    assert not v.is_valid({"kind": "cold", "customer_id": 1, "next_follow_up": "3494-01-01"})
    assert v.is_valid({"kind": "cold", "customer_id": 1, "next_follow_up": "2027-01-01"})
    assert not v.is_valid({"kind": "cold", "customer_id": 2**31})


def test_unauthenticated_posts_answer_what_the_document_says(app: Flask) -> None:
    anon = app.test_client()
    paths = document()["paths"]
    for path in ("/visits", "/sync"):
        resp = anon.post(f"/api/v1{path}", json={"items": []})
        assert resp.status_code == 401  # the API checks the login before the CSRF token
        assert "400" in paths[path]["post"]["responses"], path
        assert "401" in paths[path]["post"]["responses"], path
        assert paths[path]["post"]["security"] == [{"session": [], "csrf": []}]


def test_sync_echoes_an_id_only_as_the_text_it_was(app: Flask) -> None:
    c, token = client_for(app, "rep12")
    resp = c.post("/api/v1/sync", headers={"X-CSRFToken": token}, json={"items": [
        {"id": False, "type": "visit", "payload": {}}, {"id": 5, "type": "visit"},
        {"id": "not-a-uuid", "type": "visit"}]})
    assert resp.status_code == 200
    assert [r["id"] for r in resp.get_json()["results"]] == [None, None, "not-a-uuid"]
    sync_doc = document()["paths"]["/sync"]["post"]["responses"]
    result_schema = sync_doc["200"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for(result_schema)
    assert validator.is_valid(json.loads(resp.get_data(as_text=True)))
    assert "409" in sync_doc and "400" in sync_doc

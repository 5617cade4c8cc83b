"""The foundation: app factory, configuration, login, CSRF, access rules, demo, CLI."""

from __future__ import annotations

import uuid

from conftest import DEMO_PASSWORD, csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from planner import create_app
from planner.access import can_see_user, visible_users
from planner.devtools.demo import NS
from planner.extensions import db
from planner.models import Customer, LoginFailure, Role, User, Visit


def table_counts() -> dict[str, int]:
    names = inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        return {
            n: conn.exec_driver_sql(f'SELECT count(*) FROM "{n}"').scalar_one()
            for n in names
            if n != "alembic_version"
        }


def test_the_demo_company_has_an_admin_four_managers_and_24_reps(app: Flask, app_ctx: None) -> None:
    roles = dict(
        db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    )
    assert roles == {Role.ADMIN: 1, Role.MANAGER: 4, Role.REP: 24}
    assert _demo_customers() == 300


def _demo_customers() -> int:
    """The demo's own customers (other tests add theirs to the same company)."""
    uuids = [str(uuid.uuid5(NS, f"customer-{i}")) for i in range(1000)]
    return db.session.scalar(select(func.count(Customer.id)).where(Customer.uuid.in_(uuids))) or 0


def test_running_the_demo_twice_leaves_the_same_row_counts(app: Flask) -> None:
    runner = app.test_cli_runner()
    # Other tests add visits; the first run puts the demo's own back as they were.
    assert runner.invoke(args=["planner", "demo"]).exit_code == 0
    with app.app_context():
        before = table_counts()
        demo_customers = _demo_customers()
    result = runner.invoke(args=["planner", "demo"])
    assert result.exit_code == 0, result.output
    assert "rep01" in result.output and "director" in result.output
    with app.app_context():
        after = table_counts()
    assert after == before
    assert before["user_account"] == 29 and demo_customers == 300


def test_each_role_lands_on_its_own_home(app: Flask) -> None:
    for username, home in (("rep01", "/today"), ("manager1", "/team"), ("director", "/targets")):
        client = app.test_client()
        resp = login(client, username)
        assert resp.status_code == 302
        assert resp.headers["Location"].endswith(home), (username, resp.headers["Location"])
        page = client.get(home)
        assert page.status_code == 200


def test_a_wrong_password_is_refused_with_a_clear_message(app: Flask, client: FlaskClient) -> None:
    resp = login(client, "rep02", "not-the-password")
    assert resp.status_code == 401
    assert "Wrong username or password" in resp.get_data(as_text=True) or \
        "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/today").status_code == 302  # still not logged in


def test_an_unknown_user_gets_the_same_answer_and_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        users_before = db.session.scalar(select(func.count(User.id)))
    resp = login(client, "nobody-here", "whatever")
    assert resp.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users_before


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    login(client, "rep03")
    with app.app_context():
        token_before = db.session.scalar(select(User.session_token).where(
            User.username == "rep03"))
    resp = client.post("/logout", headers={"Accept": "text/html"})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "security token" in body or "安全令牌" in body
    with app.app_context():
        assert db.session.scalar(select(User.session_token).where(
            User.username == "rep03")) == token_before
    assert client.get("/today").status_code == 200  # still logged in


def test_login_is_throttled_after_repeated_failures(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        assert login(client, "rep24", "bad").status_code == 401
    resp = login(client, "rep24")  # even the right password waits
    assert resp.status_code == 429
    with app.app_context():
        db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.username == "rep24"))
        db.session.commit()
    assert login(client, "rep24").status_code == 302


def test_logout_ends_every_session_of_the_user(app: Flask) -> None:
    a, b = app.test_client(), app.test_client()
    login(a, "rep05")
    login(b, "rep05")
    token = csrf_token(a, "/today")
    assert a.post("/logout", data={"csrf_token": token}).status_code == 302
    assert b.get("/today").status_code == 302  # the other session is gone too


def test_login_starts_a_new_session(app: Flask, client: FlaskClient) -> None:
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    login(client, "rep06")
    with client.session_transaction() as s:
        assert "planted" not in s


def test_the_session_cookie_is_httponly_and_samesite_lax(app: Flask) -> None:
    client = app.test_client()
    resp = login(client, "rep07")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_outside_debug_the_session_cookie_is_secure(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANNER_INSTANCE", str(tmp_path))
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ARGON2_MEMORY_COST"] >= 19 * 1024  # OWASP ASVS floor for argon2id
    # The secret key was generated into the instance folder and is reused.
    key = (tmp_path / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == key
    again = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert again.config["SECRET_KEY"] == key


def test_passwords_are_stored_as_argon2id(app: Flask, app_ctx: None) -> None:
    user = db.session.scalar(select(User).where(User.username == "rep01"))
    assert user is not None and user.password_hash.startswith("$argon2id$")


def test_a_rep_asking_for_another_reps_record_gets_404(app: Flask, rep_client: FlaskClient) -> None:
    with app.app_context():
        other = db.session.scalar(select(User).where(User.username == "rep02"))
        assert other is not None
        other_visit = db.session.scalar(select(Visit.id).where(Visit.user_id == other.id))
        other_customer = db.session.scalar(select(Customer.id).where(
            Customer.owner_id == other.id))
    assert rep_client.get(f"/api/v1/visits/{other_visit}").status_code == 404
    assert rep_client.get(f"/api/v1/customers/{other_customer}").status_code == 404


def test_managers_see_their_subtree_and_admins_the_company(app: Flask, app_ctx: None) -> None:
    users = {u.username: u for u in db.session.scalars(select(User))}
    m1, rep01, rep07 = users["manager1"], users["rep01"], users["rep07"]
    assert can_see_user(m1, rep01.id) and not can_see_user(m1, rep07.id)
    assert len(db.session.scalars(visible_users(users["director"])).all()) == 29
    assert db.session.scalars(visible_users(rep01)).all() == [rep01.id]
    assert not can_see_user(rep01, users["rep02"].id)


def test_the_api_answers_json_errors_without_a_login(client: FlaskClient) -> None:
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json["error"]["message"]


def test_pages_carry_a_strict_content_security_policy(client: FlaskClient) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_interface_speaks_chinese_by_default_and_english_on_request(
    client: FlaskClient,
) -> None:
    zh = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "登录" in zh
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "Log in" in en


def test_htmx_comes_from_the_pinned_npm_package(client: FlaskClient) -> None:
    with client.get("/vendor/htmx.min.js") as resp:
        assert resp.status_code == 200 and b"htmx" in resp.data[:2000]
    assert client.get("/vendor/../package.json").status_code == 404


def test_login_never_redirects_off_site(app: Flask) -> None:
    for nxt in ("//evil.example", "/\t/evil.example", "/\n/x", "/\r\n/x",
                "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client = app.test_client()
        token = csrf_token(client)
        resp = client.post("/login", query_string={"next": nxt},
                           data={"username": "rep08", "password": DEMO_PASSWORD,
                                 "csrf_token": token})
        assert resp.status_code == 302, nxt
        location = resp.headers["Location"]
        assert location.endswith("/today") and "evil" not in location, (nxt, location)
    client = app.test_client()
    token = csrf_token(client)
    resp = client.post("/login?next=/customers", data={
        "username": "rep08", "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.headers["Location"].endswith("/customers")


def test_failures_for_one_user_do_not_lock_them_out_from_another_address(app: Flask) -> None:
    attacker = app.test_client()
    for _ in range(5):
        token = csrf_token(attacker)
        attacker.post("/login", data={"username": "rep23", "password": "x", "csrf_token": token},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    token = csrf_token(attacker)
    blocked = attacker.post("/login", data={"username": "rep23", "password": DEMO_PASSWORD,
                                            "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert blocked.status_code == 429
    rep = app.test_client()
    assert login(rep, "rep23").status_code == 302  # the rep, from their own phone


def test_an_oversized_request_is_refused(client: FlaskClient) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"username": "x" * (3 * 1024 * 1024), "password": "p",
                                       "csrf_token": token})
    assert resp.status_code == 413

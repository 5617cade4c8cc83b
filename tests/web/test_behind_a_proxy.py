"""Behind a reverse proxy: TRUSTED_PROXIES says how many hops of X-Forwarded-* to trust
(Werkzeug's ProxyFix); with 0 (the default) a forged header changes nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import csrf_token
from flask import Flask, request

from planner import create_app

_BUILT: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_second_apps() -> Iterator[None]:
    """Close the second apps' database connections (on PostgreSQL one left to the garbage
    collector fails whichever test runs next)."""
    yield
    from planner.extensions import db

    while _BUILT:
        with _BUILT.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def _app(app: Flask, proxies: int) -> Flask:
    """A second app on the session's database, trusting `proxies` proxies."""
    cfg = {k: app.config[k] for k in (
        "TESTING", "SECRET_KEY", "SESSION_COOKIE_SECURE", "ARGON2_TIME_COST",
        "ARGON2_MEMORY_COST", "SQLALCHEMY_DATABASE_URI")}
    cfg.update(TRUSTED_PROXIES=proxies, LOGIN_MAX_FAILURES_PER_ADDR=3)
    other = create_app(cfg)
    _BUILT.append(other)

    @other.get("/_addr")
    def _addr() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    return other


@pytest.fixture()
def clean_failures(app: Flask) -> Iterator[None]:
    from planner.extensions import db
    from planner.models import LoginFailure

    def wipe() -> None:
        with app.app_context():
            db.session.query(LoginFailure).delete()
            db.session.commit()

    wipe()
    yield
    wipe()


def _fail(client, addr: str) -> int:  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/login", data={"username": f"nobody-{os.urandom(4).hex()}",
                                       "password": "wrong", "csrf_token": token},
                       headers={"X-Forwarded-For": addr},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code


def test_with_no_trusted_proxy_a_forged_forwarded_for_changes_nothing(app: Flask) -> None:
    c = _app(app, 0).test_client()
    got = c.get("/_addr", headers={"X-Forwarded-For": "203.0.113.7",
                                   "X-Forwarded-Proto": "https",
                                   "X-Forwarded-Host": "evil.example"},
                environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert got.get_data(as_text=True) == "198.51.100.1 http localhost"


def test_with_one_trusted_proxy_the_client_address_and_scheme_are_the_forwarded_ones(
        app: Flask) -> None:
    c = _app(app, 1).test_client()
    got = c.get("/_addr", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7",
                                   "X-Forwarded-Proto": "https",
                                   "X-Forwarded-Host": "planner.example.com"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"})
    # one hop: the address the proxy saw (the last), not what the client claimed before it
    assert got.get_data(as_text=True) == "203.0.113.7 https planner.example.com"


def test_with_no_trusted_proxy_every_client_counts_as_the_proxy(
        app: Flask, clean_failures: None) -> None:
    c = _app(app, 0).test_client()
    assert [_fail(c, "203.0.113.1") for _ in range(3)] == [401, 401, 401]
    assert _fail(c, "203.0.113.2") == 429  # another client, the same (proxy's) budget


def test_with_one_trusted_proxy_two_clients_are_throttled_separately(
        app: Flask, clean_failures: None) -> None:
    c = _app(app, 1).test_client()
    assert [_fail(c, "203.0.113.1") for _ in range(3)] == [401, 401, 401]
    assert _fail(c, "203.0.113.1") == 429
    assert _fail(c, "203.0.113.2") == 401  # its own budget

"""`flask planner setup` on an empty database: a company and its first administrator,
by prompts (the password without echo) or flags with an activation link; a second run
for the same name is refused; no stored secret is ever printed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import csrf_token
from flask import Flask
from org_helpers import dispose, empty_app
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AuditLog, Company, Invitation, Metric, OrgUnit, Stage, User


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = empty_app(tmp_path_factory.mktemp("setup"), "setup")
    yield app
    dispose(app)


FLAGS = ["planner", "setup", "--name", "北辰贸易有限公司", "--timezone", "Asia/Shanghai",
         "--country", "CN", "--fiscal-first-month", "4", "--currency", "CNY",
         "--admin-username", "boss", "--admin-name", "王总"]


def test_setup_asks_for_the_password_without_echo_and_creates_the_company(
        fresh: Flask) -> None:
    runner = fresh.test_cli_runner()
    result = runner.invoke(args=FLAGS, input="a-good-password\na-good-password\n")
    assert result.exit_code == 0, result.output
    assert "a-good-password" not in result.output  # hide_input: nothing echoed
    assert "Company created: 北辰贸易有限公司" in result.output
    with fresh.app_context():
        company = db.session.scalar(select(Company))
        assert company is not None
        assert (company.timezone, company.country, company.fiscal_first_month,
                company.currency) == ("Asia/Shanghai", "CN", 4, "CNY")
        admin = db.session.scalar(select(User).where(User.username == "boss"))
        assert admin is not None and admin.role.value == "admin"
        assert admin.unit.kind.value == "company" and admin.unit.parent_id is None
        assert admin.password_hash not in result.output
        assert db.session.scalar(select(func.count(Stage.id))) == 7
        assert db.session.scalar(select(func.count(Metric.id))) == 9
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.entity == "company")) == 1
    c = fresh.test_client()
    resp = c.post("/login", data={"username": "boss", "password": "a-good-password",
                                  "csrf_token": csrf_token(c)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin")
    page = c.get("/admin").get_data(as_text=True)
    assert "Not done" in page or "未完成" in page


def test_a_second_run_for_the_same_company_name_is_refused(fresh: Flask) -> None:
    runner = fresh.test_cli_runner()
    flags = [*FLAGS[:-4], "--admin-username", "boss2", "--admin-name", "X", "--invite"]
    result = runner.invoke(args=flags)
    assert result.exit_code != 0
    assert "exists already" in result.output
    with fresh.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == 1
        assert db.session.scalar(select(User.id).where(User.username == "boss2")) is None


def test_invite_prints_a_one_time_link_whose_token_is_stored_only_hashed(
        fresh: Flask) -> None:
    runner = fresh.test_cli_runner()
    flags = ["planner", "setup", "--name", "南风科技", "--timezone", "Asia/Shanghai",
             "--country", "CN", "--fiscal-first-month", "1", "--currency", "CNY",
             "--admin-username", "nanfeng", "--admin-name", "李总", "--invite",
             "--base-url", "https://planner.example.com/"]
    result = runner.invoke(args=flags)
    assert result.exit_code == 0, result.output
    m = re.search(r"https://planner\.example\.com/activate/(\S+)", result.output)
    assert m, result.output
    token = m.group(1)
    with fresh.app_context():
        inv = db.session.scalar(select(Invitation).join(User, User.id == Invitation.user_id).where(
            User.username == "nanfeng"))
        assert inv is not None and inv.token_hash != token and token not in inv.token_hash
        user = inv.user
        assert user.password_hash.startswith("!")  # no password until activation
        assert user.password_hash not in result.output
        assert db.session.scalar(select(func.count(OrgUnit.id)).where(
            OrgUnit.company_id == user.unit.company_id)) == 1
    c = fresh.test_client()
    page = c.get(f"/activate/{token}")
    assert page.status_code == 200
    resp = c.post(f"/activate/{token}", data={
        "password": "nanfeng-secret-1", "password2": "nanfeng-secret-1",
        "csrf_token": csrf_token(c, f"/activate/{token}")})
    assert resp.status_code == 303
    assert c.get("/admin").status_code == 200  # logged in as the administrator
    again = fresh.test_client().get(f"/activate/{token}?lang=en")
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)


@pytest.mark.parametrize("flag,value,message", [
    ("--timezone", "Mars/Olympus", "time zone"),
    ("--country", "XX", "country code"),
    ("--fiscal-first-month", "13", "month from 1 to 12"),
    ("--currency", "BTC", "Choose one of"),
    ("--admin-username", "a b", "username"),
])
def test_bad_flags_are_refused_and_nothing_is_created(fresh: Flask, flag: str, value: str,
                                                      message: str) -> None:
    flags = ["planner", "setup", "--name", "坏数据公司", "--timezone", "Asia/Shanghai",
             "--country", "CN", "--fiscal-first-month", "1", "--currency", "CNY",
             "--admin-username", "baddata", "--admin-name", "X", "--invite"]
    flags[flags.index(flag) + 1] = value
    result = fresh.test_cli_runner().invoke(args=flags)
    assert result.exit_code != 0 and message in result.output, result.output
    with fresh.app_context():
        assert db.session.scalar(select(Company.id).where(Company.name == "坏数据公司")) is None


def test_a_short_password_is_refused(fresh: Flask) -> None:
    flags = ["planner", "setup", "--name", "短密码公司", "--timezone", "Asia/Shanghai",
             "--country", "CN", "--fiscal-first-month", "1", "--currency", "CNY",
             "--admin-username", "shortpw", "--admin-name", "X"]
    result = fresh.test_cli_runner().invoke(args=flags, input="short\nshort\n")
    assert result.exit_code != 0 and "the minimum length is 10" in result.output

"""Helpers shared by the organisation tests: an app on an empty database of its own, a
second company in the shared test database, logged-in clients."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planner import create_app
from planner.extensions import db
from planner.models import Company, OrgUnit, Role, UnitKind, User

SECOND = "Second Test Co"
SECOND_PASSWORD = "second-company-pw"


def scratch_url(tmp: Path, name: str) -> str:
    """An empty database: a SQLite file in tmp, or a fresh PostgreSQL database beside the
    suite's (its name + `_name`)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / (name + '.sqlite3')}"
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    base, _, db_name = plain.rpartition("/")
    scratch = f"{db_name}_{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    return f"{base}/{scratch}"


def empty_app(tmp: Path, name: str = "org") -> Flask:
    """An app on a migrated, empty database (no demo company)."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False,
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8 * 1024, "SERVER_NAME": None,
        "SQLALCHEMY_DATABASE_URI": scratch_url(tmp, name)})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    return app


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def second_company(app: Flask) -> dict[str, int]:
    """A second company in the shared database (made once): its administrator
    `second_admin`, a region `east` and a team `sh` (the demo company's own codes)."""
    from planner.security import hash_password
    from planner.services.org import company

    with app.app_context():
        comp = db.session.scalar(select(Company).where(Company.name == SECOND))
        if comp is None:
            done = company.set_up({"name": SECOND, "timezone": "Asia/Shanghai",
                                   "country": "CN", "fiscal_first_month": "1",
                                   "currency": "CNY", "username": "second_admin",
                                   "display_name": "Second Admin"}, SECOND_PASSWORD)
            comp, root = done.company, done.admin.unit
            east = OrgUnit(company_id=comp.id, parent_id=root.id, kind=UnitKind.REGION,
                           code="east", name="东区", path="/")
            db.session.add(east)
            db.session.flush()
            east.parent = root
            east.set_path()
            sh = OrgUnit(company_id=comp.id, parent_id=east.id, kind=UnitKind.TEAM,
                         code="sh", name="上海", path="/")
            db.session.add(sh)
            db.session.flush()
            sh.parent = east
            sh.set_path()
            db.session.add(User(username="second_manager", display_name="Second Manager",
                                password_hash=hash_password(SECOND_PASSWORD),
                                role=Role.MANAGER, unit_id=sh.id))
            db.session.commit()
        units = {u.code: u.id for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.company_id == comp.id))}
        admin = db.session.scalar(select(User.id).where(User.username == "second_admin"))
        out = {**units, "company": comp.id, "admin": admin or 0}
        db.session.remove()
        return out


def logged_in(app: Flask, username: str, password: str | None = None,
              page: str = "/admin/people") -> tuple[FlaskClient, str]:
    c = app.test_client()
    c.get("/login?lang=en")  # the messages the tests read are the English ones
    resp = login(c, username, password) if password else login(c, username)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return c, csrf_token(c, page)


def post(c: FlaskClient, token: str, path: str, **data: Any) -> Any:
    return c.post(path, data={"csrf_token": token, **data})


def org_rows(prefix: str = "imp") -> list[list[Any]]:
    """2 regions, 4 teams, a manager per team and 3 reps each (12 reps)."""
    rows: list[list[Any]] = []
    for r in range(2):
        rows.append([f"{prefix}-r{r}", f"区域{r}", f"Region {r}", "region", "", "", "", "",
                     "", "", ""])
    for t in range(4):
        rows.append([f"{prefix}-t{t}", f"团队{t}", f"Team {t}", "团队", f"{prefix}-r{t // 2}",
                     "", "", "", "", "", ""])
    for t in range(4):
        boss = f"{prefix}.m{t}"
        rows.append([f"{prefix}-t{t}", "", "", "", "", boss, f"经理{t}", "138 0000 000" + str(t),
                     "经理", "", 70])
        for k in range(3):
            rows.append([f"{prefix}-t{t}", "", "", "", "", f"{prefix}.rep{t}{k}",
                         f"销售{t}{k}", f"+86 139-0000-{t}{k}00", "rep", boss, 50 + k])
    return rows


def xlsx(head: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""The people-change pages (/changes): every route of the blueprint, derived from the URL
map, for every role and a user of a second company; bad input answers 422 with the
message next to the field and changes nothing; a preview writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planner.extensions import db
from planner.models import AuditLog, Company, OrgUnit, Role, UnitKind, User
from planner.security import hash_password

PASSWORD = "second-company-2026"


def _id(username: str) -> int:
    uid = db.session.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return int(uid)


@pytest.fixture()
def second_admin(app: Flask) -> Iterator[str]:
    """The admin of a second company in the same database (removed after)."""
    with app.app_context():
        c = Company(name="Other Co")
        db.session.add(c)
        db.session.flush()
        root = OrgUnit(company_id=c.id, kind=UnitKind.COMPANY, code=f"OTHER-{c.id}",
                       name="Other")
        db.session.add(root)
        db.session.flush()
        root.set_path()
        u = User(username="otheradmin", display_name="Other admin", role=Role.ADMIN,
                 password_hash=hash_password(PASSWORD), unit_id=root.id)
        db.session.add(u)
        db.session.commit()
        ids = (u.id, root.id, c.id)
    yield "otheradmin"
    with app.app_context():
        db.session.execute(AuditLog.__table__.delete().where(AuditLog.user_id == ids[0]))
        db.session.delete(db.session.get(User, ids[0]))
        db.session.delete(db.session.get(OrgUnit, ids[1]))
        db.session.delete(db.session.get(Company, ids[2]))
        db.session.commit()


def _state(app: Flask) -> tuple[object, ...]:
    with app.app_context():
        from sqlalchemy import func

        from planner.models import Target, UnitMembership

        return (db.session.scalar(select(func.sum(Target.value))),
                db.session.scalar(select(func.count(AuditLog.id))),
                db.session.scalar(select(func.count(UnitMembership.id))),
                tuple(db.session.scalars(select(User.active).order_by(User.id))))


def _client(app: Flask, username: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    password = PASSWORD if username == "otheradmin" else "planner-demo-2026"
    assert login(c, username, password).status_code == 302
    return c, csrf_token(c, "/changes/" if username != "rep01" else "/today")


# Who may act on whom: (viewer, subject) -> allowed. rep01 is in manager1's team,
# rep07 in manager2's; a manager never acts on themselves or on another unit.
ALLOWED = {("director", "rep01"), ("director", "rep07"), ("director", "manager1"),
           ("director", "manager2"),
           ("manager1", "rep01")}
VIEWERS = ("director", "manager1", "rep01", "otheradmin")


def test_every_route_answers_each_role_and_a_second_company_as_it_should(
    app: Flask, second_admin: str
) -> None:
    with app.app_context():
        subjects = {u: _id(u) for u in ("rep01", "rep07", "manager1", "manager2")}
        rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("changes.")]
    assert {r.endpoint for r in rules} >= {
        "changes.index", "changes.leave", "changes.leave_post", "changes.join",
        "changes.join_post", "changes.move", "changes.move_post", "changes.manager",
        "changes.manager_post"}
    before = _state(app)
    checked = 0
    for viewer in VIEWERS:
        c, token = _client(app, viewer)
        for rule in rules:
            if not rule.arguments:
                want = 200 if viewer in ("director", "manager1", "otheradmin") else 404
                assert c.get(rule.rule).status_code == want, (viewer, rule.rule)
                continue
            whom = ("manager1", "manager2") if rule.endpoint.startswith("changes.manager") \
                else ("rep01", "rep07")
            for subject in whom:
                ok = (viewer, subject) in ALLOWED
                for step in ("preview", "apply") if "step" in rule.arguments else (None,):
                    args = {"user_id": subjects[subject]} | ({"step": step} if step else {})
                    with app.test_request_context():
                        from flask import url_for

                        path = url_for(rule.endpoint, **args)
                    if step is None:
                        resp = c.get(path)
                        want = 200 if ok else 404
                    else:  # no choices made: refused (422), nothing written
                        resp = c.post(path, data={"csrf_token": token})
                        want = 422 if ok else 404
                    assert resp.status_code == want, (viewer, path, resp.status_code)
                    checked += 1
    assert checked >= 4 * 8 * 2
    assert _state(app) == before


def test_a_bad_successor_is_shown_next_to_the_field_and_nothing_changes(app: Flask) -> None:
    before = _state(app)
    c, token = _client(app, "manager1")
    with app.app_context():
        rep01, rep07 = _id("rep01"), _id("rep07")
    resp = c.post(f"/changes/{rep01}/leave/preview?lang=en", data={
        "csrf_token": token, "targets_to": "successor", "customers_to": "manager",
        "successor": str(rep07)})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="field-error" id="successor-err"' in html
    assert "not in your company or your unit" in html
    resp = c.post(f"/changes/{rep01}/move/preview?lang=en", data={
        "csrf_token": token, "unit": "abc", "targets": "move"})
    assert resp.status_code == 422 and "Choose a team." in resp.get_data(as_text=True)
    assert _state(app) == before


def test_a_preview_shows_the_changes_and_writes_nothing(app: Flask) -> None:
    before = _state(app)
    c, token = _client(app, "director")
    with app.app_context():
        rep01 = _id("rep01")
    resp = c.post(f"/changes/{rep01}/leave/preview?lang=en", data={
        "csrf_token": token, "targets_to": "spread", "customers_to": "manager"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert 'id="prev-h"' in html and 'id="apply"' in html
    assert "is deactivated" in html
    assert _state(app) == before

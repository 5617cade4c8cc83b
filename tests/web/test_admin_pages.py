"""The administration pages: bad input answers 422 with the message next to its field and
changes nothing; the checklist is where an administrator lands until it is done or put
away; retired catalogue entries are not offered; a metric with targets this year is only
hidden from Today; the audit log reads by person and unit."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from org_helpers import SECOND_PASSWORD, logged_in, post, second_company
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AuditLog, Company, Metric, OrgUnit, ProductLine, User
from planner.security import hash_password


@pytest.fixture()
def app(org_app: Flask) -> Flask:
    """The demo company and a second one, in a database of their own (conftest)."""
    return org_app


def field_error(body: str, field: str) -> str:
    m = re.search(rf'id="f-{field}-err">([^<]+)<', body)
    assert m, f"no message next to {field}"
    return m.group(1)


def count(model: type, *where: object) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_the_company_form_refuses_an_empty_name_next_to_it_and_changes_nothing(
        app: Flask) -> None:
    c, token = logged_in(app, "director")
    resp = post(c, token, "/admin/company", name=" ", timezone="Nowhere/Else", country="CN",
                fiscal_first_month="1", currency="CNY")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_error(body, "name") and field_error(body, "timezone")
    with app.app_context():
        assert db.session.scalar(select(Company.name).where(Company.id == 1)) != " "


def test_unit_forms_refuse_a_duplicate_code_and_a_move_under_its_own_child(
        app: Flask) -> None:
    ids = second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    resp = post(c, token, "/admin/units", parent=ids["east"], kind="team", code="sh",
                name="重复")
    assert resp.status_code == 422 and "code" in field_error(resp.get_data(as_text=True),
                                                             "code").lower()
    resp = post(c, token, f"/admin/units/{ids['east']}", action="move", parent=ids["sh"])
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "under itself" in body or "people, not units" in body
    with app.app_context():
        east = db.session.get(OrgUnit, ids["east"])
        assert east is not None and east.parent is not None and east.parent.parent_id is None


def test_adding_a_person_with_a_taken_username_says_so_next_to_the_field(app: Flask) -> None:
    ids = second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    with app.app_context():
        before = count(User)
    resp = post(c, token, "/admin/people/new", display_name="Copy", username="rep01",
                unit=ids["sh"], role="rep", capability="50")
    assert resp.status_code == 422
    assert "unique across" in field_error(resp.get_data(as_text=True), "username")
    with app.app_context():
        assert count(User) == before


def test_adding_a_person_shows_the_link_once_as_text_and_qr_and_it_activates(
        app: Flask) -> None:
    ids = second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    resp = post(c, token, "/admin/people/new", display_name="扫码销售", username="second.qr",
                phone="138 0000 1111", unit=ids["sh"], role="rep", capability="60")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<svg" in body
    link = re.search(r'value="(http://[^"]+/activate/([^"]+))"', body)
    assert link
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "second.qr"))
        assert user is not None and link.group(2) not in user.password_hash
    assert link.group(2) not in c.get(f"/admin/people/{user.id}").get_data(as_text=True)
    phone = app.test_client()
    from conftest import csrf_token

    path = f"/activate/{link.group(2)}"
    tok = csrf_token(phone, path)
    bad = phone.post(path, data={"password": "abc", "password2": "abc", "csrf_token": tok})
    assert bad.status_code == 422 and 'id="password-err"' in bad.get_data(as_text=True)
    ok = phone.post(path, data={"password": "scan-me-2026!", "password2": "scan-me-2026!",
                                "csrf_token": tok})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/today")
    reused = app.test_client().get(f"{path}?lang=en")
    assert reused.status_code == 410 and "used already" in reused.get_data(as_text=True)


def test_the_last_administrator_cannot_be_deactivated_from_the_page(app: Flask) -> None:
    second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.username == "second_admin"))
    resp = post(c, token, f"/admin/people/{me}", action="role", role="manager")
    assert resp.status_code == 422 and "last administrator" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.id == me)).value == "admin"


def test_an_administrator_lands_on_the_checklist_until_it_is_put_away(app: Flask) -> None:
    second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    assert c.get("/").headers["Location"].endswith("/admin")
    page = c.get("/admin").get_data(as_text=True)
    for step in ("company", "organisation", "catalogue", "metrics", "fiscal_year",
                 "decomposition", "invite"):
        assert f'id="step-{step}"' in page
    assert 'href="/targets"' in page
    try:
        assert post(c, token, "/admin/setup/dismiss").status_code == 303
        assert c.get("/").headers["Location"].endswith("/targets")
    finally:
        post(c, token, "/admin/setup/dismiss", show="1")
    assert c.get("/").headers["Location"].endswith("/admin")
    director, _t = logged_in(app, "director")  # the demo company is set up: Targets
    assert director.get("/").headers["Location"].endswith("/targets")


def test_a_retired_product_line_is_not_offered_for_new_visits(app: Flask) -> None:
    ids = second_company(app)
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username == "second_rep")) is None:
            db.session.add(User(username="second_rep", display_name="Second Rep",
                                password_hash=hash_password(SECOND_PASSWORD),
                                role="rep", unit_id=ids["sh"]))
            db.session.commit()
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    for code, name in (("pl-keep", "保留产品"), ("pl-old", "停售产品")):
        resp = post(c, token, "/admin/catalog", dim="product_line", action="add", code=code,
                    name=name, name_en="")
        assert resp.status_code in (303, 422)
    dup = post(c, token, "/admin/catalog", dim="product_line", action="add", code="pl-keep",
               name="又一个", name_en="")
    assert dup.status_code == 422 and "used already" in dup.get_data(as_text=True)
    with app.app_context():
        old = db.session.scalar(select(ProductLine.id).where(
            ProductLine.code == "pl-old", ProductLine.company_id == ids["company"]))
    assert post(c, token, "/admin/catalog", dim="product_line", action="retire",
                entry_id=old).status_code == 303
    rep, _t = logged_in(app, "second_rep", SECOND_PASSWORD, page="/today")
    form = rep.get("/visits/new").get_data(as_text=True)
    assert "保留产品" in form and "停售产品" not in form
    assert "停售产品" in c.get("/admin/catalog").get_data(as_text=True)  # kept for history


def test_a_metric_with_targets_this_year_is_only_hidden_from_today(app: Flask) -> None:
    c, token = logged_in(app, "director")
    with app.app_context():
        metric = db.session.scalar(select(Metric).where(Metric.code == "visits",
                                                        Metric.company_id == 1))
        assert metric is not None
        mid, name, name_en = metric.id, metric.name, metric.name_en
    resp = post(c, token, f"/admin/metrics/{mid}", action="stop")
    assert resp.status_code == 422 and "only hidden from Today" in resp.get_data(as_text=True)
    rep, _t = logged_in(app, "rep01", page="/today")
    assert name_en in rep.get("/today").get_data(as_text=True)  # the rep reads English
    try:
        assert post(c, token, f"/admin/metrics/{mid}", action="save", name=name,
                    name_en=name_en, unit="count", additive="1").status_code == 303
        today = rep.get("/today").get_data(as_text=True)
        assert f">{name}<" not in today
        bad = post(c, token, f"/admin/metrics/{mid}", action="save", name=name,
                   name_en=name_en, unit="money", additive="1", show_today="1")
        assert bad.status_code == 422 and "cannot change" in bad.get_data(as_text=True)
    finally:
        post(c, token, f"/admin/metrics/{mid}", action="save", name=name, name_en=name_en,
             unit="count", additive="1", show_today="1")
    with app.app_context():
        assert db.session.scalar(select(Metric.show_today).where(Metric.id == mid)) is True


def test_the_audit_log_reads_by_person_and_by_unit(app: Flask) -> None:
    ids = second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    post(c, token, f"/admin/units/{ids['east']}", action="rename", name="东区",
         name_en="East (renamed)")
    post(c, token, f"/admin/units/{ids['east']}", action="rename", name="东区", name_en="")
    with app.app_context():
        assert count(AuditLog, AuditLog.entity == "org_unit",
                     AuditLog.entity_id == ids["east"]) >= 2
    by_unit = c.get(f"/admin/audit?unit={ids['east']}").get_data(as_text=True)
    assert "East (renamed)" in by_unit
    by_person = c.get(f"/admin/audit?user={ids['admin']}").get_data(as_text=True)
    assert "East (renamed)" in by_person
    assert c.get("/admin/audit?unit=abc").status_code == 404


def test_the_people_import_page_reports_bad_rows_and_offers_its_template(app: Flask) -> None:
    import io

    second_company(app)
    c, token = logged_in(app, "second_admin", SECOND_PASSWORD)
    tmpl = c.get("/admin/import/template.xlsx")
    assert tmpl.status_code == 200 and tmpl.data[:2] == b"PK"
    csv = "Unit code,Username,Name,Phone\nnowhere,x.y.z,某人,bad phone\n".encode()
    resp = c.post("/admin/import", data={"csrf_token": token,
                                         "file": (io.BytesIO(csv), "people.csv")},
                  content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="import-report"' in body
    assert "No unit has this code" in body and "phone" in body.lower()
    none = c.post("/admin/import", data={"csrf_token": token})
    assert none.status_code == 422 and 'id="import-error"' in none.get_data(as_text=True)

"""The access matrix of the administration pages, derived from the URL map: every route
of the `admin` blueprint, GET and POST, for a rep, a manager (records of their own team),
the director, and the administrator of a second company (the first's records are 404 to
them, and its units, people and catalogue never show). A new route fails the test until
its row is added here."""

from __future__ import annotations

import pytest
from flask import Flask
from org_helpers import SECOND_PASSWORD, logged_in, second_company
from sqlalchemy import select

from planner.extensions import db
from planner.models import Company, Metric, Role, User

ROLES = ("rep", "manager", "admin", "other")
LOGINS = {"rep": ("rep01", None), "manager": ("manager1", None), "admin": ("director", None),
          "other": ("second_admin", SECOND_PASSWORD)}
# endpoint -> {method: (rep, manager, director, second company's admin)}
MATRIX: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "admin.home": {"GET": (404, 404, 200, 200)},
    "admin.dismiss": {"POST": (404, 404, 303, 303)},
    "admin.company": {"GET": (404, 404, 200, 200), "POST": (404, 404, 422, 422)},
    "admin.audit_log": {"GET": (404, 404, 200, 200)},
    "admin.units_page": {"GET": (404, 200, 200, 200)},
    "admin.unit_add": {"POST": (404, 422, 422, 422)},
    # manager1's own team: they see it, but change only the units below it
    "admin.unit_page": {"GET": (404, 200, 200, 404)},
    "admin.unit_change": {"POST": (404, 404, 422, 404)},
    "admin.people_page": {"GET": (404, 200, 200, 200)},
    "admin.person_new": {"GET": (404, 200, 200, 200), "POST": (404, 422, 422, 422)},
    "admin.person_page": {"GET": (404, 200, 200, 404)},
    "admin.person_change": {"POST": (404, 422, 422, 404)},
    "admin.people_import": {"GET": (404, 404, 200, 200)},
    "admin.people_import_post": {"POST": (404, 404, 422, 422)},
    "admin.people_template": {"GET": (404, 404, 200, 200)},
    "admin.catalog": {"GET": (404, 404, 200, 200)},
    "admin.catalog_change": {"POST": (404, 404, 404, 404)},  # no such entry
    "admin.metrics_page": {"GET": (404, 404, 200, 200)},
    "admin.metric_change": {"POST": (404, 404, 422, 404)},
    # an unknown link, whoever opens it
    "admin.activate": {"GET": (404, 404, 404, 404)},
    "admin.activate_post": {"POST": (404, 404, 404, 404)},
}
# The first company's names that a second company's administrator must never see.
FIRST_COMPANY_WORDS = ("华东区", "上海组", "rep01", "manager1", "智能门锁", "Smart locks")


@pytest.fixture()
def app(org_app: Flask) -> Flask:
    """The demo company and a second one, in a database of their own (conftest)."""
    return org_app


def _records(app: Flask) -> dict[str, object]:
    with app.app_context():
        m1 = db.session.scalar(select(User).where(User.username == "manager1"))
        assert m1 is not None
        rep = db.session.scalar(select(User).where(User.unit_id == m1.unit_id,
                                                   User.role == Role.REP))
        metric = db.session.scalar(select(Metric.id).where(
            Metric.company_id == m1.unit.company_id))
        assert rep is not None and metric is not None
        return {"unit_id": m1.unit_id, "user_id": rep.id, "metric_id": metric,
                "fmt": "xlsx", "token": "not-a-token"}


def test_every_admin_route_answers_each_role_as_the_matrix_says(app: Flask) -> None:
    second_company(app)
    values = _records(app)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert {r.endpoint for r in rules} == set(MATRIX), "add the new route to MATRIX"
    with app.app_context():
        demo = db.session.scalar(select(Company).where(Company.id == 1))
        dismissed = {c.id: c.setup_dismissed for c in db.session.scalars(select(Company))}
        assert demo is not None
    urls = app.url_map.bind("localhost")
    seen = []
    for i, role in enumerate(ROLES):
        name, password = LOGINS[role]
        c, token = logged_in(app, name, password, page="/today" if role == "rep"
                             else "/admin/people")
        for rule in rules:
            args = {a: values[a] for a in rule.arguments}
            for method, expected in MATRIX[rule.endpoint].items():
                path = urls.build(rule.endpoint, args, method=method)
                resp = c.open(path, method=method,
                              data={"csrf_token": token} if method == "POST" else None)
                assert resp.status_code == expected[i], (role, method, path,
                                                         resp.status_code)
                if role == "other":
                    body = resp.get_data().decode("utf-8", "replace")
                    leaked = [w for w in FIRST_COMPANY_WORDS if w in body]
                    assert not leaked, (path, leaked)
                seen.append((role, rule.endpoint, method))
    assert len(seen) == 4 * sum(len(m) for m in MATRIX.values())
    with app.app_context():  # the dismiss POSTs toggled the checklist: put it back
        for comp in db.session.scalars(select(Company)):
            comp.setup_dismissed = dismissed.get(comp.id, False)
        db.session.commit()


def test_a_second_company_sees_none_of_the_firsts_units_people_or_catalogue(
        app: Flask) -> None:
    ids = second_company(app)
    c, _token = logged_in(app, "second_admin", SECOND_PASSWORD)
    for path in ("/admin/units", "/admin/people", "/admin/catalog", "/admin/metrics",
                 "/admin/audit", "/admin/people/new"):
        body = c.get(path).get_data(as_text=True)
        assert not [w for w in FIRST_COMPANY_WORDS if w in body], path
    units = c.get("/admin/units").get_data(as_text=True)
    assert "东区" in units and f"/admin/units/{ids['east']}" in units
    with app.app_context():
        demo_rep = db.session.scalar(select(User.id).where(User.username == "rep01"))
    assert c.get(f"/admin/audit?user={demo_rep}").status_code == 404

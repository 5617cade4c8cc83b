"""The set-up checklist (the administration's home) and the company's details."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...extensions import db
from ...refusal import Refused
from ...services.org import audit, checklist
from ...services.org import company as svc
from ..render import render
from . import ADMIN, actor, bp, found

STEP_PAGES = {
    "company": "admin.company", "organisation": "admin.units_page", "catalogue": "admin.catalog",
    "metrics": "admin.metrics_page", "fiscal_year": "web.targets", "decomposition": "web.targets",
    "invite": "admin.people_page",
}


@bp.get("/admin")
@ADMIN
def home() -> ResponseReturnValue:
    company = actor().unit.company
    steps = checklist.steps(company)
    return render("admin/home.html", steps=steps, pages=STEP_PAGES, company=company,
                  complete=all(s.done for s in steps))


@bp.post("/admin/setup/dismiss")
@ADMIN
def dismiss() -> ResponseReturnValue:
    company = actor().unit.company
    value = request.form.get("show") != "1"
    if company.setup_dismissed != value:
        audit.changes(actor(), "company", company, {"setup_dismissed": value})
        db.session.commit()
    return redirect(url_for("admin.home"), code=303)


@bp.route("/admin/company", methods=["GET", "POST"])
@ADMIN
def company() -> ResponseReturnValue:
    comp = actor().unit.company
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            svc.update_details(actor(), comp, request.form)
        except Refused as exc:
            db.session.rollback()
            errors = exc.fields or {"name": exc.message}
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("admin.company"), code=303)
    form = request.form if errors else {
        "name": comp.name, "timezone": comp.timezone, "country": comp.country,
        "fiscal_first_month": comp.fiscal_first_month, "currency": comp.currency}
    return render("admin/company.html", form=form, errors=errors,
                  currencies=svc.CURRENCIES, status=422 if errors else 200)


@bp.get("/admin/audit")
@ADMIN
def audit_log() -> ResponseReturnValue:
    from ...parsing import parse_id
    from ...services.org import scope

    me = actor()
    person = parse_id(request.args.get("user")) if request.args.get("user") else None
    unit = parse_id(request.args.get("unit")) if request.args.get("unit") else None
    if person is not None:
        found(lambda: scope.get_user(me, person))
    if unit is not None:
        found(lambda: scope.get_unit(me, unit))
    if (request.args.get("user") and person is None) or (request.args.get("unit")
                                                           and unit is None):
        found(lambda: scope.get_unit(me, None))
    from ...services.org import people

    return render("admin/audit.html", entries=audit.entries(me, person, unit),
                  people=people.people(me), units=scope.units(me), person=person, unit=unit)

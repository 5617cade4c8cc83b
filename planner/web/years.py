"""The next fiscal year (issue 18 §4): the director plans it from this year on a page
of its own under Targets (growth for the year or per quarter, or typed values), sees a
preview of the company targets and their split before anything is written, creates it
as a draft and publishes it. Also the page a landing page shows when the company has no
fiscal year (what is missing, who can fix it), instead of a 404.

Thin views: parse, call planner.services.years, render; they commit or roll back.
"""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Role
from ..refusal import Refused
from ..services import years as ys
from ..services.company import local_today
from . import bp, roles_required
from .render import render

DIM_LABELS = ("product_line", "channel", "customer_type", "region", "team", "rep")


def _today() -> Any:
    return local_today(current_user.company)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "dims": {"product_line": _("Product line"), "channel": _("Channel"),
                 "customer_type": _("Customer type"), "region": _("Region"),
                 "team": _("Team"), "rep": _("Rep")},
        "methods": {"carry": _("as this year, metric by metric"),
                    "last_year": _("last year's share"), "capability": _("capability"),
                    "equal": _("equal")},
    }


def _form_defaults(ny: ys.NewYear) -> dict[str, Any]:
    """The form as first shown: +15% for the year, the structure as this year."""
    dims = next((c[0] for c in ny.carried.values() if c[0]), [])
    out: dict[str, Any] = {"mode": "year", "growth": "" if ny.first else "15",
                           "year": str(ny.year), "method": "carry"}
    for i, d in enumerate(dims[:3], start=1):
        out[f"dim{i}"] = d
    return out


def _page(ny: ys.NewYear, form: Any, status: int = 200, **extra: Any) -> ResponseReturnValue:
    extra.setdefault("errors", {})
    extra.setdefault("error", None)
    extra.setdefault("plans", None)
    return render("years/new.html", "years/_preview.html", status=status, ny=ny, form=form,
                  labels=_labels(), dims=DIM_LABELS, methods=ys.SPLIT_METHODS, **extra)


@bp.get("/targets/years/new")
@roles_required(Role.ADMIN)
def year_new() -> ResponseReturnValue:
    ny = ys.new_year(current_user, _today())
    db.session.rollback()
    return render("years/new.html", ny=ny, form=_form_defaults(ny), labels=_labels(),
                  dims=DIM_LABELS, methods=ys.SPLIT_METHODS, errors={}, error=None,
                  plans=None)


@bp.post("/targets/years/preview")
@roles_required(Role.ADMIN)
def year_preview() -> ResponseReturnValue:
    """What creating would write, written and rolled back: never saved."""
    today = _today()
    try:
        ny, inp, plans, fy = ys.preview_year(current_user, request.form, today)
    except Refused as exc:
        db.session.rollback()
        ny = ys.new_year(current_user, today)
        db.session.rollback()
        return _page(ny, request.form, 422, errors=exc.fields, error=exc.message)
    out = _page(ny, request.form, inp=inp, plans=plans, months=ys.month_labels(fy))
    db.session.rollback()  # a preview never writes
    return out


@bp.post("/targets/years/create")
@roles_required(Role.ADMIN)
def year_create() -> ResponseReturnValue:
    today = _today()
    try:
        fy = ys.create_year(current_user, request.form, today)
    except Refused as exc:
        db.session.rollback()
        ny = ys.new_year(current_user, today)
        db.session.rollback()
        return _page(ny, request.form, 422, errors=exc.fields, error=exc.message)
    year = fy.year
    db.session.commit()
    return redirect(url_for("web.targets", fy=year, created=1), 303)


@bp.post("/targets/years/<int:year>/publish")
@roles_required(Role.ADMIN)
def year_publish(year: int) -> ResponseReturnValue:
    try:
        ys.publish_year(current_user, year)
    except Refused as exc:
        db.session.rollback()
        return render("years/refused.html", status=422, message=exc.message, year=year)
    db.session.commit()
    return redirect(url_for("web.targets", fy=year, published=1), 303)


def missing_page(what: str) -> Any:
    """The answer of a landing page when the company has no fiscal year (or nothing to
    show in it): what is missing and who can fix it, never a 404."""
    names = ys.admins(current_user.unit.company_id)
    return make_response(render_template(
        "years/missing.html", what=what, fixers=ys.name_list(names),
        admin=current_user.role == Role.ADMIN), 200)

"""Log a visit (拜访记录): the form (a page, or a sheet on Today), the htmx customer
search, and one visit's page. Validation and writing are services.visits' (the one
validator shared with the API and the offline sync)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import Company, Customer, ProductLine, Visit, VisitKind
from ..services.company import company_tz
from ..services.customers import active_stages, search_customers
from ..services.visits import record_visit, validate_visit
from . import bp
from .render import render, wants_fragment

KINDS = [
    (VisitKind.COLD.value, "Cold visit"),
    (VisitKind.EXISTING.value, "Existing customer"),
    (VisitKind.RETURN.value, "Return visit"),
    (VisitKind.PHONE.value, "Phone"),
]
FIELDS = ("customer_id", "new_customer_name", "new_customer_contact", "new_customer_phone",
          "kind", "visited_at", "place", "latitude", "longitude", "purpose", "notes", "outcome",
          "amount_signed", "amount_collected", "expenses", "materials", "next_follow_up",
          "stage", "q", "context")


def kind_labels() -> list[tuple[str, str]]:
    names = {"cold": _("Cold visit"), "existing": _("Existing customer"),
             "return": _("Return visit"), "phone": _("Phone")}
    return [(k, names[k]) for k, _label in KINDS]


def _company() -> Company:
    company = db.session.get(Company, current_user.unit.company_id)
    assert company is not None
    return company


def _choices(q: str, selected: str) -> list[Customer]:
    """The rep's own customers for the picker: the search result, the selected one first."""
    found = search_customers(current_user, q, owner_id=current_user.id, limit=6)
    if selected.isdigit():
        sel = db.session.scalar(select(Customer).where(
            Customer.id == int(selected), Customer.owner_id == current_user.id))
        if sel is not None:
            found = [sel] + [c for c in found if c.id != sel.id]
    return found


def form_context(form: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    company = _company()
    return {
        "form": form,
        "errors": errors or {},
        "kinds": kind_labels(),
        "stages": active_stages(company.id),
        "products": list(db.session.scalars(select(ProductLine).where(
            ProductLine.company_id == company.id, ProductLine.active.is_(True))
            .order_by(ProductLine.sort))),
        "choices": _choices(str(form.get("q", "")), str(form.get("customer_id", ""))),
    }


def blank_form(context: str) -> dict[str, Any]:
    now = datetime.now(company_tz(_company()))
    return {"kind": VisitKind.EXISTING.value, "visited_at": now.strftime("%Y-%m-%dT%H:%M"),
            "products": [], "context": context, "customer_id": ""}


@bp.get("/visits/new")
@login_required
def visit_new():  # type: ignore[no-untyped-def]
    form = blank_form(request.args.get("context", "page"))
    cid = request.args.get("customer_id", "")
    if cid:
        customer = access.get_or_404(current_user, Customer, _int(cid))
        if customer.owner_id != current_user.id:
            abort(404)  # a manager sees the customer, but only its owner logs visits
        form["customer_id"] = str(customer.id)
    return render("visits/new.html", "visits/_form.html", **form_context(form))


@bp.get("/visits/customers")
@login_required
def visit_customer_choices():  # type: ignore[no-untyped-def]
    form = {"q": request.args.get("q", ""),
            "customer_id": request.args.get("customer_id", "")}
    return render("visits/new.html", "visits/_choices.html", **form_context(form))


@bp.post("/visits/new")
@login_required
def visit_create():  # type: ignore[no-untyped-def]
    raw: dict[str, Any] = {k: request.form.get(k, "") for k in FIELDS}
    raw["products"] = request.form.getlist("products")
    context = "today" if raw.get("context") == "today" else "page"
    data, errors = validate_visit(raw, current_user, now=datetime.now(UTC))
    if errors or data is None:
        db.session.rollback()
        return render("visits/new.html", "visits/_form.html", status=422,
                      **form_context(raw, errors))
    visit = record_visit(current_user, data)
    db.session.commit()
    if not wants_fragment():
        resp = redirect(url_for("web.today", saved=visit.id), code=303)
        resp.vary.add("HX-Request")
        return resp
    if context != "today":
        resp = Response(status=204)
        resp.headers["HX-Redirect"] = url_for("web.today")
        resp.vary.add("HX-Request")
        return resp
    from .today import today_context

    ctx = today_context(current_user)
    ctx.update(visit=visit, form_next=blank_form("today"))
    ctx.update(form_context(ctx["form_next"]))
    return render("visits/new.html", "visits/_saved.html", **ctx)


@bp.get("/visits/<visit_id>")
@login_required
def visit_page(visit_id: str):  # type: ignore[no-untyped-def]
    visit = access.get_or_404(current_user, Visit, visit_id)
    return render("visits/detail.html", visit=visit, kinds=dict(kind_labels()))


def _int(v: str) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return -1

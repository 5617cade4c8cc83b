"""Log a visit (拜访记录): the form (a page, or a sheet on Today), the htmx customer
search, and one visit's page. Validation and writing are services.visits' (the one
validator shared with the API and the offline sync)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import access
from ..extensions import db
from ..models import Company, Customer, ProductLine, Visit, VisitKind
from ..parsing import parse_id
from ..services.company import company_tz
from ..services.customers import active_stages, search_customers
from ..services.visits import (
    LEAD_CONFLICT,
    LEAD_LIMITS,
    TEXT_LIMITS,
    UUID_RE,
    form_payload,
    recheck,
    take_one,
)
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
          "stage", "q", "context", "id", "lead_uuid")


def kind_labels() -> list[tuple[str, str]]:
    names = {"cold": _("Cold visit"), "existing": _("Existing customer"),
             "return": _("Return visit"), "phone": _("Phone")}
    return [(k, names[k]) for k, _label in KINDS]


def _company() -> Company:
    company = current_user.company
    return company


def _choices(q: str, selected: str) -> list[Customer]:
    """The rep's own customers for the picker: the search result, the selected one first."""
    found = search_customers(current_user, q, owner_id=current_user.id, limit=6)
    selected_id = parse_id(selected)  # "²" or a 20-digit number is no customer, not a 500
    if selected_id is not None:
        sel = db.session.scalar(select(Customer).where(
            Customer.id == selected_id, Customer.owner_id == current_user.id))
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
        # The server's limits, so the form's maxlength is the same number (one source).
        "limits": {**TEXT_LIMITS, **LEAD_LIMITS},
    }


def blank_form(context: str) -> dict[str, Any]:
    # visited_at is left empty: the visit then takes the moment it is saved (on the
    # server, or on the phone when offline), not the moment this form was made (a form
    # cached by the phone may be opened hours later). The rep may type another time.
    # id: the visit's UUID, made here once per form (the idempotency key: a repeat of the
    # same POST, or the same visit from the outbox, is saved once). lead_uuid: the UUID of
    # a new lead typed into this form, made here for the same reason.
    return {"kind": VisitKind.EXISTING.value, "visited_at": "",
            "products": [], "context": context, "customer_id": "",
            "id": str(uuidlib.uuid4()), "lead_uuid": str(uuidlib.uuid4())}


def _form_uuid(value: Any) -> str:
    """A UUID the form carried (lower-case), or a new one (a form cached before ids)."""
    s = str(value or "").strip().lower()
    return s if UUID_RE.match(s) else str(uuidlib.uuid4())


@bp.get("/visits/new")
@login_required
def visit_new() -> ResponseReturnValue:
    form = blank_form(request.args.get("context", "page"))
    cid = request.args.get("customer_id", "")
    if cid:
        customer = access.get_or_404(current_user, Customer, cid)
        if customer.owner_id != current_user.id:
            abort(404)  # a manager sees the customer, but only its owner logs visits
        form["customer_id"] = str(customer.id)
    return render("visits/new.html", "visits/_form.html", **form_context(form))


@bp.get("/visits/customers")
@login_required
def visit_customer_choices() -> ResponseReturnValue:
    form = {"q": request.args.get("q", ""),
            "customer_id": request.args.get("customer_id", "")}
    return render("visits/new.html", "visits/_choices.html", **form_context(form))


@bp.post("/visits/new")
@login_required
def visit_create() -> ResponseReturnValue:
    raw: dict[str, Any] = {k: request.form.get(k, "") for k in FIELDS}
    raw["products"] = request.form.getlist("products")
    raw["id"], raw["lead_uuid"] = _form_uuid(raw["id"]), _form_uuid(raw["lead_uuid"])
    context = "today" if raw.get("context") == "today" else "page"
    # What the visit says, as the outbox would send it (a new lead by the form's UUID).
    payload = form_payload(request.form)
    if payload.get("new_customer_name"):
        payload["customer_uuid"] = raw["lead_uuid"]
    outcome = take_one(current_user, raw["id"], payload)
    if outcome.status == "applied":
        try:
            db.session.commit()
        except IntegrityError:  # the same form posted twice at once: the other POST saved it
            db.session.rollback()
            again = recheck(current_user, raw["id"], payload)
            if again is None:
                raise
            outcome = again
    else:
        db.session.rollback()
    if outcome.saved:
        return _saved(outcome.saved_visit(), context)
    if outcome.status == "conflict" and LEAD_CONFLICT not in outcome.errors:
        # Saved already with other details: said on the form, which gets a new id (saving
        # again makes a new visit).
        raw["id"] = str(uuidlib.uuid4())
        errors = {"id": _("This form was saved already with other details (see Today); "
                          "nothing was changed. Save again to log it as another visit.")}
    else:
        errors = outcome.errors
        if LEAD_CONFLICT in errors:
            raw["lead_uuid"] = str(uuidlib.uuid4())
    return render("visits/new.html", "visits/_form.html", status=422,
                  **form_context(raw, errors))


def _saved(visit: Visit | None, context: str) -> Any:
    assert visit is not None
    if not wants_fragment():
        resp = redirect(url_for("web.today", saved=visit.id), code=303)
        resp.vary.add("HX-Request")
        return resp
    if context != "today":
        resp = Response(status=204)
        resp.headers["HX-Redirect"] = url_for("web.today")
        resp.vary.add("HX-Request")
        return resp
    from ..services.today import today_context

    ctx = today_context(current_user)
    ctx.update(visit=visit, form_next=blank_form("today"))
    ctx.update(form_context(ctx["form_next"]))
    return render("visits/new.html", "visits/_saved.html", **ctx)


@bp.get("/visits/<visit_id>")
@login_required
def visit_page(visit_id: str) -> ResponseReturnValue:
    visit = access.get_or_404(current_user, Visit, visit_id)
    # The time of day too, in the company's time (the day a visit counts on).
    at = visit.visited_at.astimezone(company_tz(_company()))
    return render("visits/detail.html", visit=visit, kinds=dict(kind_labels()),
                  visited_local=at.strftime("%Y-%m-%d %H:%M"), visited_iso=at.isoformat())

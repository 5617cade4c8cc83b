"""Customers and leads: the list with search, the stage board, a customer's page (visit
history, next follow-up), moving a customer to another stage, and the admin's stages."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..extensions import db
from ..models import Customer, Role, Stage, User
from ..parsing import MAX_ID, parse_id, parse_int
from ..refusal import Refused, refuse
from ..services import customers as svc
from ..services.company import local_today
from . import bp, roles_required
from .render import render, wants_fragment


def _today() -> ResponseReturnValue:
    company = current_user.company
    return local_today(company)


def owner_filter() -> User | None:
    """`?user=<id>`: a manager looks at one rep's customers (404 outside their reach)."""
    raw = request.args.get("user", "")
    if not raw:
        return None
    return access.get_or_404(current_user, User, raw)  # a bad or huge id is a 404


@bp.get("/customers")
@login_required
def customers() -> ResponseReturnValue:
    owner = owner_filter()
    q = request.args.get("q", "")
    owner_id = owner.id if owner else None
    total = svc.count_customers(current_user, q, owner_id=owner_id)
    # ?offset= is where this page starts; ?first= the first row already on screen when
    # "more" appends a page to the list (so the count says "1-100 of 230").
    offset = min(parse_int(request.args.get("offset", "0"), 0, MAX_ID) or 0, total)
    first = parse_int(request.args.get("first", ""), 1, offset + 1) or offset + 1
    rows = svc.search_customers(current_user, q, owner_id=owner_id, offset=offset)
    last = offset + len(rows)
    args = {"q": q or None, "user": owner_id}
    page = {
        "first": first if rows else 0, "last": last, "total": total,
        "more": url_for("web.customers", **args, offset=last, first=first)
        if last < total else None,
        "more_page": url_for("web.customers", **args, offset=last) if last < total else None,
        "previous": url_for("web.customers", **args,
                            offset=max(0, offset - svc.PAGE_SIZE) or None) if offset else None,
    }
    more = wants_fragment() and request.headers.get("HX-Target") == "customer-more"
    resp = render("customers/list.html",
                  "customers/_row_items.html" if more else "customers/_rows.html",
                  rows=rows, q=q, owner=owner, today=_today(), pager=page, appending=more)
    resp.vary.add("HX-Target")
    return resp


@bp.get("/customers/board")
@login_required
def customer_board() -> ResponseReturnValue:
    owner = owner_filter()
    columns = svc.board(current_user, owner_id=owner.id if owner else None)
    return render("customers/board.html", "customers/_board.html", columns=columns,
                  owner=owner, today=_today(), errors={}, **_board_counts(owner))


def _board_counts(owner: User | None) -> dict[str, int]:
    """How many customers there are in all, so a board cut at svc.BOARD_MAX says so."""
    total = svc.count_customers(current_user, owner_id=owner.id if owner else None)
    return {"board_total": total, "board_max": svc.BOARD_MAX}


@bp.get("/customers/<int:customer_id>")
@login_required
def customer_page(customer_id: int) -> ResponseReturnValue:
    customer = access.get_or_404(current_user, Customer, customer_id)
    return render("customers/detail.html", customer=customer,
                  visits=svc.customer_visits(customer), today=_today(),
                  stages=svc.active_stages(customer.company_id))


@bp.post("/customers/<int:customer_id>/stage")
@login_required
def customer_move(customer_id: int) -> ResponseReturnValue:
    customer = access.get_or_404(current_user, Customer, customer_id)
    if customer.owner_id != current_user.id and current_user.role == Role.REP:
        abort(404)
    owner = owner_filter()  # a bad ?user= is a 404 before anything is written
    error = ""
    try:
        svc.move_stage(customer, request.form.get("stage", ""), _today())
    except Refused as e:
        db.session.rollback()
        error = e.message
    else:
        db.session.commit()
    status = 422 if error else 200
    if request.form.get("from") == "page":
        if error:
            flash(error, "error")
        return redirect(url_for("web.customer_page", customer_id=customer.id), code=303)
    columns = svc.board(current_user, owner_id=owner.id if owner else None)
    return render("customers/board.html", "customers/_board.html", status=status,
                  columns=columns, owner=owner, today=_today(),
                  errors={customer.id: error} if error else {}, **_board_counts(owner))


def _stage_action(company_id: int, action: str, stage: Stage | None) -> None:
    """One change of the admin's stages; Refused with the fields' messages."""
    form = request.form
    if action == "add":
        svc.add_stage(company_id, form.get("name", ""), form.get("name_en", ""))
    elif action == "rename" and stage is not None:
        svc.rename_stage(stage, form.get("name", ""), form.get("name_en", ""))
    elif action in ("up", "down") and stage is not None:
        svc.move_stage_order(stage, action)
    elif action in ("deactivate", "activate") and stage is not None:
        svc.set_stage_active(stage, action == "activate")
    else:
        refuse("stage", _("Unknown action."))


@bp.route("/stages", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def stages() -> ResponseReturnValue:
    company_id = current_user.unit.company_id
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        action = form.get("action", "")
        stage = None
        if action != "add":
            sid = parse_id(form.get("stage_id", ""))
            stage = db.session.get(Stage, sid) if sid is not None else None
            if stage is None or stage.company_id != company_id:
                abort(404)
        try:
            _stage_action(company_id, action, stage)
        except Refused as e:
            db.session.rollback()
            errors = e.fields or {"stage": e.message}
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("web.stages"), code=303)
    return render("customers/stages.html", stages=svc.all_stages(company_id), errors=errors,
                  form=form, status=422 if errors else 200,
                  target_id=form.get("stage_id", ""))

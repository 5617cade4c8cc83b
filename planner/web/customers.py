"""Customers and leads: the list with search, the stage board, a customer's page (visit
history, next follow-up), moving a customer to another stage, and the admin's stages."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..extensions import db
from ..models import Company, Customer, Role, Stage, User
from ..services import customers as svc
from ..services.company import local_today
from . import bp, roles_required
from .render import render


def _today():  # type: ignore[no-untyped-def]
    company = db.session.get(Company, current_user.unit.company_id)
    assert company is not None
    return local_today(company)


def owner_filter() -> User | None:
    """`?user=<id>`: a manager looks at one rep's customers (404 outside their reach)."""
    raw = request.args.get("user", "")
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return access.get_or_404(current_user, User, int(raw))


@bp.get("/customers")
@login_required
def customers():  # type: ignore[no-untyped-def]
    owner = owner_filter()
    q = request.args.get("q", "")
    rows = svc.search_customers(current_user, q, owner_id=owner.id if owner else None)
    return render("customers/list.html", "customers/_rows.html", rows=rows, q=q,
                  owner=owner, today=_today())


@bp.get("/customers/board")
@login_required
def customer_board():  # type: ignore[no-untyped-def]
    owner = owner_filter()
    columns = svc.board(current_user, owner_id=owner.id if owner else None)
    return render("customers/board.html", "customers/_board.html", columns=columns,
                  owner=owner, today=_today(), errors={})


@bp.get("/customers/<int:customer_id>")
@login_required
def customer_page(customer_id: int):  # type: ignore[no-untyped-def]
    customer = access.get_or_404(current_user, Customer, customer_id)
    return render("customers/detail.html", customer=customer,
                  visits=svc.customer_visits(customer), today=_today(),
                  stages=svc.active_stages(customer.company_id))


@bp.post("/customers/<int:customer_id>/stage")
@login_required
def customer_move(customer_id: int):  # type: ignore[no-untyped-def]
    customer = access.get_or_404(current_user, Customer, customer_id)
    if customer.owner_id != current_user.id and current_user.role == Role.REP:
        abort(404)
    error = svc.move_stage(customer, request.form.get("stage", ""), _today())
    status = 200
    if error:
        db.session.rollback()
        status = 422
    else:
        db.session.commit()
    if request.form.get("from") == "page":
        if error:
            flash(error, "error")
        return redirect(url_for("web.customer_page", customer_id=customer.id), code=303)
    owner = owner_filter()
    columns = svc.board(current_user, owner_id=owner.id if owner else None)
    return render("customers/board.html", "customers/_board.html", status=status,
                  columns=columns, owner=owner, today=_today(),
                  errors={customer.id: error} if error else {})


@bp.route("/stages", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def stages():  # type: ignore[no-untyped-def]
    company_id = current_user.unit.company_id
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        action = form.get("action", "")
        stage = None
        if action != "add":
            sid = form.get("stage_id", "")
            stage = db.session.get(Stage, int(sid)) if sid.isdigit() else None
            if stage is None or stage.company_id != company_id:
                abort(404)
        if action == "add":
            _s, errors = svc.add_stage(company_id, form.get("name", ""), form.get("name_en", ""))
        elif action == "rename" and stage is not None:
            errors = svc.rename_stage(stage, form.get("name", ""), form.get("name_en", ""))
        elif action in ("up", "down") and stage is not None:
            errors = svc.move_stage_order(stage, action)
        elif action in ("deactivate", "activate") and stage is not None:
            errors = svc.set_stage_active(stage, action == "activate")
        else:
            errors = {"stage": _("Unknown action.")}
        if not errors:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("web.stages"), code=303)
        db.session.rollback()
    return render("customers/stages.html", stages=svc.all_stages(company_id), errors=errors,
                  form=form, status=422 if errors else 200,
                  target_id=form.get("stage_id", ""))

"""The catalogue (product lines, channels, customer types: add, rename, reorder, retire)
and the metrics the company uses (administrators only)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...extensions import db
from ...parsing import parse_id
from ...refusal import Refused
from ...services.catalog import dimensions, metrics
from ..render import render
from . import ADMIN, actor, bp, found

DIMS = ("product_line", "channel", "customer_type")


def _company_id() -> int:
    return actor().unit.company_id


def _catalog_page(errors: dict[str, str], dim: str = "", entry: str = "",
                  status: int = 200) -> ResponseReturnValue:
    cid = _company_id()
    return render("admin/catalog.html", dims=DIMS,
                  entries={d: dimensions.entries(cid, d) for d in DIMS}, errors=errors,
                  err_dim=dim, err_entry=entry, form=request.form, status=status)


@bp.get("/admin/catalog")
@ADMIN
def catalog() -> ResponseReturnValue:
    return _catalog_page({})


@bp.post("/admin/catalog")
@ADMIN
def catalog_change() -> ResponseReturnValue:
    f = request.form
    dim, action = f.get("dim", ""), f.get("action", "")
    if dim not in DIMS:
        abort(404)
    me, cid = actor(), _company_id()
    entry = None
    if action != "add":
        entry = found(lambda: dimensions.get(cid, dim, parse_id(f.get("entry_id"))))
    try:
        if action == "add":
            dimensions.add(me, cid, dim, f.get("code"), f.get("name"), f.get("name_en"))
        elif action == "rename":
            dimensions.rename(me, dim, entry, f.get("name"), f.get("name_en"))
        elif action in ("up", "down"):
            dimensions.reorder(me, dim, entry, action)
        elif action in ("retire", "restore"):
            dimensions.set_active(me, dim, entry, action == "restore")
        else:
            raise Refused(_("Unknown action."), {"entry": _("Unknown action.")})
    except Refused as exc:
        db.session.rollback()
        return _catalog_page(exc.fields or {"entry": exc.message}, dim,
                             str(entry.id) if entry is not None else "", 422)
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.catalog") + f"#{dim}", code=303)


def _metrics_page(errors: dict[str, str], metric: str = "",
                  status: int = 200) -> ResponseReturnValue:
    rows = metrics.metrics(_company_id())
    return render("admin/metrics.html", rows=rows, errors=errors, err_metric=metric,
                  form=request.form, units=list(metrics.UNITS), status=status)


@bp.get("/admin/metrics")
@ADMIN
def metrics_page() -> ResponseReturnValue:
    return _metrics_page({})


@bp.post("/admin/metrics/<int:metric_id>")
@ADMIN
def metric_change(metric_id: int) -> ResponseReturnValue:
    me = actor()
    metric = found(lambda: metrics.get(_company_id(), metric_id))
    action = request.form.get("action", "")
    try:
        if action in ("use", "stop"):
            metrics.set_used(me, metric, action == "use")
        elif action == "save":
            metrics.update(me, metric, request.form)
        else:
            raise Refused(_("Unknown action."), {"active": _("Unknown action.")})
    except Refused as exc:
        db.session.rollback()
        return _metrics_page(exc.fields or {"active": exc.message}, str(metric.id), 422)
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.metrics_page") + f"#metric-{metric.id}", code=303)

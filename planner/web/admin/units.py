"""Regions and teams: the tree, adding a unit, and a unit's page (rename, move, close,
reopen). Managers see and change only the units below their own."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...extensions import db
from ...models import OrgUnit
from ...parsing import parse_id
from ...refusal import Refused
from ...services.org import people, scope, units
from ..render import render
from . import MANAGERS, actor, bp, found


def _tree_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    me = actor()
    tree = scope.units(me)
    return render("admin/units.html", tree=tree, depth=scope.depth, errors=errors,
                  form=request.form, parents=[u for u in tree if u.active],
                  status=status)


@bp.get("/admin/units")
@MANAGERS
def units_page() -> ResponseReturnValue:
    return _tree_page({})


@bp.post("/admin/units")
@MANAGERS
def unit_add() -> ResponseReturnValue:
    f = request.form
    try:
        unit = units.add_unit(actor(), parse_id(f.get("parent")), f.get("kind"),
                              f.get("code"), f.get("name"), f.get("name_en"))
    except Refused as exc:
        db.session.rollback()
        return _tree_page(exc.fields or {"code": exc.message}, 422)
    db.session.commit()
    flash(_("Unit added: %(name)s.", name=unit.name), "ok")
    return redirect(url_for("admin.units_page"), code=303)


def _unit_page(unit: OrgUnit, errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    me = actor()
    moves_to = [u for u in scope.units(me, active_only=True)
                if not u.path.startswith(unit.path) and u.kind.value != "team"]
    return render("admin/unit.html", unit=unit, errors=errors, form=request.form,
                  moves_to=moves_to, members=people.people(me, unit), depth=scope.depth,
                  may_change=scope.unit_in_reach(me, unit, strict=True), status=status)


@bp.get("/admin/units/<int:unit_id>")
@MANAGERS
def unit_page(unit_id: int) -> ResponseReturnValue:
    unit = found(lambda: scope.get_unit(actor(), unit_id))
    return _unit_page(unit, {})


@bp.post("/admin/units/<int:unit_id>")
@MANAGERS
def unit_change(unit_id: int) -> ResponseReturnValue:
    me = actor()
    unit = found(lambda: scope.get_unit(me, unit_id, strict=not scope.is_admin(me)))
    f = request.form
    action = f.get("action", "")
    try:
        if action == "rename":
            units.rename_unit(me, unit, f.get("name"), f.get("name_en"))
        elif action == "move":
            units.move_unit(me, unit, parse_id(f.get("parent")))
        elif action == "close":
            units.close_unit(me, unit)
        elif action == "reopen":
            units.reopen_unit(me, unit)
        else:
            raise Refused(_("Unknown action."), {"unit": _("Unknown action.")})
    except Refused as exc:
        db.session.rollback()
        db.session.refresh(unit)
        return _unit_page(unit, exc.fields or {"unit": exc.message}, 422)
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.unit_page", unit_id=unit.id), code=303)

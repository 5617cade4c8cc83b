"""The company calendar page (admins; managers and reps get 404)."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..extensions import db
from ..models import Company, Role
from ..services import calendar_admin as ca
from . import bp, roles_required
from .render import render


def _company() -> Company:
    company: Company = current_user.company
    return company


def _year() -> int:
    year = request.values.get("year", type=int) or date.today().year
    if not 1990 <= year <= 2100:
        abort(404)
    return year


def _page(year: int, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    view = ca.year_view(_company(), year)
    return render("calendar/index.html", "calendar/_body.html", status=status, cv=view,
                  error=error, form=request.form)


@bp.get("/calendar")
@roles_required(Role.ADMIN)
def calendar() -> ResponseReturnValue:
    return _page(_year())


@bp.post("/calendar")
@roles_required(Role.ADMIN)
def calendar_add() -> ResponseReturnValue:
    f = request.form
    try:
        o = ca.add_override(_company(), f.get("day"), f.get("kind"), f.get("note", ""),
                            current_user)
    except ca.CalendarError as exc:
        db.session.rollback()
        return _page(_year(), str(exc), 422)
    db.session.commit()
    return _page(o.day.year)


@bp.post("/calendar/<int:override_id>/delete")
@roles_required(Role.ADMIN)
def calendar_delete(override_id: int) -> ResponseReturnValue:
    year = _year()  # checked before anything is written
    if not ca.remove_override(_company(), override_id, current_user):
        db.session.rollback()
        abort(404)
    db.session.commit()
    return _page(year)

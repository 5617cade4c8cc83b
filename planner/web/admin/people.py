"""People: the list (a unit's subtree), adding a rep or a manager, a person's page
(details, role, invitation or password reset by link, deactivate, reactivate). A new
link is shown once, as text and as a QR code; it is never stored."""

from __future__ import annotations

from typing import Any

import segno
from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from ...extensions import db
from ...models import Role, User
from ...parsing import parse_id
from ...refusal import Refused
from ...services.org import invitations, people, scope
from ..render import render
from . import MANAGERS, actor, bp, found


def _unit_filter() -> Any:
    raw = request.args.get("unit")
    if not raw:
        return None
    return found(lambda: scope.get_unit(actor(), parse_id(raw)))


@bp.get("/admin/people")
@MANAGERS
def people_page() -> ResponseReturnValue:
    me = actor()
    unit = _unit_filter()
    rows = people.people(me, unit)
    waiting = invitations.pending([u.id for u in rows])
    return render("admin/people.html", rows=rows, unit=unit, units=scope.units(me),
                  waiting=waiting, has_password=invitations.has_password)


def _form_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    me = actor()
    return render("admin/person_new.html", errors=errors, form=request.form,
                  units=scope.units(me, active_only=True), managers=people.managers(me),
                  roles=_roles(me), status=status)


def _roles(me: User) -> list[str]:
    return ["rep", "manager", "admin"] if scope.is_admin(me) else ["rep", "manager"]


@bp.route("/admin/people/new", methods=["GET", "POST"])
@MANAGERS
def person_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _form_page({})
    me = actor()
    try:
        user = people.add_user(me, request.form)
        token = invitations.invite(me, user)
    except Refused as exc:
        db.session.rollback()
        return _form_page(exc.fields or {"username": exc.message}, 422)
    db.session.commit()
    return _person_page(user, {}, link=_link(token))


def _link(token: str) -> dict[str, Any]:
    url = url_for("admin.activate", token=token, _external=True)
    qr = segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True,
                                               title=_("Activation link"))
    return {"url": url, "qr": Markup(qr), "hours": invitations.hours()}


def _person_page(user: User, errors: dict[str, str], status: int = 200,
                 link: dict[str, Any] | None = None) -> ResponseReturnValue:
    me = actor()
    return render("admin/person.html", user=user, errors=errors, form=request.form,
                  managers=people.managers(me), roles=_roles(me), link=link,
                  waiting=bool(invitations.pending([user.id])),
                  has_password=invitations.has_password(user), status=status,
                  is_rep=user.role == Role.REP)


@bp.get("/admin/people/<int:user_id>")
@MANAGERS
def person_page(user_id: int) -> ResponseReturnValue:
    user = found(lambda: scope.get_user(actor(), user_id))
    return _person_page(user, {})


def _act(me: User, user: User, action: str) -> str | None:
    """One change; returns a new link's token for an invitation."""
    f = request.form
    if action == "edit":
        people.edit_user(me, user, f)
    elif action == "role":
        people.change_role(me, user, f.get("role"))
    elif action == "invite":
        return invitations.invite(me, user)
    elif action == "deactivate" and user.role != Role.REP:
        people.deactivate_user(me, user)
    elif action == "reactivate":
        people.reactivate_user(me, user)
    else:
        raise Refused(_("Unknown action."), {"user": _("Unknown action.")})
    return None


@bp.post("/admin/people/<int:user_id>")
@MANAGERS
def person_change(user_id: int) -> ResponseReturnValue:
    me = actor()
    user = found(lambda: scope.get_user(me, user_id))
    try:
        token = _act(me, user, request.form.get("action", ""))
    except Refused as exc:
        db.session.rollback()
        db.session.refresh(user)
        return _person_page(user, exc.fields or {"user": exc.message}, 422)
    db.session.commit()
    if token is not None:
        return _person_page(user, {}, link=_link(token))
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.person_page", user_id=user.id), code=303)

"""The activation page: a one-time link lets a person set their password (on their own
phone) and logs them in. An expired, used or unknown link says so."""

from __future__ import annotations

from flask import redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from ...extensions import db
from ...refusal import Refused
from ...services.org import LinkProblem, invitations
from . import bp

STATUS = {"unknown": 404, "used": 410, "expired": 410}


def _page(token: str, errors: dict[str, str], status: int) -> ResponseReturnValue:
    try:
        inv = invitations.find(token)
    except LinkProblem as exc:
        return render_template("admin/activate.html", problem=exc.message, user=None,
                               errors={}), STATUS[exc.code]
    return render_template("admin/activate.html", problem=None, user=inv.user,
                           errors=errors), status


@bp.get("/activate/<token>")
def activate(token: str) -> ResponseReturnValue:
    resp = _page(token, {}, 200)
    db.session.rollback()
    return resp


@bp.post("/activate/<token>")
def activate_post(token: str) -> ResponseReturnValue:
    try:
        user = invitations.activate(token, request.form.get("password"),
                                    request.form.get("password2"))
    except LinkProblem:
        db.session.rollback()
        return _page(token, {}, 404)
    except Refused as exc:
        db.session.rollback()
        return _page(token, exc.fields or {"password": exc.message}, 422)
    db.session.commit()
    from ...auth import home_url

    logout_user()
    lang = session.get("lang")
    session.clear()  # a new session
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = True
    return redirect(home_url(user), code=303)

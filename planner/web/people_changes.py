"""People change during the year (/changes): a rep leaves, joins mid-year or moves
team; a manager is replaced. Each is a form, a preview (nothing written) and an apply.
The administrator acts on anybody of the company, a manager on the people inside their
own unit (anybody else: 404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..access import visible_units, visible_users
from ..extensions import db
from ..models import OrgUnit, Role, UnitKind, User
from ..refusal import Refused
from ..services import people_changes as pc
from . import bp as web_bp
from . import roles_required
from .render import render

bp = Blueprint("changes", __name__, url_prefix="/changes")
# A blueprint of its own (endpoints "changes.*"), registered with the pages' one.
web_bp.record_once(lambda state: state.app.register_blueprint(bp))
STAFF = (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Flow:
    title: Any
    preview: Callable[..., Any]
    apply: Callable[..., Any]
    done: Any


FLOWS = {
    "leave": Flow(_l("A rep leaves"), pc.preview_leave, pc.apply_leave,
                  _l("%(name)s has left; their targets and customers were handed over.")),
    "join": Flow(_l("A rep joins"), pc.preview_join, pc.apply_join,
                 _l("%(name)s has their share of the team's target.")),
    "move": Flow(_l("A rep moves team"), pc.preview_move, pc.apply_move,
                 _l("%(name)s has moved team.")),
    "manager": Flow(_l("A manager is replaced"), pc.preview_manager_change,
                    pc.apply_manager_change, _l("%(name)s has been replaced.")),
}


def _people(roles: tuple[Role, ...]) -> list[User]:
    """The active people of the given roles the current user may act on."""
    return [u for u in db.session.scalars(
        select(User).where(User.id.in_(visible_users(current_user)), User.role.in_(roles),
                           User.active.is_(True), User.id != current_user.id)
        .order_by(User.unit_id, User.display_name))]


@bp.get("/")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        OrgUnit.id.in_(visible_units(current_user))))}
    return render("changes/index.html", reps=_people((Role.REP,)),
                  managers=_people((Role.MANAGER,)), units=units)


def _subject(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    try:
        pc.check_actor(current_user, person)
    except LookupError:
        abort(404)
    return person


def _choices(flow: str, person: User) -> dict[str, Any]:
    """What the form offers (people, teams, metrics), by flow."""
    if flow == "leave":
        return {"successors": [u for u in _people((Role.REP,)) if u.id != person.id],
                "manager": pc.manager_of(person)}
    if flow == "join":
        metrics, free = pc.join_metrics(person)
        return {"metrics": metrics, "free": free}
    if flow == "move":
        teams = db.session.scalars(select(OrgUnit).where(
            OrgUnit.id.in_(visible_units(current_user)), OrgUnit.kind == UnitKind.TEAM,
            OrgUnit.id != person.unit_id).order_by(OrgUnit.sort, OrgUnit.id))
        return {"teams": list(teams)}
    return {"successors": [u for u in _people((Role.REP, Role.MANAGER))
                           if u.id != person.id]}


def _page(flow: str, person: User, status: int = 200, **ctx: Any) -> ResponseReturnValue:
    return render("changes/flow.html", status=status, flow=flow, info=FLOWS[flow],
                  person=person, form=ctx.pop("form", {}), errors=ctx.pop("errors", {}),
                  **_choices(flow, person), **ctx)


def _form(flow: str, user_id: int) -> ResponseReturnValue:
    return _page(flow, _subject(user_id))


def _post(flow: str, user_id: int, step: str) -> ResponseReturnValue:
    if step not in ("preview", "apply"):
        abort(404)
    person = _subject(user_id)
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    info = FLOWS[flow]
    name = person.display_name
    try:
        plan = (info.preview if step == "preview" else info.apply)(current_user, person, form)
    except Refused as exc:
        db.session.rollback()
        return _page(flow, person, 422, form=form, errors=exc.fields, error=exc.message)
    if step == "preview":
        db.session.rollback()  # a preview never writes
        return _page(flow, person, form=form, plan=plan)
    db.session.commit()
    flash(str(info.done) % {"name": name})
    return redirect(url_for("changes.index"))


@bp.get("/<int:user_id>/leave")
@roles_required(*STAFF)
def leave(user_id: int) -> ResponseReturnValue:
    return _form("leave", user_id)


@bp.post("/<int:user_id>/leave/<step>")
@roles_required(*STAFF)
def leave_post(user_id: int, step: str) -> ResponseReturnValue:
    return _post("leave", user_id, step)


@bp.get("/<int:user_id>/join")
@roles_required(*STAFF)
def join(user_id: int) -> ResponseReturnValue:
    return _form("join", user_id)


@bp.post("/<int:user_id>/join/<step>")
@roles_required(*STAFF)
def join_post(user_id: int, step: str) -> ResponseReturnValue:
    return _post("join", user_id, step)


@bp.get("/<int:user_id>/move")
@roles_required(*STAFF)
def move(user_id: int) -> ResponseReturnValue:
    return _form("move", user_id)


@bp.post("/<int:user_id>/move/<step>")
@roles_required(*STAFF)
def move_post(user_id: int, step: str) -> ResponseReturnValue:
    return _post("move", user_id, step)


@bp.get("/<int:user_id>/manager")
@roles_required(*STAFF)
def manager(user_id: int) -> ResponseReturnValue:
    return _form("manager", user_id)


@bp.post("/<int:user_id>/manager/<step>")
@roles_required(*STAFF)
def manager_post(user_id: int, step: str) -> ResponseReturnValue:
    return _post("manager", user_id, step)


"""Whose figures tracking shows (a Scope: the company, a region or team, or a rep),
checked against what the viewer may see, and the scope's reps (kept in SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from ...access import can_see_unit, can_see_user
from ...extensions import db
from ...models import OrgUnit, Role, UnitKind, User
from ...refusal import NotFound
from ..membership import Members
from ..membership import members as unit_members


@dataclass(frozen=True)
class Scope:
    """Whose figures: the company (its root unit), a region or team (a unit), or a rep
    (by `user`, or by `rep_id` alone where loading 2,000 users would be waste)."""

    kind: str  # company | region | team | rep
    unit: OrgUnit | None = None
    user: User | None = None
    rep_id: int | None = None

    @property
    def args(self) -> dict[str, int]:
        if self.kind == "rep":
            return {"rep": self.user.id if self.user is not None else int(self.rep_id or 0)}
        assert self.unit is not None
        return {"unit": self.unit.id}

    @property
    def obj(self) -> Any:
        return self.user if self.user is not None else self.unit


def unit_scope(unit: OrgUnit) -> Scope:
    return Scope(str(unit.kind), unit=unit)


def top_scope(viewer: User) -> Scope:
    """Where a viewer's tracking starts: a rep their own, a manager their unit, a
    director the company."""
    if viewer.role == Role.REP:
        return Scope("rep", user=viewer)
    if viewer.role == Role.ADMIN:
        root = db.session.scalar(select(OrgUnit).where(
            OrgUnit.company_id == viewer.unit.company_id, OrgUnit.kind == UnitKind.COMPANY))
        if root is not None:
            return unit_scope(root)
    return unit_scope(viewer.unit)


def resolve_scope(viewer: User, unit_id: int | None, rep_id: int | None) -> Scope:
    """The scope asked for, if the viewer may see it (else NotFound); default: top_scope."""
    if rep_id is not None:
        user = db.session.get(User, rep_id)
        if user is None or user.role != Role.REP or not can_see_user(viewer, user.id):
            raise NotFound("No such unit or rep.")
        if viewer.role == Role.REP and user.id != viewer.id:
            raise NotFound("No such unit or rep.")
        return Scope("rep", user=user)
    if unit_id is not None:
        if viewer.role == Role.REP:
            raise NotFound("No such unit or rep.")
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None or not can_see_unit(viewer, unit.id):
            raise NotFound("No such unit or rep.")
        return unit_scope(unit)
    return top_scope(viewer)


def breadcrumbs(viewer: User, scope: Scope) -> list[Scope]:
    """From the viewer's top scope down to `scope` (each one tap back up)."""
    top = top_scope(viewer)
    if scope.user is not None:
        if top.user is not None:
            return [scope]
        unit: OrgUnit | None = scope.user.unit
        tail = [scope]
    else:
        unit = scope.unit
        tail = []
    chain: list[Scope] = []
    ids = [int(x) for x in (unit.path if unit else "/").strip("/").split("/") if x]
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    top_path = top.unit.path if top.unit is not None else "/"
    for uid in ids:
        u = units.get(uid)
        if u is not None and u.path.startswith(top_path):
            chain.append(unit_scope(u))
    return chain + tail


@dataclass
class Rep:
    id: int
    unit_id: int
    name: str
    path: str  # the unit's path


def reps_in(scope: Scope) -> list[Rep]:
    """Every rep (active or not: their targets and visits still count) in the scope."""
    stmt = (select(User.id, User.unit_id, User.display_name, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == User.unit_id).where(User.role == Role.REP))
    moved: dict[int, tuple[int, str]] = {}
    if scope.user is not None:
        stmt = stmt.where(User.id == scope.user.id)
    else:  # who was in the unit at some time; a moved rep under their unit in it
        mem = members_of(scope)
        stmt, moved = stmt.where(mem.ever(User.id)), mem.last_unit()
    out = []
    for i, u, n, p in core_rows(stmt.order_by(User.unit_id, User.username)):
        unit, path = moved.get(i, (u, p))
        out.append(Rep(i, unit, n, path))
    return out


def members_of(scope: Scope) -> Members:
    """The scope's reps over time (membership dates: membership)."""
    assert scope.unit is not None
    return unit_members(scope.unit.company_id,
                        None if scope.kind == "company" else scope.unit.path)


def on_date(scope: Scope, user_col: Any, date_col: Any, mem: Members | None) -> Any:
    """The condition: the record's rep was in the scope on the record's day."""
    if mem is None:
        assert scope.user is not None
        return user_col == scope.user.id
    return mem.on_date(user_col, date_col)


def user_ids(scope: Scope) -> Select[int]:
    """A SELECT of the scope's rep ids (kept in SQL, never a long literal list)."""
    if scope.user is not None:
        return select(User.id).where(User.id == scope.user.id)
    assert scope.unit is not None
    stmt = select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id).where(
        User.role == Role.REP, OrgUnit.company_id == scope.unit.company_id)
    if scope.kind != "company":
        stmt = stmt.where(OrgUnit.path.startswith(scope.unit.path))
    return stmt


def core_rows(stmt: Any) -> Any:
    """Run a SELECT of columns on the session's connection: plain rows, none of the ORM's
    per-row processing (14,000 target rows of the 2,000-rep company's year: ~25 ms)."""
    return db.session.connection().execute(stmt)

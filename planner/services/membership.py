"""Who belonged to which unit on which day: writing the history, and the one query
tracking uses to count a visit (or a first win, or a target) for the unit the rep was
in on that day.

A user with no membership rows belongs to their current unit for all time (everybody
who never moved, the demo, people added by the people pages). The first move writes the
whole history: the old unit until the day before, the new one from the day. So a unit's
members are (a) the users now in its subtree who have no rows, plus (b) the spans of
the rows in its subtree. (b) is short (only moved people have rows) and is read once per
page, in Python; when it is empty the condition is the plain "rep now in the unit" one
tracking always had, so a company where nobody moved pays nothing but a NOT EXISTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import OrgUnit, Role, UnitMembership, User

Span = tuple[int, int, str, date | None, date | None]  # user, unit, unit path, start, end


def _plain(company_id: int, path: str | None) -> Select[Any]:
    """The reps now in the subtree (all the company's with `path` None) who never moved."""
    moved = select(UnitMembership.id).where(UnitMembership.user_id == User.id).exists()
    stmt = select(User.id).join(OrgUnit, OrgUnit.id == User.unit_id).where(
        User.role == Role.REP, OrgUnit.company_id == company_id, ~moved)
    if path is not None:
        stmt = stmt.where(OrgUnit.path.startswith(path))
    return stmt


@dataclass
class Members:
    """The reps of a unit's subtree over time (see the module's docstring)."""

    plain: Select[Any]
    spans: list[Span]  # merged: contiguous spans of one user in the subtree are one

    @property
    def span_users(self) -> list[int]:
        return sorted({s[0] for s in self.spans})

    def ever(self, col: Any) -> Any:
        """The condition on a user id column: a member at some time."""
        if not self.spans:
            return col.in_(self.plain)
        return or_(col.in_(self.plain), col.in_(self.span_users))

    def on_date(self, user_col: Any, date_col: Any) -> Any:
        """The condition "the user was a member on that day" (a visit's, a first win's)."""
        if not self.spans:
            return user_col.in_(self.plain)
        whole = [u for u, _unit, _p, s, e in self.spans if s is None and e is None]
        terms = [user_col.in_(self.plain)]
        if whole:
            terms.append(user_col.in_(whole))
        for u, _unit, _p, s, e in self.spans:
            if s is None and e is None:
                continue
            cond = [user_col == u]
            if s is not None:
                cond.append(date_col >= s)
            if e is not None:
                cond.append(date_col <= e)
            terms.append(and_(*cond))
        return or_(*terms)

    def targets(self, user_col: Any, unit_col: Any, path: str | None) -> Any:
        """The condition on a rep's target: a never-moved member's, or a moved one's
        target made in a unit of the subtree (a move leaves the past months in the old
        team's target and makes one in the new team)."""
        if not self.spans:
            return user_col.in_(self.plain)
        units = select(OrgUnit.id).where(OrgUnit.path.startswith(path)) \
            if path is not None else None
        moved = user_col.in_(self.span_users)
        if units is not None:
            moved = and_(moved, unit_col.in_(units))
        return or_(user_col.in_(self.plain), moved)

    def last_unit(self) -> dict[int, tuple[int, str]]:
        """{moved user: (unit, path) of their latest span in the subtree}."""
        out: dict[int, tuple[int, str]] = {}
        for u, unit, path, _s, _e in self.spans:
            out[u] = (unit, path)
        return out


def members(company_id: int, path: str | None) -> Members:
    """The members of the unit at `path` (None: the whole company)."""
    stmt = (select(UnitMembership.user_id, UnitMembership.unit_id, OrgUnit.path,
                   UnitMembership.start, UnitMembership.end)
            .join(OrgUnit, OrgUnit.id == UnitMembership.unit_id)
            .join(User, User.id == UnitMembership.user_id)
            .where(OrgUnit.company_id == company_id, User.role == Role.REP)
            .order_by(UnitMembership.user_id, UnitMembership.start.is_not(None),
                      UnitMembership.start))
    if path is not None:
        stmt = stmt.where(OrgUnit.path.startswith(path))
    spans: list[Span] = []
    for u, unit, p, s, e in db.session.execute(stmt).all():
        last = spans[-1] if spans else None
        if last is not None and last[0] == u and last[4] is not None \
                and s is not None and last[4] + timedelta(days=1) == s:
            spans[-1] = (u, unit, p, last[3], e)
        else:
            spans.append((u, unit, p, s, e))
    return Members(_plain(company_id, path), spans)


def unit_on(user_id: int, day: date) -> int | None:
    """The unit `user_id` belonged to on `day` (their current one if they never moved)."""
    row = db.session.scalar(select(UnitMembership.unit_id).where(
        UnitMembership.user_id == user_id,
        or_(UnitMembership.start.is_(None), UnitMembership.start <= day),
        or_(UnitMembership.end.is_(None), UnitMembership.end >= day)))
    if row is not None:
        return int(row)
    if db.session.scalar(select(UnitMembership.id).where(
            UnitMembership.user_id == user_id).limit(1)) is not None:
        return None
    return db.session.scalar(select(User.unit_id).where(User.id == user_id))


def record_move(user: User, unit: OrgUnit, day: date) -> None:
    """Write the move of `user` to `unit` from `day` into the history (the caller audits
    it and commits); `User.unit_id` follows."""
    rows = list(db.session.scalars(select(UnitMembership).where(
        UnitMembership.user_id == user.id).order_by(UnitMembership.id)))
    if not rows:
        db.session.add(UnitMembership(user_id=user.id, unit_id=user.unit_id, start=None,
                                      end=day - timedelta(days=1)))
    else:
        for r in rows:
            if r.end is None or r.end >= day:
                if r.start is not None and r.start >= day:
                    db.session.delete(r)  # a move of the same day replaces it
                else:
                    r.end = day - timedelta(days=1)
    db.session.add(UnitMembership(user_id=user.id, unit_id=unit.id, start=day, end=None))
    user.unit_id = unit.id
    db.session.flush()
    db.session.expire(user, ["unit"])


def unit_on_date(user_col: Any, date_col: Any, current_unit_col: Any) -> Any:
    """SQL: the unit of the user on the day (a correlated lookup in the short history;
    the current unit when the user never moved): GROUP BY it to sum visits or first
    wins by the unit the rep was in on their day."""
    m = aliased(UnitMembership)
    return func.coalesce(select(m.unit_id).where(
        m.user_id == user_col, or_(m.start.is_(None), m.start <= date_col),
        or_(m.end.is_(None), m.end >= date_col)).limit(1).scalar_subquery(),
        current_unit_col)

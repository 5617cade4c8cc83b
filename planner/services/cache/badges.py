"""Today's badge values: what the base template shows beside the page's own data, declared
once. The context processors hand these values to every page (web/__init__.py), and
Today's page-cache key carries them (page.PageQuery), so the two cannot drift apart:

- the bell's unread reminders (they fall due with time, without a write);
- the reviews waiting for the viewer's decision (other users' writes move them; a rep: 0);
- the company's timezone and today (the offline layer's day), with the page's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select

from ...extensions import db
from ...models import Company, OrgUnit, Role, User
from .. import reminders
from ..company import today_in, zone
from ..reviews import waiting_query
from .page import PageQuery


@dataclass(frozen=True)
class Badges:
    bell_unread: int
    reviews_waiting: int
    tz: str  # the company's timezone
    day: str  # the company's today (ISO)


def queries(user: User) -> list[Select[Any]]:
    """The badges' scalar SELECTs, in Badges' order (bind parameters: `params`)."""
    return [reminders.unread_query(bindparam("user_id"), bindparam("now")),
            waiting_query(user)]


def params(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "now": reminders.utcnow()}


def from_row(tz: str | None, values: Sequence[Any]) -> Badges:
    zone_ = zone(tz)
    return Badges(int(values[0] or 0), int(values[1] or 0), str(zone_),
                  today_in(tz).isoformat())


def values(user: User) -> Badges:
    """The badges of `user`, in one query."""
    tz = (select(Company.timezone).join(OrgUnit, OrgUnit.company_id == Company.id)
          .where(OrgUnit.id == user.unit_id).scalar_subquery())
    row = db.session.execute(select(*(q.scalar_subquery() for q in queries(user)), tz),
                             params(user)).one()
    return from_row(row[-1], row[:-1])


_TODAY: list[PageQuery] = []


def today_query(user: User) -> PageQuery:
    """Today's page query with the badges as key values (a rep's built once)."""
    if user.role != Role.REP:
        return PageQuery("today", queries(user))
    if not _TODAY:
        _TODAY.append(PageQuery("today", queries(user)))
    return _TODAY[0]

"""The in-app inbox (the bell): queueing a reminder for a user (the one way any feature
asks for a notification), the unread count, the list, marking read.

A reminder is a row of `reminder` with a unique `dedupe_key` (user, kind and the day or
week it is about), so asking twice, from two workers or two requests, makes one row.
The dispatcher (services.reminders) pushes due rows to the user's devices; the bell
lists them whether or not a push went out. The payload is already worded in the
recipient's language: {"title": ..., "body": ..., "url": ...}.

The caller commits (the entry point owns the transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.expression import UpdateBase

from ...extensions import db
from ...models import Reminder, ReminderStatus
from .preferences import utcnow


def dedupe_key(user_id: int, kind: str, when: str) -> str:
    """The unique key of a reminder: one per user, kind and day (or week, or review)."""
    return f"{user_id}:{kind}:{when}"


def enqueue(
    user_id: int,
    kind: str,
    when: str,
    due_at: datetime,
    *,
    title: str,
    body: str,
    url: str,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Add the reminder unless one with the same (user, kind, when) exists.
    Returns True when a row was inserted. `due_at` must be timezone-aware."""
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    payload: dict[str, Any] = {"title": title, "body": body, "url": url, "kind": kind}
    if extra:
        payload.update(extra)
    values = {
        "user_id": user_id,
        "kind": kind,
        "dedupe_key": dedupe_key(user_id, kind, when),
        "due_at": due_at,
        "payload": payload,
        "status": ReminderStatus.PENDING,
        "attempts": 0,
    }
    dialect = db.session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    stmt = (
        insert(Reminder.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Reminder.__table__.c.id)
    )
    # RETURNING gives a row only when one was inserted (rowcount is not reliable for
    # ON CONFLICT DO NOTHING through every driver).
    return db.session.execute(stmt).first() is not None


def _rowcount(stmt: UpdateBase) -> int:
    """Run an UPDATE or DELETE; the rows it matched. (The session types every result as
    a Result; a DML statement's is a CursorResult, which has the count.)"""
    return cast("CursorResult[Any]", db.session.execute(stmt)).rowcount or 0




def unread_query(user_id: Any, now: Any = None) -> Select[Any]:
    """SELECT the number of the user's unread due reminders (the bell's count); the
    arguments may be bind parameters (a statement built once)."""
    if now is None:
        now = utcnow()
    return select(func.count(Reminder.id)).where(
        Reminder.user_id == user_id, Reminder.due_at <= now, Reminder.read_at.is_(None),
        Reminder.status != ReminderStatus.CANCELLED)


def unread_count(user_id: int, now: datetime | None = None) -> int:
    return int(db.session.scalar(unread_query(user_id, now)) or 0)


def inbox(user_id: int, limit: int = 50, now: datetime | None = None) -> list[Reminder]:
    """The bell's list: due reminders of any kind, newest first (pushed or not)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Reminder).where(Reminder.user_id == user_id, Reminder.due_at <= now,
                               Reminder.status != ReminderStatus.CANCELLED)
        .order_by(Reminder.due_at.desc(), Reminder.id.desc()).limit(limit)))


def mark_read(user_id: int, reminder_id: int | None = None,
              now: datetime | None = None) -> int:
    """Mark one (or every) due reminder of the user read; the caller commits."""
    now = now or utcnow()
    stmt = update(Reminder).where(Reminder.user_id == user_id, Reminder.read_at.is_(None),
                                  Reminder.due_at <= now)
    if reminder_id is not None:
        stmt = stmt.where(Reminder.id == reminder_id)
    return _rowcount(stmt.values(read_at=now).execution_options(synchronize_session=False))


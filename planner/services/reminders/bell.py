"""Queueing a reminder for a user: the one way any feature asks for a notification.

A reminder is a row of `reminder` with a unique `dedupe_key` (user, kind and the day or
week it is about), so asking twice, from two workers or two requests, makes one row.
The dispatcher (services.reminders) pushes due rows to the user's devices; the bell
lists them whether or not a push went out. The payload is already worded in the
recipient's language: {"title": ..., "body": ..., "url": ...}.

The caller commits (the entry point owns the transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...models import Reminder, ReminderStatus


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

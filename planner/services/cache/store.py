"""Storing a cached copy: in a short transaction of its own, only while serving a read.

A write request may hold the database's write lock (SQLite) or row locks (PostgreSQL)
that a second connection would wait for: it does not store (the next GET does). A read's
own snapshot stays a reader's. A store that fails costs the next request a render.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable

from ...extensions import db
from .changes import session_wrote

log = logging.getLogger(__name__)


def short_locks(conn: Connection) -> None:
    """PostgreSQL: a cache write never waits long for a lock (it is only a cache)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL lock_timeout = '2s'"))


def store_apart(what: str, statements: Sequence[tuple[Executable, dict[str, Any]]]) -> None:
    """Run `statements` in a transaction of their own, if this request has written
    nothing (see the module's note); `what` names the cache in the log."""
    from ...db import write_intent

    if write_intent.get() or session_wrote():
        return
    token = write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            short_locks(conn)
            for stmt, params in statements:
                conn.execute(stmt, params)
    except SQLAlchemyError as exc:  # pragma: no cover - the next request computes again
        log.warning("%s cache store failed: %s", what, exc)
    finally:
        write_intent.reset(token)

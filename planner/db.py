"""Database engine settings: SQLite in WAL mode with immediate write transactions."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000

# False while serving a request that only reads (GET, HEAD, OPTIONS): its transactions
# start deferred, so readers never queue behind a writer (WAL lets them read a snapshot).
write_intent: ContextVar[bool] = ContextVar("planner_write_intent", default=True)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_planner_configured", False):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock at the start, so a transaction that reads and
        # then writes waits (busy_timeout) instead of failing with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")

    engine._planner_configured = True  # type: ignore[attr-defined]
    engine.dispose()  # connections made before the listeners existed are dropped


def init_app(app: Any) -> None:
    """Mark read-only requests so their SQLite transactions start deferred."""
    from flask import g, request

    @app.before_request
    def _reads_only() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            g._planner_write_token = write_intent.set(False)

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("_planner_write_token", None)
        if token is not None:
            write_intent.reset(token)

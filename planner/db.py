"""Database engine settings: SQLite in WAL mode with immediate write transactions; on every
database, text that cannot be stored is refused before it reaches the driver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .parsing import unstorable

SQLITE_BUSY_TIMEOUT_MS = 15_000


class UnstorableText(Exception):
    """A text parameter held a NUL byte or a lone surrogate. PostgreSQL refuses the first,
    every driver the second (each with its own error, a 500); SQLite would store a NUL.
    Raised before the statement runs, on every database alike: the request answers 400."""


def _refuse_unstorable(params: Any) -> None:
    stack = [params]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if unstorable(v):
                raise UnstorableText()
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list | tuple):
            stack.extend(v)

# False while serving a request that only reads (GET, HEAD, OPTIONS): its transactions
# start deferred, so readers never queue behind a writer (WAL lets them read a snapshot).
write_intent: ContextVar[bool] = ContextVar("planner_write_intent", default=True)


def configure_engine(engine: Engine) -> None:
    if getattr(engine, "_planner_configured", False):
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(_conn: Any, _cursor: Any, _statement: str, parameters: Any,
                        _context: Any, _executemany: bool) -> None:
        _refuse_unstorable(parameters)

    engine._planner_configured = True  # type: ignore[attr-defined]
    if engine.dialect.name != "sqlite":
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

    engine.dispose()  # connections made before the listeners existed are dropped


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside start deferred on SQLite (they take no write lock); for
    the reads a POST makes before slow work, such as the login's password check."""
    token = write_intent.set(False)
    try:
        yield
    finally:
        write_intent.reset(token)


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


ANALYSIS_LIMIT = 1000  # rows SQLite samples per index when refreshing its statistics


def refresh_statistics(conn: Any) -> None:
    """Refresh SQLite's query-planner statistics (sqlite_stat1) on a connection, sampling
    at most ANALYSIS_LIMIT rows per index (~6 ms on the 2,000-rep company). Without them
    SQLite guesses, and on the large company it guessed a rep's month targets through an
    index that reads every target of the year (10 ms instead of 0.1 ms). Run after bulk
    writes (a decomposition, the demo) and hourly by the reminder worker. PostgreSQL keeps
    its own statistics (autovacuum): nothing to do there."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    conn.exec_driver_sql("ANALYZE")


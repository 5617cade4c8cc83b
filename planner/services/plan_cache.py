"""The rep's plan, computed once per change instead of once per request.

`cached_rep_plan(user)` answers from `plan_cache` when the row's key matches the current
key, else computes `plan.rep_plan` and stores it. The key is what the plan depends on:
the code version, the day, and two change counters in `plan_stamp`:

- "*" moves on every write to a table that can move any rep's plan (targets and their
  cells, the calendar, metrics, fiscal years, companies, imported actuals), whether the
  ORM or a Core statement (the bulk decomposition) wrote it, and when a user is added,
  removed, or changes unit, role or active (the team page's sums);
- "u:<id>" moves when that rep's visits or customers change (the actuals: visits,
  amounts, first wins). A Core statement on those tables moves "*" (conservative).

The counters move inside the writing transaction (so a plan computed from data before
the write is never stored under a key after it), and the table is shared by every app
worker, so the cache is right across workers. Reads never wait: a cache miss is stored
in a short transaction of its own, and a failed store only costs the next request a
recomputation.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Update, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from .. import engine
from ..extensions import db
from ..models import (
    Customer,
    DailyPlan,
    DailyPlanItem,
    FiscalYear,
    Metric,
    PlanCache,
    PlanStamp,
    SummaryCache,
    User,
    Visit,
)
from .company import local_today
from .rep_plan import MetricPlan, RepPlan, rep_plan

log = logging.getLogger(__name__)

# Bump when what is cached changes shape or meaning (the key carries it).
CODE_VERSION = 1
GLOBAL = "*"
GLOBAL_TABLES = frozenset({"target", "target_cell", "calendar_override", "metric",
                           "fiscal_year", "company", "monthly_actual"})
REP_TABLES = frozenset({"visit", "customer"})
# The rendered pages (services/page_cache.py) also show what the plan does not depend
# on: daily plans, names of units and stages, the user's own row... A write to any table
# moves a page counter unless the table is listed here as shown by no cached page (or
# shown by value in the page's key, like the unread reminders):
# "p:<id>" when the written row names its user (a user_id column, a user, a daily plan's
# item), else "p*" (every cached page).
PAGE = "p*"
PAGE_IGNORE = frozenset({"plan_stamp", "plan_cache", "summary_cache", "audit_log",
                         "login_failure", "push_subscription", "reminder",
                         "reminder_preference", "stage_move", "visit_product"})
_BUMPED = "planner_plan_bumped"  # connection.info: scopes already moved this transaction
_ORM_FLUSH = "planner_orm_flush"

_BUMP = text("INSERT INTO plan_stamp (scope, n) VALUES (:scope, 1) "
             "ON CONFLICT (scope) DO UPDATE SET n = plan_stamp.n + 1")


def _bump(conn: Connection, scopes: set[str]) -> None:
    done: set[str] = conn.info.setdefault(_BUMPED, set())
    for scope in sorted(scopes - done):
        conn.execute(_BUMP, {"scope": scope})
        done.add(scope)


# Who is a rep of which unit: the team page's sums move with these user columns.
_USER_SET = re.compile(r"\bSET\b.*\b(unit_id|role|active)\s*=", re.S | re.I)


_WROTE = "planner_wrote"  # connection.info: this transaction has written something


def _after_execute(conn: Connection, clause: Any, *_args: Any) -> None:
    if not isinstance(clause, UpdateBase):
        return
    conn.info[_WROTE] = True
    table = getattr(getattr(clause, "table", None), "name", None)
    orm = conn.info.get(_ORM_FLUSH)
    if table in GLOBAL_TABLES or (table in REP_TABLES and not orm):
        _bump(conn, {GLOBAL})
    elif table == "user_account" and (not isinstance(clause, Update)
                                      or _USER_SET.search(str(clause))):
        _bump(conn, {GLOBAL})
    elif not orm and table not in PAGE_IGNORE and table in db.metadata.tables:
        # A Core statement on any other table of the app: every cached page.
        _bump(conn, {PAGE})


def _end_transaction(conn: Connection) -> None:
    conn.info.pop(_BUMPED, None)
    conn.info.pop(_WROTE, None)
    conn.info.pop(_ORM_FLUSH, None)  # a flush that failed never reached after_flush


def _session_wrote() -> bool:
    """Has the request's own transaction written anything (not committed yet)? Then a
    second connection could wait for its locks: the cache is not stored."""
    s = db.session()
    if s.new or s.dirty or s.deleted:
        return True
    return bool(s.in_transaction() and s.connection().info.get(_WROTE))


def _before_flush(session: Session, *_args: Any) -> None:
    session.connection().info[_ORM_FLUSH] = True


def _ids(obj: Any, attr: str) -> set[Any]:
    """The object's value of `attr`, and the value it had before this flush."""
    ids = {getattr(obj, attr)}
    ids.update(db.inspect(obj).attrs[attr].history.deleted or ())
    return ids


def _plan_owners(conn: Connection, plan_ids: set[Any]) -> set[str]:
    """The page scopes of the daily plans whose items were written (one query per 500
    plans, however many items the flush wrote)."""
    ids = sorted(plan_ids - {None})
    found: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        found.update(conn.execute(select(DailyPlan.id, DailyPlan.user_id)
                                  .where(DailyPlan.id.in_(ids[i:i + 500]))).all())
    if None in plan_ids or len(found) < len(ids):  # a plan deleted in this flush
        return {PAGE}
    return {f"p:{uid}" for uid in found.values()}


def _page_scopes(obj: Any) -> set[str]:
    """What a written row moves among the rendered pages' counters (a daily plan's item:
    see _plan_owners)."""
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table in PAGE_IGNORE or table in GLOBAL_TABLES:  # GLOBAL_TABLES: "*" moved already
        return set()
    if isinstance(obj, User):
        ids = {obj.id}
    elif "user_id" in obj.__mapper__.columns:
        ids = _ids(obj, "user_id")
    else:
        return {PAGE}
    return {PAGE} if None in ids else {f"p:{i}" for i in ids}


def _after_flush(session: Session, _ctx: Any) -> None:
    scopes: set[str] = set()
    plan_ids: set[Any] = set()
    conn = session.connection()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Visit):
            ids = _ids(obj, "user_id")
        elif isinstance(obj, Customer):
            ids = _ids(obj, "owner_id")
        elif isinstance(obj, DailyPlanItem):
            plan_ids.update(_ids(obj, "plan_id"))
            continue
        else:
            scopes.update(_page_scopes(obj))
            continue
        scopes.update(f"u:{i}" for i in ids if i is not None)
    if plan_ids:
        scopes.update(_plan_owners(conn, plan_ids))
    conn.info.pop(_ORM_FLUSH, None)
    if scopes:
        _bump(conn, scopes)


def init_app(app: Any) -> None:
    """Listen for writes (once per engine and for the session class)."""
    eng: Engine = db.engine
    if not getattr(eng, "_planner_plan_cache", False):
        event.listen(eng, "after_execute", _after_execute)
        event.listen(eng, "commit", _end_transaction)
        event.listen(eng, "rollback", _end_transaction)
        # A savepoint rolled back may have taken a bump with it: bump again next time.
        event.listen(eng, "rollback_savepoint", lambda conn, *_a: _end_transaction(conn))
        eng._planner_plan_cache = True  # type: ignore[attr-defined]
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def counters(scopes: list[str]) -> list[int]:
    """The change counters of `scopes` (0 for one never moved), in one query."""
    rows = dict(db.session.execute(select(PlanStamp.scope, PlanStamp.n)
                                   .where(PlanStamp.scope.in_(scopes))).all())
    return [int(rows.get(s, 0)) for s in scopes]


def stamps(user_id: int) -> tuple[int, int]:
    g, u = counters([GLOBAL, f"u:{user_id}"])
    return g, u


def cache_key(user_id: int, day: date) -> str:
    g, u = stamps(user_id)
    return f"v{CODE_VERSION}|{day.isoformat()}|{g}|{u}"


def _dump(plan: RepPlan) -> str:
    return json.dumps({
        "fy": plan.fiscal_year.id if plan.fiscal_year else None,
        "metrics": [{
            "metric": m.metric.id, "month": m.period.start.isoformat(), "target": m.target,
            "achieved": m.achieved, "achieved_today": m.achieved_today,
            "run": None if m.run is None else {
                "target": m.run.target, "achieved": m.run.achieved,
                "remaining": m.run.remaining, "working_days_left": m.run.working_days_left,
                "today_target": m.run.today_target, "achieved_today": m.run.achieved_today,
                "remaining_today": m.run.remaining_today,
                "per_day": [[d.isoformat(), v] for d, v in m.run.per_day]},
            "elapsed": m.time_elapsed, "week": m.week_target, "dekad": m.dekad_target,
        } for m in plan.metrics]}, separators=(",", ":"))


def _load(user: User, day: date, raw: str, company_id: int) -> RepPlan | None:
    doc = json.loads(raw)
    fy = db.session.get(FiscalYear, doc["fy"]) if doc["fy"] is not None else None
    metrics = {m.id: m for m in db.session.scalars(select(Metric).where(
        Metric.company_id == company_id))}
    out: list[MetricPlan] = []
    for m in doc["metrics"]:
        metric = metrics.get(m["metric"])
        if metric is None:
            return None
        start = date.fromisoformat(m["month"])
        run = None
        if m["run"] is not None:
            r = dict(m["run"])
            r["per_day"] = [(date.fromisoformat(d), v) for d, v in r["per_day"]]
            run = engine.RunRate(**r)
        out.append(MetricPlan(metric, engine.month_period(start.year, start.month),
                              m["target"], m["achieved"], m["achieved_today"], run,
                              m["elapsed"], m["week"], m["dekad"]))
    return RepPlan(user, day, fy, out)


def _short_locks(conn: Connection) -> None:
    """PostgreSQL: a cache write never waits long for a lock (it is only a cache)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL lock_timeout = '2s'"))


def _store(user_id: int, key: str, data: str) -> None:
    """Upsert the row in a transaction of its own (a reader's snapshot stays a reader).

    Only while serving a read (GET): a write request may hold the database's write lock
    (SQLite) or row locks (PostgreSQL) that a second connection would wait for; it just
    does not store (the next GET does)."""
    from ..db import write_intent

    if write_intent.get() or _session_wrote():
        return
    token = write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            _short_locks(conn)
            conn.execute(text(
                "INSERT INTO plan_cache (user_id, key, data, computed_at) "
                "VALUES (:u, :k, :d, :t) ON CONFLICT (user_id) DO UPDATE SET "
                "key = excluded.key, data = excluded.data, computed_at = excluded.computed_at"),
                {"u": user_id, "k": key, "d": data, "t": datetime.now(UTC)})
    except SQLAlchemyError as exc:  # pragma: no cover - the next request recomputes
        log.warning("plan cache store failed: %s", exc)
    finally:
        write_intent.reset(token)


def cached_rep_plan(user: User, day: date | None = None) -> RepPlan:
    """The rep's plan for `day` (default: the company's today), from the cache when its
    key is current, else computed and stored."""
    if day is None:
        day = local_today(user.company)
    key = cache_key(user.id, day)
    row = db.session.execute(select(PlanCache.key, PlanCache.data).where(
        PlanCache.user_id == user.id)).first()
    if row is not None and row.key == key:
        plan = _load(user, day, row.data, user.unit.company_id)
        if plan is not None:
            return plan
    plan = rep_plan(user, day)
    _store(user.id, key, _dump(plan))
    return plan


def summary(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A JSON-able result that depends only on targets (and what the key names), cached
    in `summary_cache` under the key plus the "*" counter: computed once after a change."""
    row_key = f"v{CODE_VERSION}|{key}|{stamps(0)[0]}"
    raw = db.session.scalar(select(SummaryCache.data).where(SummaryCache.key == row_key))
    if raw is not None:
        return dict(json.loads(raw))
    value = compute()
    _store_summary(row_key, key, json.dumps(value, separators=(",", ":")))
    return value


def _store_summary(row_key: str, prefix: str, data: str) -> None:
    from ..db import write_intent

    if write_intent.get() or _session_wrote():
        return
    token = write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            _short_locks(conn)
            # Older versions of the same summary go (their counter has moved on).
            conn.execute(text("DELETE FROM summary_cache WHERE key LIKE :p"),
                         {"p": f"v{CODE_VERSION}|{prefix}|%"})
            conn.execute(text(
                "INSERT INTO summary_cache (key, data, computed_at) VALUES (:k, :d, :t) "
                "ON CONFLICT (key) DO NOTHING"),
                {"k": row_key, "d": data, "t": datetime.now(UTC)})
    except SQLAlchemyError as exc:  # pragma: no cover - the next request recomputes
        log.warning("summary cache store failed: %s", exc)
    finally:
        write_intent.reset(token)

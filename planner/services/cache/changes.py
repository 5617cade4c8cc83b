"""The change counters in `plan_stamp`, moved inside the writing transaction.

What a write moves is declared in tables.py. An ORM flush is read from the session's
change history: the rows added, changed and deleted, their values before and after (a
rep who changes a visit's owner moves both reps), and for a user row the columns that
changed. A Core statement (the bulk decomposition, an UPDATE ... WHERE) names no row:
it moves the counter of the company the writer named (`company_writes`), else every
company's (conservative, and rare).

Counters: "*:<company id>" (every plan and page of that company), "u:<user id>" (the
rep's plan and page) and "p:<user id>" (that user's page). None is shared between
companies, so writers of two companies never wait for the same row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.sql.dml import UpdateBase

from ...extensions import db
from .tables import TABLES, USER_COLUMNS, USERS, Kind

log = logging.getLogger(__name__)

_BUMPED = "planner_plan_bumped"  # connection.info: scopes already moved this transaction
WROTE = "planner_wrote"  # connection.info: this transaction has written something
_ORM_FLUSH = "planner_orm_flush"
_COMPANY = "planner_company"  # connection.info: the company a Core statement writes
_EVERY = "*:every"
COMPANIES = "company"
_END = {Kind.COMPANY: COMPANIES, Kind.REP: USERS, Kind.PAGE_USER: USERS}

_BUMP = text("INSERT INTO plan_stamp (scope, n) VALUES (:scope, 1) "
             "ON CONFLICT (scope) DO UPDATE SET n = plan_stamp.n + 1")
_BUMP_EVERY = text("INSERT INTO plan_stamp (scope, n) "
                   "SELECT '*:' || CAST(id AS VARCHAR(20)), 1 FROM company WHERE true "
                   "ON CONFLICT (scope) DO UPDATE SET n = plan_stamp.n + 1")


def company_scope(company_id: Any) -> str:
    return f"*:{company_id}"


@dataclass
class Moves:
    """The counters one write moves."""

    companies: set[Any] = field(default_factory=set)
    reps: set[Any] = field(default_factory=set)
    pages: set[Any] = field(default_factory=set)
    every: bool = False

    def scopes(self) -> set[str]:
        return ({company_scope(c) for c in self.companies} | {f"u:{u}" for u in self.reps}
                | {f"p:{u}" for u in self.pages})

    def add(self, kind: Kind, ids: Iterable[Any]) -> None:
        {Kind.COMPANY: self.companies, Kind.REP: self.reps,
         Kind.PAGE_USER: self.pages}[kind].update(ids)


def bump(conn: Connection, moves: Moves) -> None:
    """Move the counters, each once per transaction (a later write in the same
    transaction is covered: readers see the counter only after the commit)."""
    done: set[str] = conn.info.setdefault(_BUMPED, set())
    if moves.every and _EVERY not in done:
        conn.execute(_BUMP_EVERY)
        done.add(_EVERY)
    scopes = moves.scopes() - done
    if _EVERY in done:
        scopes = {s for s in scopes if not s.startswith("*:")}
    for scope in sorted(scopes):
        conn.execute(_BUMP, {"scope": scope})
        done.add(scope)


def company_writes(conn: Connection, company_id: int) -> None:
    """Name the company that this transaction's Core statements write (the bulk
    decomposition): they move its counter, not every company's."""
    conn.info[_COMPANY] = company_id


def _after_execute(conn: Connection, clause: Any, *_args: Any) -> None:
    if not isinstance(clause, UpdateBase):
        return
    conn.info[WROTE] = True
    flushing = conn.info.get(_ORM_FLUSH)
    if flushing is not None and flushing._flushing:
        return  # the flush's rows are read in _after_flush
    table = getattr(getattr(clause, "table", None), "name", None)
    found = TABLES.get(table or "")
    if found is not None and found.kind is Kind.IGNORED:
        return
    if table is not None and table not in db.metadata.tables:
        return  # not a table of the app (Alembic's version table)
    company = conn.info.get(_COMPANY)
    bump(conn, Moves(companies={company}) if company is not None else Moves(every=True))


def _end_transaction(conn: Connection) -> None:
    for key in (_BUMPED, WROTE, _ORM_FLUSH, _COMPANY):  # a failed flush: no after_flush
        conn.info.pop(key, None)


def _before_flush(session: Session, *_args: Any) -> None:
    # The session, not a flag: a flush with nothing to do never reaches after_flush, and
    # the Core statements after it must still count.
    session.connection().info[_ORM_FLUSH] = session


class _Flush:
    """One flush's rows, classified, and the references followed to a company or a
    user (from the flush's own rows where it holds them, else one query per table)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.connection()
        self.moves = Moves()
        self.rows: dict[tuple[str, Any], Any] = {}
        self.wanted: dict[tuple[Kind, str, str], set[Any]] = {}
        self.new = {id(obj) for obj in session.new}
        self.dirty = {id(obj) for obj in session.dirty}

    def read(self) -> None:
        s = self.session
        objs = [*s.new, *s.dirty, *s.deleted]
        for obj in objs:
            table = getattr(obj, "__table__", None)
            if table is not None and len(table.primary_key.columns) == 1:
                pk = inspect(obj).identity
                if pk is not None:
                    self.rows[(table.name, pk[0])] = obj
        for obj in objs:
            if id(obj) in self.dirty and not s.is_modified(obj):
                continue
            self._classify(obj)
        for (kind, table, column), values in self.wanted.items():
            self._resolve(kind, table, column, values)

    def _classify(self, obj: Any) -> None:
        table = getattr(getattr(obj, "__table__", None), "name", "")
        rule = TABLES.get(table)
        if rule is None:
            log.warning("table %s is not in the cache map: every company's cache goes", table)
            self.moves.every = True
            return
        kind = rule.kind
        if kind is Kind.IGNORED:
            return
        if table == USERS and id(obj) in self.dirty:
            kind = _user_change(obj)
            if kind is Kind.PAGE_USER:
                self.moves.pages.add(obj.id)
            if kind is not Kind.COMPANY:
                return
        values = _values(obj, rule.column, id(obj) in self.new)
        if values is None:
            self.moves.every = True
            return
        self.wanted.setdefault((kind, table, rule.column), set()).update(values)

    def _resolve(self, kind: Kind, table: str, column: str, values: set[Any]) -> None:
        """Follow `table.column` (holding `values`) to the ids that `kind` moves."""
        if None in values and kind is Kind.COMPANY:
            self.moves.every = True
        values = values - {None}
        while values:
            if table == _END[kind] and column == "id":
                break
            fk = next(iter(db.metadata.tables[table].c[column].foreign_keys))
            target = fk.column.table.name
            if target == _END[kind]:
                break
            table, column = target, TABLES[target].column
            values, missing = self._lookup(target, fk.column.name, column, values)
            if missing:
                self.moves.every = True
        self.moves.add(kind, values)

    def _lookup(self, table: str, key: str, column: str,
                keys: set[Any]) -> tuple[set[Any], bool]:
        """`column` of the rows of `table` whose `key` is in `keys` (None dropped), and
        whether some row was not found."""
        out: set[Any] = set()
        rest = []
        for k in keys:
            obj = self.rows.get((table, k))
            got = (_values(obj, column, id(obj) in self.new)
                   if obj is not None and key == "id" else None)
            if got is None:
                rest.append(k)
            else:
                out.update(got)
        t = db.metadata.tables[table]
        found = 0
        for i in range(0, len(rest), 500):
            rows = self.conn.execute(select(t.c[key], t.c[column]).where(
                t.c[key].in_(rest[i:i + 500]))).all()
            found += len({r[0] for r in rows})
            out.update(r[1] for r in rows)
        return out - {None}, found < len(rest)


def _user_change(obj: Any) -> Kind:
    """What a change to a user row moves: the strongest kind among its changed columns
    (read from the state's committed values: no attribute history is built)."""
    state = inspect(obj)
    columns = _columns(obj.__mapper__)
    kinds = set()
    for key, old in state.committed_state.items():
        if key not in columns:  # the unit or the manager set as an object: conservative
            rel = obj.__mapper__.relationships.get(key)
            if rel is not None and rel.direction.name == "MANYTOONE":
                kinds.add(Kind.COMPANY)
        elif old is NO_VALUE or old != state.dict.get(key, NO_VALUE):
            kinds.add(USER_COLUMNS.get(columns[key], Kind.COMPANY))
    for kind in (Kind.COMPANY, Kind.PAGE_USER):
        if kind in kinds:
            return kind
    return Kind.IGNORED


_COLUMNS: dict[Any, dict[str, str]] = {}
_VIA: dict[tuple[Any, str], list[str]] = {}


def _columns(mapper: Any) -> dict[str, str]:
    """The mapper's attribute keys -> column names (once per mapper)."""
    found = _COLUMNS.get(mapper)
    if found is None:
        found = _COLUMNS[mapper] = {p.key: p.columns[0].name for p in mapper.column_attrs}
    return found


def _relationships(mapper: Any, column: str) -> list[str]:
    """The keys of the mapper's relationships that set `column` (a rep set as
    `visit.user = rep` rather than `visit.user_id = rep.id`)."""
    found = _VIA.get((mapper, column))
    if found is None:
        found = _VIA[(mapper, column)] = [
            r.key for r in mapper.relationships
            if any(c.name == column for c in r.local_columns) and r.direction.name == "MANYTOONE"]
    return found


def _values(obj: Any, column: str, new: bool) -> set[Any] | None:
    """The row's value of `column` and the value it had before this flush (`new`: it had
    none). None when one cannot be known without a query: a deleted row's expired
    attribute, or a value set on an expired attribute."""
    key = obj.__mapper__.get_property_by_column(obj.__table__.c[column]).key
    state = inspect(obj)
    if key in state.dict:
        now = state.dict[key]
    elif state.deleted or state.was_deleted:
        return None
    else:
        now = getattr(obj, key)
    if new:
        return {now}
    old = state.committed_state.get(key, now)
    if old is NO_VALUE or any(r in state.committed_state
                              for r in _relationships(obj.__mapper__, column)):
        return None  # the old value is not known: the caller is conservative
    return {now, old}


def _after_flush(session: Session, _ctx: Any) -> None:
    flush = _Flush(session)
    flush.conn.info.pop(_ORM_FLUSH, None)
    flush.read()
    bump(flush.conn, flush.moves)


def init_app(app: Any) -> None:
    """Listen for writes (once per engine and for the session class)."""
    eng: Engine = db.engine
    if not getattr(eng, "_planner_plan_cache", False):
        event.listen(eng, "after_execute", _after_execute)
        event.listen(eng, "commit", _end_transaction)
        event.listen(eng, "rollback", _end_transaction)
        # A savepoint rolled back may have taken a bump with it: bump again next time.
        event.listen(eng, "rollback_savepoint",
                     lambda conn, *_a: conn.info.pop(_BUMPED, None))
        eng._planner_plan_cache = True  # type: ignore[attr-defined]
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def session_wrote() -> bool:
    """Has the request's own transaction written anything (not committed yet)? Then a
    second connection could wait for its locks: the cache is not stored."""
    s = db.session()
    if s.new or s.dirty or s.deleted:
        return True
    return bool(s.in_transaction() and s.connection().info.get(WROTE))

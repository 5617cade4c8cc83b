"""Target trees in the database: loading one (``load_tree``) and writing a plan
(``apply_plan``) in bulk, with an audit row for every changed target.

New targets go in by the thousand (a decomposition of the benchmark company writes
71,792 targets and 1.15 M cells): on SQLite as JSON through one ``INSERT ... SELECT ...
FROM json_each(?)`` per table, on PostgreSQL by COPY. Every path builds a target's row
with ``_target_columns``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, event, select

from .. import engine
from ..db import refresh_statistics
from ..engine import Change, Node, Period, Plan, quarters_of
from ..extensions import db
from ..models import AuditLog, FiscalYear, Metric, Target, TargetCell, Tier, User
from ..models.base import utcnow
from .cache import company_writes
from .year_split import fy_months, fy_quarters

STATS_AFTER_ROWS = 500  # targets created or removed by one decomposition

NODE_COLUMNS = ("id", "parent_id", "depth", "unit_id", "user_id", "product_line_id",
                "channel_id", "customer_type_id", "value", "locked", "weight", "split_dim",
                "split_method", "split_params", "time_method", "time_params")


class Tree(engine.Tree):
    """A tree of one (fiscal year, metric, tier)."""

    def __init__(self, fy: FiscalYear, metric: Metric, tier: Tier, nodes: dict[int, Node],
                 roots: list[Node], additive: bool = True) -> None:
        super().__init__(nodes, roots, additive)
        self.fy = fy
        self.metric = metric
        self.tier = tier


def node_of(r: Any, months: list[int], cls: type[Node] = Node, **extra: Any) -> Node:
    """A node from a row of NODE_COLUMNS, not linked yet."""
    return cls(id=r.id, parent=None, depth=r.depth, unit_id=r.unit_id, user_id=r.user_id,
               product_line_id=r.product_line_id, channel_id=r.channel_id,
               customer_type_id=r.customer_type_id, value=int(r.value), locked=bool(r.locked),
               months=months, weight=r.weight, split_dim=r.split_dim,
               split_method=r.split_method, split_params=r.split_params,
               time_method=r.time_method, time_params=r.time_params, **extra)


def load_tree(fy: FiscalYear, metric: Metric, tier: Tier = Tier.BASE) -> Tree:
    """Every target of (fiscal year, metric, tier) with its month cells, linked up."""
    t = Target.__table__
    rows = db.session.execute(
        select(*(t.c[k] for k in NODE_COLUMNS))
        .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id, t.c.tier == tier)
        .order_by(t.c.id)
    ).all()
    nodes = {r.id: node_of(r, [0] * 12) for r in rows}
    parents = {r.id: r.parent_id for r in rows}
    roots: list[Node] = []
    for nid, node in nodes.items():
        pid = parents[nid]
        if pid is None or pid not in nodes:
            roots.append(node)
        else:
            p = nodes[pid]
            node.parent = p
            node.dim = p.split_dim
            p.children.append(node)
    if nodes:
        _load_months(fy, metric, tier, nodes)
    return Tree(fy, metric, tier, nodes, roots, bool(metric.additive))


def _load_months(fy: FiscalYear, metric: Metric, tier: Tier, nodes: dict[int, Node]) -> None:
    index = {p.start: i for i, p in enumerate(fy_months(fy))}
    t, c = Target.__table__, TargetCell.__table__
    cells = db.session.execute(
        select(c.c.target_id, c.c.start, c.c.value)
        .join(t, t.c.id == c.c.target_id)
        .where(t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id,
               t.c.tier == tier, c.c.kind == "month")
    ).all()
    for tid, start, value in cells:
        i = index.get(start)
        if i is not None and tid in nodes:
            nodes[tid].months[i] = int(value)



def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def reserve_ids(conn: Connection, n: int) -> list[int]:
    """n fresh target ids: the sequence on PostgreSQL; on SQLite a block after the largest
    id that a target has now or that an audit row names. SQLite would otherwise hand out
    max(id) + 1 again after a re-split deleted the newest targets, and one audit
    entity_id would name two targets (the Target insert hook below does the same for
    single ORM inserts)."""
    if n == 0:
        return []
    if _sqlite(conn):
        top = int(conn.exec_driver_sql(
            "SELECT max(coalesce((SELECT max(id) FROM target), 0), "
            "coalesce((SELECT max(entity_id) FROM audit_log WHERE entity = 'target'), 0))"
        ).scalar_one())
        # Ids handed out on this connection but not inserted yet (the ORM calls the
        # insert hook for every new Target of a flush before it inserts any of them).
        top = max(top, int(conn.info.get("planner_target_top", 0)))
        conn.info["planner_target_top"] = top + n
        return list(range(top + 1, top + 1 + n))
    rows = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('target', 'id')) "
        f"FROM generate_series(1, {int(n)})").scalars().all()
    return [int(x) for x in rows]


@event.listens_for(Target, "before_insert")
def _fresh_sqlite_id(_mapper: Any, conn: Connection, target: Target) -> None:
    if target.id is None and _sqlite(conn):
        target.id = reserve_ids(conn, 1)[0]


@dataclass
class Bulk:
    """New nodes in write order (parents first) and their rows as JSON, ids left out:
    node k gets id first + k. ``rows``: per node [index of its parent among the new nodes
    or null, the parent's id if it is not new, then the 12 varying target columns];
    ``cells``: per node its 12 months then its 4 quarters, flat (primary-key order)."""

    nodes: list[Node]
    rows: str
    cells: str
    # The plan's audit rows, when serialised with it: per row [index of its target among
    # the new nodes or null, the target's id if it is not new, field, old, new, details].
    audits: str | None = None


TARGET_COLUMNS = ("id, fiscal_year_id, metric_id, tier, parent_id, depth, unit_id, user_id, "
                  "product_line_id, channel_id, customer_type_id, value, locked, weight, "
                  "split_dim, split_method, split_params, updated_at, updated_by_id")


def _target_columns(n: Node) -> tuple[Any, ...]:
    """The 12 columns of a new target's row that vary by target (depth .. split_params,
    in TARGET_COLUMNS order): the one row builder of every write path."""
    return (n.depth, n.unit_id, n.user_id, n.product_line_id, n.channel_id,
            n.customer_type_id, n.value, n.locked, n.weight, n.split_dim, n.split_method,
            json.dumps(n.split_params) if n.split_params is not None else None)


def serialise_new_nodes(nodes: Sequence[Node], additive: bool,
                        changes: Sequence[Change] | None = None) -> Bulk:
    """Pure Python, no database: safe to run in a thread beside the writer. With
    `changes` (a decomposition's), its audit rows are serialised too."""
    ordered = sorted(nodes, key=lambda n: n.depth)
    index = {id(n): k for k, n in enumerate(ordered)}
    audits = None
    if changes is not None:
        audit_rows = []
        for ch in changes:
            k = index.get(id(ch.node))
            for row in _change_audits("decompose", ch):
                audit_rows.append((k, row[1] if k is None else None, *row[2:]))
        audits = json.dumps(audit_rows, ensure_ascii=False)
    rows = []
    for n in ordered:
        p = n.parent
        assert p is not None
        k = index.get(id(p))
        rows.append((k, p.id if k is None else None, *_target_columns(n)))
    return Bulk(ordered, json.dumps(rows), json.dumps(_cell_values(ordered, additive)),
                audits)


@dataclass
class _Batch:
    """What every new target of one insert shares."""

    fy_id: int
    metric_id: int
    tier: str  # SQLAlchemy stores enum names
    additive: bool
    user_id: int | None
    months: list[Period]
    quarters: list[Period]

    def row(self, n: Node, stamp: Any) -> tuple[Any, ...]:
        """A new target's full row, in TARGET_COLUMNS order."""
        assert n.parent is not None
        return (n.id, self.fy_id, self.metric_id, self.tier, n.parent.id,
                *_target_columns(n), stamp, self.user_id)


def insert_nodes(conn: Connection, tree_fy_id: int, metric_id: int, tier: Tier,
                 nodes: Sequence[Node], additive: bool, user_id: int | None,
                 months: list[Period], quarters: list[Period],
                 bulk: Bulk | None = None) -> None:
    """Bulk-insert new nodes (ids assigned here; parents before children) and their 16
    cells each.

    SQLite: two INSERT ... SELECT statements over ``json_each`` (targets, then the cells
    in primary-key order), each run by SQLite in C with the GIL released, so a thread
    computing the next plan runs beside it; executemany binds row by row and took the GIL
    back for each of the 1.15 M rows of the benchmark. PostgreSQL: COPY. `bulk`: the
    nodes already serialised (serialise_new_nodes), in its order."""
    if bulk is not None:
        nodes = bulk.nodes
    ids = reserve_ids(conn, len(nodes))
    for n, i in zip(nodes, ids, strict=True):
        n.id = i
    if not nodes:
        return
    batch = _Batch(tree_fy_id, metric_id, Tier(tier).name, additive, user_id, months,
                   quarters)
    if not _sqlite(conn):
        _copy_nodes(conn, batch, nodes)
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    if ids[-1] - ids[0] == len(ids) - 1 and _sqlite_json(raw):
        _insert_json(raw, batch, ids[0], bulk or serialise_new_nodes(nodes, additive))
    else:  # an SQLite without JSON, or ids not in one block: row by row
        _insert_rows(raw, batch, nodes)


def _stamp() -> str:
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_json(raw: Any, batch: _Batch, first: int, bulk: Bulk) -> None:
    picks = ", ".join(f"j.value ->> {k}" for k in range(2, 14))
    raw.execute(
        f"INSERT INTO target ({TARGET_COLUMNS}) SELECT :first + j.key, :fy, :metric, :tier, "
        f"coalesce(:first + (j.value ->> 0), j.value ->> 1), {picks}, :stamp, :by "
        "FROM json_each(:rows) AS j",
        {"first": first, "fy": batch.fy_id, "metric": batch.metric_id, "tier": batch.tier,
         "stamp": _stamp(), "by": batch.user_id, "rows": bulk.rows})
    periods = batch.months + batch.quarters
    params: dict[str, Any] = {"first": first, "cells": bulk.cells}
    for k, p in enumerate(periods):
        params[f"s{k}"] = p.start.isoformat()
        params[f"e{k}"] = p.end.isoformat()
    per = len(periods)
    starts = " ".join(f"WHEN {k} THEN :s{k}" for k in range(per))
    ends = " ".join(f"WHEN {k} THEN :e{k}" for k in range(per))
    raw.execute(
        "INSERT INTO target_cell (target_id, kind, start, \"end\", value, locked) "
        f"SELECT :first + j.key / {per}, "
        f"CASE WHEN j.key % {per} < {len(batch.months)} THEN 'month' ELSE 'quarter' END, "
        f"CASE j.key % {per} {starts} END, CASE j.key % {per} {ends} END, "
        "j.value, 0 FROM json_each(:cells) AS j", params)


def _insert_rows(raw: Any, batch: _Batch, nodes: Sequence[Node]) -> None:
    stamp = _stamp()
    raw.executemany(f"INSERT INTO target ({TARGET_COLUMNS}) VALUES ({', '.join('?' * 19)})",
                    [batch.row(n, stamp) for n in nodes])
    mk = [("month", p.start.isoformat(), p.end.isoformat()) for p in batch.months]
    qk = [("quarter", p.start.isoformat(), p.end.isoformat()) for p in batch.quarters]
    raw.executemany(
        "INSERT INTO target_cell (target_id, kind, start, \"end\", value, locked) "
        "VALUES (?,?,?,?,?,?)", _cell_rows(nodes, mk, qk, batch.additive))


def _copy_nodes(conn: Connection, batch: _Batch, nodes: Sequence[Node]) -> None:
    """PostgreSQL: COPY, straight from Python values (psycopg 3 adapts them)."""
    raw_pg = conn.connection.driver_connection
    assert raw_pg is not None
    now = utcnow()
    with raw_pg.cursor() as cur:
        with cur.copy(f"COPY target ({TARGET_COLUMNS}) FROM STDIN") as copy:
            for n in nodes:
                copy.write_row(batch.row(n, now))
        # COPY streams while the server inserts; a one-statement INSERT ... SELECT from
        # json_array_elements_text measured slightly slower (no overlap with the client).
        with cur.copy("COPY target_cell (target_id, kind, start, \"end\", value, locked) "
                      "FROM STDIN") as copy:
            mk = [("month", p.start, p.end) for p in batch.months]
            qk = [("quarter", p.start, p.end) for p in batch.quarters]
            write = copy.write_row
            for row in _cell_rows(nodes, mk, qk, batch.additive):
                write(row)


_JSON_OK: dict[int, bool] = {}


def _sqlite_json(raw: Any) -> bool:
    """Whether this SQLite has json_each (built in since 3.38; usually compiled in before)."""
    key = id(type(raw))
    if key not in _JSON_OK:
        try:
            raw.execute("SELECT count(*) FROM json_each('[1]')").fetchone()
            _JSON_OK[key] = True
        except Exception:  # noqa: BLE001 - an old build without JSON1
            _JSON_OK[key] = False
    return _JSON_OK[key]


def _cell_values(nodes: Sequence[Node], additive: bool) -> list[int]:
    """Every node's 12 months then 4 quarters, one flat list (primary-key order)."""
    flat: list[int] = []
    add = flat.extend
    for n in nodes:
        ms = n.months
        add(ms)
        if additive:
            add((ms[0] + ms[1] + ms[2], ms[3] + ms[4] + ms[5], ms[6] + ms[7] + ms[8],
                 ms[9] + ms[10] + ms[11]))
        else:
            add(quarters_of(ms, False))
    return flat


def _cell_rows(nodes: Sequence[Node], mk: list[tuple[str, Any, Any]],
               qk: list[tuple[str, Any, Any]], additive: bool) -> Iterable[tuple[Any, ...]]:
    """(target id, kind, start, end, value, locked) per cell, in primary-key order."""
    for n in nodes:
        ms = n.months
        tid = n.id
        for (kind, s, e), v in zip(mk, ms, strict=True):
            yield (tid, kind, s, e, v, False)
        for (kind, s, e), v in zip(qk, quarters_of(ms, additive), strict=True):
            yield (tid, kind, s, e, v, False)


def _delete_targets(conn: Connection, ids: list[int]) -> None:
    t, c = Target.__table__, TargetCell.__table__
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        conn.execute(c.delete().where(c.c.target_id.in_(chunk)))
    # `ids` lists children before parents (the self reference).
    for i in range(len(ids), 0, -500):
        chunk = ids[max(0, i - 500):i]
        conn.execute(t.delete().where(t.c.id.in_(chunk)))



def apply_plan(plan: Plan, user: User | None) -> int:
    """Write a plan in bulk and audit every changed node (one row per changed value, lock
    or month split). Returns the number of targets changed. The caller commits."""
    conn = db.session.connection()
    company_writes(conn, _tree_of(plan).fy.company_id)  # the Core writes' cache counter
    uid = user.id if user is not None else None
    now = utcnow()
    if plan.kind == "decompose":
        audits = _write_decomposition(conn, plan, uid, now)
        if len(plan.new_nodes) + len(plan.removed_ids) >= STATS_AFTER_ROWS:
            refresh_statistics(conn)  # the table changed shape: SQLite's planner relearns it
        bulk = plan.bulk
        if (bulk is not None and bulk.audits is not None and bulk.nodes
                and _sqlite(conn) and _bulk_audits(conn, now, uid, bulk)):
            _insert_audits(conn, now, uid, audits)
            return len(plan.changed)
    else:
        audits = []
        _write_changes(conn, plan, uid, now)
    for ch in plan.changes:
        audits.extend(_change_audits(plan.kind, ch))
    _insert_audits(conn, now, uid, audits)
    return len(plan.changed)


def _tree_of(plan: Plan) -> Tree:
    tree = plan.tree
    assert isinstance(tree, Tree), "a plan to write is made on a tree from load_tree"
    return tree


def _write_decomposition(conn: Connection, plan: Plan, uid: int | None,
                         now: Any) -> list[tuple[Any, ...]]:
    """Replace the target's subtree by the plan's new nodes; the audit row of the split."""
    tree = _tree_of(plan)
    node = plan.target
    t = Target.__table__
    # Removed ids were collected parent-first: delete deepest first.
    _delete_targets(conn, list(reversed(plan.removed_ids)))
    assert plan.split is not None
    conn.execute(t.update().where(t.c.id == node.id).values(
        split_dim=plan.split["split_dim"], split_method=plan.split["split_method"],
        split_params=plan.split["split_params"], updated_at=now, updated_by_id=uid))
    # Parents before children, so parent ids exist when children are inserted.
    ordered = sorted(plan.new_nodes, key=lambda n: n.depth)
    insert_nodes(conn, tree.fy.id, tree.metric.id, tree.tier, ordered, tree.additive,
                 uid, fy_months(tree.fy), fy_quarters(tree.fy), plan.bulk)
    return [("decompose", node.id, "split", _split_text(node),
             json.dumps(plan.split, ensure_ascii=False),
             {"created": len(plan.new_nodes), "removed": len(plan.removed_ids)})]


def _write_changes(conn: Connection, plan: Plan, uid: int | None, now: Any) -> None:
    """Update the changed targets' values, locks and cells in place."""
    tree = _tree_of(plan)
    months, quarters = fy_months(tree.fy), fy_quarters(tree.fy)
    t, c = Target.__table__, TargetCell.__table__
    trows: list[dict[str, Any]] = []
    mrows: list[dict[str, Any]] = []
    for ch in plan.changes:
        n = ch.node
        trows.append({"b_id": n.id, "b_value": ch.new_value, "b_locked": ch.new_locked})
        if ch.old_months == ch.new_months:
            continue
        for kind, periods, vals in (
                ("month", months, ch.new_months),
                ("quarter", quarters, quarters_of(ch.new_months, tree.additive))):
            mrows.extend({"b_id": n.id, "b_kind": kind, "b_start": p.start, "b_value": v}
                         for p, v in zip(periods, vals, strict=True))
    if trows:
        conn.execute(
            t.update().where(t.c.id == bindparam("b_id")).values(
                value=bindparam("b_value"), locked=bindparam("b_locked"),
                updated_at=now, updated_by_id=uid), trows)
    if mrows:
        conn.execute(
            c.update().where(c.c.target_id == bindparam("b_id"),
                             c.c.kind == bindparam("b_kind"),
                             c.c.start == bindparam("b_start"))
            .values(value=bindparam("b_value")), mrows)
    if plan.kind == "time" and plan.split:
        conn.execute(t.update().where(t.c.id == plan.target.id).values(**plan.split))


def _change_audits(action: str, ch: Change) -> list[tuple[Any, ...]]:
    """(action, target id, field, old, new, details) rows for one change. The details
    carry the target's scope, so a row reads the same after the target is gone."""
    n = ch.node
    scope = [n.unit_id, n.user_id, n.product_line_id, n.channel_id, n.customer_type_id]
    if ch.created:  # the bulk of a first decomposition: one row, built directly
        return [(action, n.id, "value", None, str(ch.new_value),
                 {"label": ch.label, "scope": scope, "depth": n.depth, "created": True})]
    details: dict[str, Any] = {"label": ch.label, "scope": scope, "depth": n.depth}
    rows: list[tuple[Any, ...]] = []
    if ch.value_changed:
        rows.append((action, n.id, "value", str(ch.old_value),
                     None if ch.removed else str(ch.new_value),
                     {**details, "removed": True} if ch.removed else details))
    if ch.locked_changed and not (ch.created or ch.removed):
        rows.append((action, n.id, "locked", str(ch.old_locked), str(ch.new_locked), details))
    if ch.old_months != ch.new_months and not ch.value_changed:
        rows.append((action, n.id, "months", json.dumps(ch.old_months),
                     json.dumps(ch.new_months), details))
    return rows


def _bulk_audits(conn: Connection, at: Any, user_id: int | None, bulk: Bulk) -> bool:
    """Write the audit rows serialised with the bulk (SQLite, ids in one block after the
    insert); False when this SQLite cannot (the caller writes them another way)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    first = bulk.nodes[0].id
    if first is None or not _sqlite_json(raw):
        return False
    ids = [n.id for n in bulk.nodes]
    if ids[-1] - first != len(ids) - 1:  # type: ignore[operator]
        return False
    raw.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, field, old_value, "
        "new_value, details) SELECT :at, :uid, 'decompose', 'target', "
        "coalesce(:first + (j.value ->> 0), j.value ->> 1), j.value ->> 2, j.value ->> 3, "
        "j.value ->> 4, json(j.value -> 5) FROM json_each(:rows) AS j",
        {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "uid": user_id, "first": first,
         "rows": bulk.audits})
    return True


def _insert_audits(conn: Connection, at: Any, user_id: int | None,
                   rows: list[tuple[Any, ...]]) -> None:
    """Audit rows in bulk: one INSERT ... SELECT over json_each on SQLite (a decomposition
    of the benchmark company audits ~72,000 targets), COPY on PostgreSQL."""
    if not rows:
        return
    if not _sqlite(conn) and len(rows) >= 50:
        _copy_audits(conn, at, user_id, rows)
        return
    raw = conn.connection.driver_connection
    if len(rows) >= 50 and raw is not None and _sqlite_json(raw):
        raw.execute(
            "INSERT INTO audit_log (at, user_id, action, entity, entity_id, field, "
            "old_value, new_value, details) SELECT :at, :uid, j.value ->> 0, 'target', "
            "j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, "
            "json(j.value -> 5) FROM json_each(:rows) AS j",
            {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "uid": user_id,
             "rows": json.dumps(rows, ensure_ascii=False)})
        return
    conn.execute(AuditLog.__table__.insert(), [
        {"at": at, "user_id": user_id, "action": r[0], "entity": "target",
         "entity_id": r[1], "field": r[2], "old_value": r[3], "new_value": r[4],
         "details": r[5]} for r in rows])


def _copy_audits(conn: Connection, at: Any, user_id: int | None,
                 rows: list[tuple[Any, ...]]) -> None:
    raw_pg = conn.connection.driver_connection
    assert raw_pg is not None
    with raw_pg.cursor() as cur, cur.copy(
            "COPY audit_log (at, user_id, action, entity, entity_id, field, old_value, "
            "new_value, details) FROM STDIN") as copy:
        for r in rows:
            copy.write_row((at, user_id, r[0], "target", r[1], r[2], r[3], r[4],
                            json.dumps(r[5], ensure_ascii=False)))


def _split_text(node: Node) -> str | None:
    if not node.split_dim:
        return None
    return json.dumps({"split_dim": node.split_dim, "split_method": node.split_method,
                       "split_params": node.split_params}, ensure_ascii=False)



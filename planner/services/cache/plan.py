"""The rep's plan, computed once per change instead of once per request.

`cached_rep_plan(user)` answers from `plan_cache` when the row's key matches the current
key, else computes `rep_plan` and stores it. The key: the code version, the day, and the
counters "*:<company>" and "u:<rep>" (changes.py moves them, tables.py says when).
`summary(company_id, key, compute)` keeps a JSON-able result that depends only on the
company's counter (the team sums) in `summary_cache`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text

from ... import engine
from ...extensions import db
from ...models import FiscalYear, Metric, PlanCache, PlanStamp, SummaryCache, User
from ..company import local_today
from ..rep_plan import MetricPlan, RepPlan, rep_plan
from .changes import company_scope
from .store import store_apart

# Bump when what is cached changes shape or meaning (the key carries it).
CODE_VERSION = 2

_STORE_PLAN = text(
    "INSERT INTO plan_cache (user_id, key, data, computed_at) VALUES (:u, :k, :d, :t) "
    "ON CONFLICT (user_id) DO UPDATE SET key = excluded.key, data = excluded.data, "
    "computed_at = excluded.computed_at")
_DROP_SUMMARIES = text("DELETE FROM summary_cache WHERE key LIKE :p")
_STORE_SUMMARY = text("INSERT INTO summary_cache (key, data, computed_at) "
                      "VALUES (:k, :d, :t) ON CONFLICT (key) DO NOTHING")


def counters(scopes: list[str]) -> list[int]:
    """The change counters of `scopes` (0 for one never moved), in one query."""
    rows = dict(db.session.execute(select(PlanStamp.scope, PlanStamp.n)
                                   .where(PlanStamp.scope.in_(scopes))).all())
    return [int(rows.get(s, 0)) for s in scopes]


def stamps(user: User) -> tuple[int, int]:
    """The counters of the rep's company and of the rep."""
    g, u = counters([company_scope(user.unit.company_id), f"u:{user.id}"])
    return g, u


def cache_key(user: User, day: date) -> str:
    g, u = stamps(user)
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


def cached_rep_plan(user: User, day: date | None = None) -> RepPlan:
    """The rep's plan for `day` (default: the company's today), from the cache when its
    key is current, else computed and stored."""
    if day is None:
        day = local_today(user.company)
    key = cache_key(user, day)
    row = db.session.execute(select(PlanCache.key, PlanCache.data).where(
        PlanCache.user_id == user.id)).first()
    if row is not None and row.key == key:
        plan = _load(user, day, row.data, user.unit.company_id)
        if plan is not None:
            return plan
    plan = rep_plan(user, day)
    store_apart("plan", [(_STORE_PLAN, {"u": user.id, "k": key, "d": _dump(plan),
                                        "t": datetime.now(UTC)})])
    return plan


def summary(company_id: int, key: str,
            compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A JSON-able result that depends only on the company's targets (and what the key
    names), kept under the key plus the company's counter: computed once per change."""
    prefix = f"v{CODE_VERSION}|{company_id}|{key}|"
    row_key = prefix + str(counters([company_scope(company_id)])[0])
    raw = db.session.scalar(select(SummaryCache.data).where(SummaryCache.key == row_key))
    if raw is not None:
        return dict(json.loads(raw))
    value = compute()
    # Older versions of the same summary go (their counter has moved on).
    store_apart("summary", [
        (_DROP_SUMMARIES, {"p": prefix + "%"}),
        (_STORE_SUMMARY, {"k": row_key, "d": json.dumps(value, separators=(",", ":")),
                          "t": datetime.now(UTC)})])
    return value

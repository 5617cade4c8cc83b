"""`flask planner bench-tracking`: the tracking page on the 2,000-rep company with a year
of visits.

Builds the benchmark company of planner.devtools.bench (2,000 reps in 50 teams and 5
regions, 7 metrics decomposed product line > team > rep), adds a director, 20 customers
per rep and a year of visits up to yesterday (at least 250,000, some with amounts signed
and collected, some first wins), then times the tracking page as the director sees it at
company, region, team and rep level (Flask's test client: routing, session, the queries,
the SVG and the template) and the company export of every rep.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text

from ..db import refresh_statistics
from ..extensions import db
from ..models import (
    Company,
    Customer,
    FiscalYear,
    Metric,
    OrgUnit,
    Role,
    Stage,
    UnitKind,
    User,
    Visit,
)
from ..services.calendar import company_calendar
from ..services.targets import apply_plan, plan_decompose
from . import bench

VISITS_PER_REP = 130  # 2,000 reps -> 260,000 visits
CUSTOMERS_PER_REP = 20


@dataclass
class TrackingBench:
    visits: int
    customers: int
    build_s: float
    timings_ms: dict[str, list[float]] = field(default_factory=dict)
    cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # this process's CPU time
    load: str = ""

    def median(self, key: str) -> float:
        return statistics.median(self.timings_ms[key])


def build(today: date) -> tuple[FiscalYear, User]:
    """The big company (bench.build_company), decomposed, with a director, customers and
    a year of visits. Returns the fiscal year and the director."""
    fy, _rep = bench.build_company(today)
    metrics = list(db.session.scalars(select(Metric).where(
        Metric.company_id == fy.company_id).order_by(Metric.sort)))
    for tree, ctx in bench._trees(fy, metrics):
        apply_plan(plan_decompose(tree, ctx, tree.roots[0], bench.DIMS, "capability"), None)
        db.session.commit()
    company = fy.company
    root = db.session.scalar(select(OrgUnit).where(OrgUnit.company_id == company.id,
                                                   OrgUnit.kind == UnitKind.COMPANY))
    assert root is not None
    director = User(username="bench-director", display_name="Director", password_hash="!",
                    role=Role.ADMIN, unit_id=root.id)
    db.session.add(director)
    won = Stage(company_id=company.id, code="won", name="Won", sort=5, is_won=True)
    db.session.add(won)
    db.session.flush()
    lead = db.session.scalar(select(Stage).where(Stage.company_id == company.id,
                                                 Stage.code == "lead"))
    assert lead is not None
    reps = list(db.session.scalars(select(User.id).where(
        User.role == Role.REP, User.unit_id.in_(select(OrgUnit.id).where(
            OrgUnit.company_id == company.id))).order_by(User.id)))
    write_year(company, reps, lead.id, won.id, today)
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        refresh_statistics(db.session.connection())  # as the app keeps them (sampled)
    else:
        db.session.execute(text("ANALYZE"))  # what autovacuum would do in a while
    db.session.commit()
    return fy, director


def write_year(company: Company, reps: list[int], lead_id: int, won_id: int,
               today: date, seed: int = 7) -> None:
    """Customers and a year of visits, in bulk (Core executemany, in chunks)."""
    rng = random.Random(seed)
    cal = company_calendar(company)
    days = cal.working_days(date(today.year, 1, 1), today - timedelta(days=1))
    now = datetime.now(UTC)
    cust_rows: list[dict[str, Any]] = []
    for r in reps:
        for k in range(CUSTOMERS_PER_REP):
            is_won = k < 3
            cust_rows.append({
                "uuid": str(uuid.uuid4()), "company_id": company.id, "owner_id": r,
                "name": f"Customer {r}-{k}", "contact_name": "", "phone": "", "address": "",
                "stage_id": won_id if is_won else lead_id, "notes": "",
                "first_won_on": days[rng.randrange(len(days))] if is_won else None,
                "created_at": now, "updated_at": now})
    db.session.execute(Customer.__table__.insert(), cust_rows)
    ids: dict[int, list[int]] = {}
    for cid, owner in db.session.execute(select(Customer.id, Customer.owner_id).where(
            Customer.company_id == company.id)):
        ids.setdefault(owner, []).append(cid)
    kinds = ["existing", "existing", "cold", "return", "phone"]
    chunk: list[dict[str, Any]] = []
    for r in reps:
        mine = ids[r]
        for k in range(VISITS_PER_REP):
            day = days[(k * len(days)) // VISITS_PER_REP]
            signed = rng.randint(80, 220) * 10_000 if rng.random() < 0.05 else 0
            collected = rng.randint(80, 240) * 10_000 if rng.random() < 0.05 else 0
            chunk.append({
                "id": str(uuid.uuid4()), "user_id": r, "customer_id": mine[k % len(mine)],
                "kind": kinds[rng.randrange(5)],
                "visited_at": datetime.combine(day, dtime(10, 0), UTC), "local_date": day,
                "place": "", "purpose": "", "notes": "", "outcome": "",
                "amount_signed": signed, "amount_collected": collected, "expenses": 0,
                "materials": "", "created_at": now})
            if len(chunk) >= 20_000:
                db.session.execute(Visit.__table__.insert(), chunk)
                chunk = []
    if chunk:
        db.session.execute(Visit.__table__.insert(), chunk)


def run(app: Flask, runs: int = 5, today: date | None = None) -> TrackingBench:
    today = today or date.today()
    t0 = time.perf_counter()
    with app.app_context():
        fy, director = build(today)
        build_s = time.perf_counter() - t0
        n_visits = db.session.scalar(select(func.count()).select_from(Visit)) or 0
        n_customers = db.session.scalar(select(func.count()).select_from(Customer)) or 0
        region = db.session.scalar(select(OrgUnit).where(
            OrgUnit.company_id == fy.company_id, OrgUnit.kind == UnitKind.REGION)
            .order_by(OrgUnit.id))
        team = db.session.scalar(select(OrgUnit).where(
            OrgUnit.company_id == fy.company_id, OrgUnit.kind == UnitKind.TEAM)
            .order_by(OrgUnit.id))
        rep = db.session.scalar(select(User).where(User.username == "bench0007"))
        assert region is not None and team is not None and rep is not None
        login = director.get_id()
        urls = {
            "company (month)": "/tracking?period=month",
            "company (year)": "/tracking?period=year",
            "region (year)": f"/tracking?period=year&unit={region.id}",
            "team (year)": f"/tracking?period=year&unit={team.id}",
            "rep (year)": f"/tracking?period=year&rep={rep.id}",
            "company export, every rep (year, xlsx)":
                "/tracking/export.xlsx?period=year&table=reps",
        }
        db.session.remove()
    result = TrackingBench(n_visits, n_customers, build_s)
    try:
        result.load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        result.load = "?"
    # As wsgi.py does for the served app once it is built: what exists now is out of the
    # cyclic collector's reach, so the timings below are a served page's.
    gc.collect()
    gc.freeze()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = login
        sess["_fresh"] = True
    for name, url in urls.items():
        client.get(url)  # warm: calendar caches, templates
        times, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            if resp.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {resp.status_code}")
        result.timings_ms[name] = times
        result.cpu_ms[name] = cpu
    return result

"""The decomposition benchmark (`flask planner bench-decompose`).

Builds, in a throwaway database, a company of 2,000 reps in 50 teams (5 regions), 7
metrics and 5 product lines; decomposes the fiscal year product line > team > rep for
every metric (2,000 x 5 x 7 x 12 = 840,000 monthly cells, plus quarters) and writes it;
then logs one visit for one rep and recomputes that rep's plan down to today's target.
"""

from __future__ import annotations

import queue
import statistics
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Company,
    Customer,
    FiscalYear,
    Metric,
    MetricUnit,
    OrgUnit,
    ProductLine,
    Role,
    Stage,
    Target,
    TargetCell,
    Tier,
    UnitKind,
    User,
    Visit,
    VisitKind,
)
from ..services.company import local_today
from ..services.targets import (
    Context,
    Plan,
    Tree,
    apply_plan,
    load_tree,
    plan_decompose,
    serialise_new_nodes,
)
from .demo_targets import ensure_company_targets

REPS, TEAMS, REGIONS, PRODUCTS = 2000, 50, 5, 5
METRICS = [
    ("revenue", MetricUnit.MONEY, "amount_signed", 2_000_000_000_00),
    ("collections", MetricUnit.MONEY, "amount_collected", 1_800_000_000_00),
    ("visits", MetricUnit.COUNT, "visits", 2000 * 3 * 245),
    ("cold_visits", MetricUnit.COUNT, "visits_cold", 2000 * 245),
    ("return_visits", MetricUnit.COUNT, "visits_return", 2000 * 120),
    ("contracts", MetricUnit.COUNT, "contracts", 2000 * 25),
    ("new_customers", MetricUnit.COUNT, "new_customers", 2000 * 5),
]
DIMS = ["product_line", "team", "rep"]


@dataclass
class BenchResult:
    targets: int
    month_cells: int
    cells: int
    engine_s: float
    write_s: float  # what the writes add on top of the engine (pipelined)
    recompute_ms: float
    recompute_runs: int
    recompute_cpu_ms: float = 0.0  # CPU time: what a loaded machine does not inflate

    @property
    def total_s(self) -> float:
        return self.engine_s + self.write_s


def build_company(today: date) -> tuple[FiscalYear, User]:
    """The big company, written in bulk. Returns its fiscal year and one rep."""
    company = Company(name="Bench Co", timezone="Asia/Shanghai")
    db.session.add(company)
    db.session.flush()
    root = OrgUnit(company_id=company.id, kind=UnitKind.COMPANY, code="bench", name="Bench")
    db.session.add(root)
    db.session.flush()
    root.set_path()
    teams: list[OrgUnit] = []
    for r in range(REGIONS):
        region = OrgUnit(company_id=company.id, kind=UnitKind.REGION, code=f"r{r}",
                         name=f"Region {r}", parent_id=root.id, sort=r)
        db.session.add(region)
        db.session.flush()
        region.path = f"{root.path}{region.id}/"
        for t in range(TEAMS // REGIONS):
            team = OrgUnit(company_id=company.id, kind=UnitKind.TEAM, code=f"t{r}-{t}",
                           name=f"Team {r}-{t}", parent_id=region.id, sort=t)
            db.session.add(team)
            db.session.flush()
            team.path = f"{region.path}{team.id}/"
            teams.append(team)
    for i in range(PRODUCTS):
        db.session.add(ProductLine(company_id=company.id, code=f"p{i}", name=f"Product {i}",
                                   sort=i))
    for i, (code, unit, source, _v) in enumerate(METRICS):
        db.session.add(Metric(company_id=company.id, code=code, name=code, unit=unit,
                              additive=True, source=source, sort=i))
    db.session.add(Stage(company_id=company.id, code="lead", name="Lead", sort=0))
    db.session.flush()
    now = datetime.now(UTC)
    db.session.execute(User.__table__.insert(), [
        {"username": f"bench{i:04d}", "display_name": f"Rep {i}", "password_hash": "!",
         "role": Role.REP, "unit_id": teams[i % TEAMS].id, "active": True,
         "session_token": uuid.uuid4().hex, "capability": 40 + (i * 37) % 60,
         "phone": "", "created_at": now} for i in range(REPS)])
    fy = FiscalYear(company_id=company.id, year=today.year, first_month=1,
                    start=date(today.year, 1, 1), end=date(today.year, 12, 31),
                    dimensions=DIMS)
    db.session.add(fy)
    db.session.flush()
    ensure_company_targets(fy, {code: {"value": v, "time_method": "working_days",
                                       "time_params": {}}
                                for code, _u, _s, v in METRICS})
    db.session.commit()
    rep = db.session.scalar(select(User).where(User.username == "bench0007"))
    assert rep is not None
    return fy, rep


def _trees(fy: FiscalYear, metrics: list[Metric]) -> list[tuple[Tree, Context]]:
    """Each metric's tree and context; the company snapshot is loaded once."""
    out: list[tuple[Tree, Context]] = []
    for m in metrics:
        out.append((load_tree(fy, m, Tier.BASE), Context(fy, m, like=out[0][1] if out else None)))
    return out


def decompose_all(fy: FiscalYear) -> tuple[float, float]:
    """Decompose every metric's company target product line > team > rep and write it.
    Returns (engine seconds, total seconds with the pipelined writes)."""
    metrics = list(db.session.scalars(select(Metric).where(
        Metric.company_id == fy.company_id).order_by(Metric.sort)))
    t0 = time.perf_counter()
    trees = _trees(fy, metrics)
    load_s = time.perf_counter() - t0

    # The engine alone: every plan computed, nothing written.
    t0 = time.perf_counter()
    for tree, ctx in trees:
        plan_decompose(tree, ctx, tree.roots[0], DIMS, "capability")
    engine_s = load_s + time.perf_counter() - t0

    # Engine and writes together, pipelined on the two cores: a thread computes the next
    # metric's plan (pure Python on snapshots) while this thread writes the last one.
    t0 = time.perf_counter()
    trees = _trees(fy, metrics)
    plans: queue.Queue[Plan | BaseException] = queue.Queue(maxsize=2)

    sqlite = db.session.get_bind().dialect.name == "sqlite"

    def compute() -> None:
        try:
            for tree, ctx in trees:
                plan = plan_decompose(tree, ctx, tree.roots[0], DIMS, "capability")
                if sqlite:  # the rows as JSON for the writer's INSERT ... SELECT, made here
                    plan.bulk = serialise_new_nodes(plan.new_nodes, tree.additive,
                                                    plan.changes)
                plans.put(plan)
        except BaseException as exc:  # handed to the writer, which raises it
            plans.put(exc)

    worker = threading.Thread(target=compute, daemon=True)
    worker.start()
    for _ in trees:
        got = plans.get()
        if isinstance(got, BaseException):
            raise got
        apply_plan(got, None)
        db.session.commit()
    worker.join()
    return engine_s, time.perf_counter() - t0


def run(today: date | None = None, runs: int = 20) -> BenchResult:
    """Build, decompose and write, then time one rep's recompute (median of `runs`)."""
    today = today or date.today()
    fy, rep = build_company(today)
    engine_s, total_s = decompose_all(fy)
    write_s = total_s - engine_s
    targets = db.session.scalar(select(func.count(Target.id)).where(
        Target.fiscal_year_id == fy.id)) or 0
    cells = db.session.scalar(select(func.count()).select_from(TargetCell)) or 0
    month_cells = db.session.scalar(
        select(func.count()).select_from(TargetCell).join(Target, Target.id == TargetCell.target_id)
        .where(Target.user_id.is_not(None), TargetCell.kind == "month")) or 0

    # One new visit for one rep, then that rep's plan down to today's target.
    company = fy.company
    day = local_today(company)
    if not fy.start <= day <= fy.end:
        day = fy.start + timedelta(days=200)
    stage = db.session.scalar(select(Stage).where(Stage.company_id == company.id))
    assert stage is not None
    customer = Customer(company_id=company.id, owner_id=rep.id, name="Bench customer",
                        stage_id=stage.id)
    db.session.add(customer)
    db.session.flush()
    db.session.add(Visit(user_id=rep.id, customer_id=customer.id, kind=VisitKind.COLD,
                         visited_at=datetime.now(UTC), local_date=day,
                         amount_signed=1_000_00))
    db.session.commit()
    from ..services.rep_plan import rep_plan

    # As in a request: a fresh session (not the writer's, which holds every object the
    # build loaded) on a database whose write-ahead log has been checkpointed.
    rep_id = rep.id
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    rep = db.session.get(User, rep_id)
    assert rep is not None
    timings, cpu = [], []
    for _ in range(runs):
        db.session.expire_all()
        t0, c0 = time.perf_counter(), time.process_time()
        plan_ = rep_plan(rep, day)
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert plan_.metrics, "the rep has no targets"
    return BenchResult(targets, month_cells, cells, engine_s, write_s,
                       statistics.median(timings) * 1000, runs,
                       statistics.median(cpu) * 1000)

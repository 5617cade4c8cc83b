"""The big company for page benchmarks: `bench.build_company` (2,000 reps in 50 teams, 5
regions, every metric decomposed product line > team > rep) plus what a year of use
leaves behind: staff who log in (a director, a manager per region and per team),
customers, a year of visits (>= 250,000 by default) and a year of daily plans.

`build_big_company()` writes it into the current app's (empty, migrated) database;
`ensure_big_company(url)` builds it once into a file (or a PostgreSQL database) and
reuses it afterwards, so a benchmark builds the company only once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select

from ..db import refresh_statistics
from ..extensions import db
from ..models import (
    Company,
    Customer,
    DailyPlan,
    DailyPlanItem,
    OrgUnit,
    Role,
    Stage,
    UnitKind,
    User,
    Visit,
    VisitKind,
)
from ..services.calendar import company_calendar
from .bench import build_company, decompose_all

BIG_PASSWORD = "planner-bench-2026"
COMPANY_NAME = "Bench Co"
_KINDS = [VisitKind.COLD, VisitKind.EXISTING, VisitKind.RETURN, VisitKind.PHONE]


@dataclass
class BigCo:
    company_id: int
    director: str
    region_manager: str
    team_manager: str
    reps: list[str]  # the first ones have a year of daily plans
    reps_without_plans: list[str]
    visits: int
    daily_plans: int
    plan_items: int
    build_s: float


def _insert(table: Any, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(table.insert(), rows[i:i + chunk])


def _next_id(model: Any) -> int:
    return int(db.session.scalar(select(func.max(model.id))) or 0) + 1


def _staff(company: Company, pw: str, now: datetime) -> list[OrgUnit]:
    """A director at the top, a manager per region and per team; reps log in too.
    Returns the company's units."""
    units = list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.company_id == company.id).order_by(OrgUnit.id)))
    root = next(u for u in units if u.kind == UnitKind.COMPANY)
    staff = [{"username": "bigdirector", "display_name": "Director", "role": Role.ADMIN,
              "unit_id": root.id}]
    for u in units:
        if u.kind != UnitKind.COMPANY:
            staff.append({"username": f"mgr-{u.code}", "display_name": f"Manager {u.code}",
                          "role": Role.MANAGER, "unit_id": u.id})
    db.session.execute(User.__table__.insert(), [
        {**s, "password_hash": pw, "active": True, "session_token": uuid.uuid4().hex,
         "capability": 50, "phone": "", "created_at": now} for s in staff])
    db.session.execute(User.__table__.update().where(User.role == Role.REP)
                       .values(password_hash=pw))

    return units


def _stages(company_id: int) -> dict[str, int]:
    stages = [("lead", 0, False, False), ("contacted", 1, False, False),
              ("won", 5, True, False), ("lost", 6, False, True)]
    for code, sort, won, lost in stages:
        if db.session.scalar(select(Stage).where(Stage.company_id == company_id,
                                                 Stage.code == code)) is None:
            db.session.add(Stage(company_id=company_id, code=code, name=code, sort=sort,
                                 is_won=won, is_lost=lost))
    db.session.flush()
    stage_ids = {s.code: s.id for s in db.session.scalars(select(Stage).where(
        Stage.company_id == company_id))}

    return stage_ids


def _customers(company_id: int, reps: list[Any], stage_ids: dict[str, int],
               rng: random.Random, today: date, now: datetime,
               customers_per_rep: int) -> dict[int, list[int]]:
    """`customers_per_rep` each, some won last year, follow-ups around today: the ids of
    each rep's customers."""
    cid = _next_id(Customer)
    customers: list[dict[str, Any]] = []
    by_rep: dict[int, list[int]] = {}
    for uid, uname in reps:
        mine = []
        for k in range(customers_per_rep):
            stage = ("won" if k % 5 == 0 else "lost" if k % 7 == 6 else
                     "contacted" if k % 2 else "lead")
            customers.append({
                "id": cid, "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                "company_id": company_id, "owner_id": uid,
                "name": f"{uname} customer {k}", "contact_name": "", "phone": "",
                "address": "", "stage_id": stage_ids[stage], "notes": "",
                "next_follow_up": today + timedelta(days=rng.randint(-5, 20)),
                "first_won_on": date(today.year - 1, 1 + k % 12, 1) if stage == "won" else None,
                "created_at": now, "updated_at": now})
            mine.append(cid)
            cid += 1
        by_rep[uid] = mine
    _insert(Customer.__table__, customers)
    del customers

    return by_rep


@dataclass
class _Work:
    """A year of visits, rep by rep (bounded memory), and the daily plans."""

    rng: random.Random
    now: datetime
    work_days: list[date]
    tomorrow: date
    visits_per_rep_day: float
    daily_plans: bool
    items_per_plan: int

    def visits(self, uid: int, mine: list[int]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        offset = timedelta(hours=8)  # Asia/Shanghai has no daylight saving time
        for d in self.work_days:
            r = rng.random()
            n = 0 if r < 1 - self.visits_per_rep_day / 1.5 else (1 if r < 0.85 else 2)
            for _k in range(n):
                signed = rng.randint(1, 500) * 100_00 if rng.random() < 0.25 else 0
                at = datetime.combine(d, dtime(9 + rng.randint(0, 8), rng.randint(0, 59)))
                out.append({
                    "id": str(uuid.UUID(int=rng.getrandbits(128))), "user_id": uid,
                    "customer_id": rng.choice(mine), "kind": rng.choice(_KINDS),
                    "visited_at": (at - offset).replace(tzinfo=UTC), "local_date": d,
                    "place": "", "purpose": "", "notes": "", "outcome": "",
                    "amount_signed": signed,
                    "amount_collected": signed // 2 if rng.random() < 0.5 else 0,
                    "expenses": 0, "materials": "", "created_at": self.now})
        return out

    def write(self, reps: list[Any], by_rep: dict[int, list[int]],
              no_plans: set[int]) -> tuple[int, int, int]:
        n_visits = n_plans = n_items = 0
        plan_id = _next_id(DailyPlan)
        item_id = _next_id(DailyPlanItem)
        for start in range(0, len(reps), 100):
            visits: list[dict[str, Any]] = []
            plans: list[dict[str, Any]] = []
            items: list[dict[str, Any]] = []
            for uid, _uname in reps[start:start + 100]:
                mine = by_rep[uid]
                visits += self.visits(uid, mine)
                if not self.daily_plans or uid in no_plans:
                    continue
                for d in [*self.work_days, self.tomorrow]:
                    plans.append({"id": plan_id, "user_id": uid, "day": d,
                                  "notes": "", "created_at": self.now})
                    for c in self.rng.sample(mine, min(self.items_per_plan, len(mine))):
                        items.append({"id": item_id, "plan_id": plan_id, "customer_id": c,
                                      "purpose": ""})
                        item_id += 1
                    plan_id += 1
            _insert(Visit.__table__, visits)
            _insert(DailyPlan.__table__, plans)
            _insert(DailyPlanItem.__table__, items)
            n_visits += len(visits)
            n_plans += len(plans)
            n_items += len(items)
            db.session.commit()
        return n_visits, n_plans, n_items


def _analyze() -> None:
    """Move the sequences past the ids written by hand (PostgreSQL) and refresh the
    planner's statistics."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("customer", "daily_plan", "daily_plan_item", "user_account"):
            db.session.execute(db.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))  # what autovacuum would do in a while
    else:
        refresh_statistics(db.session.connection())  # what the app keeps (sampled)
    db.session.commit()


def build_big_company(today: date | None = None, visits_per_rep_day: float = 0.6,
                      customers_per_rep: int = 20, daily_plans: bool = True,
                      items_per_plan: int = 3, reps_without_plans: int = 50,
                      seed: int = 2026) -> BigCo:
    """Write the big company into the current (empty) database and return its logins.

    Visits: on every working day of the 365 days up to `today` (company-local), each
    rep logs 0-2 visits (mean `visits_per_rep_day`); a quarter carry an amount signed.
    Daily plans: one per rep and working day over the same year (and tomorrow), each with
    `items_per_plan` customers, except for the last `reps_without_plans` reps (Today with
    and without a year of plans side by side). Deterministic for a given seed and day."""
    t_start = time.perf_counter()
    tz = ZoneInfo("Asia/Shanghai")
    today = today or datetime.now(tz).date()
    fy, _rep = build_company(today)
    decompose_all(fy)
    company = fy.company
    rng = random.Random(seed)
    hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    pw = hasher.hash(BIG_PASSWORD)
    now = datetime.now(UTC)

    units = _staff(company, pw, now)
    stage_ids = _stages(company.id)
    reps = list(db.session.execute(select(User.id, User.username).where(
        User.role == Role.REP).order_by(User.id)))
    cal = company_calendar(company)
    days = [today - timedelta(days=d) for d in range(364, -1, -1)]
    work_days = [d for d in days if cal.is_working_day(d)]
    tomorrow = today + timedelta(days=1)
    while not cal.is_working_day(tomorrow):
        tomorrow += timedelta(days=1)

    by_rep = _customers(company.id, reps, stage_ids, rng, today, now, customers_per_rep)
    no_plans = {uid for uid, _u in reps[len(reps) - reps_without_plans:]} \
        if reps_without_plans else set()
    work = _Work(rng, now, work_days, tomorrow, visits_per_rep_day, daily_plans,
                 items_per_plan)
    n_visits, n_plans, n_items = work.write(reps, by_rep, no_plans)
    _analyze()
    first_team = next(u for u in units if u.kind == UnitKind.TEAM)
    first_region = next(u for u in units if u.kind == UnitKind.REGION)
    return BigCo(company.id, "bigdirector", f"mgr-{first_region.code}",
                 f"mgr-{first_team.code}", [u for i, u in reps if i not in no_plans],
                 [u for i, u in reps if i in no_plans], n_visits, n_plans, n_items,
                 time.perf_counter() - t_start)


def existing_big_company() -> BigCo | None:
    """The big company already in the current database, or None."""
    company = db.session.scalar(select(Company).where(Company.name == COMPANY_NAME))
    if company is None or db.session.scalar(select(User.id).where(
            User.username == "bigdirector")) is None:
        return None
    reps = list(db.session.scalars(select(User.username).where(
        User.role == Role.REP).order_by(User.id)))
    with_plans = set(db.session.scalars(select(User.username).join(
        DailyPlan, DailyPlan.user_id == User.id).where(User.role == Role.REP).distinct()))
    return BigCo(company.id, "bigdirector", "mgr-r0", "mgr-t0-0",
                 [r for r in reps if r in with_plans], [r for r in reps if r not in with_plans],
                 db.session.scalar(select(func.count()).select_from(Visit)) or 0,
                 db.session.scalar(select(func.count()).select_from(DailyPlan)) or 0,
                 db.session.scalar(select(func.count()).select_from(DailyPlanItem)) or 0,
                 0.0)


def ensure_big_company(url: str, factory: Callable[[dict[str, Any]], Flask],
                       rebuild: bool = False, **kwargs: Any) -> BigCo:
    """Build the big company into `url` once (a SQLite file, or a PostgreSQL database
    whose public schema is dropped and recreated), or reuse what is there. Migrates the
    database to the current head either way."""
    from flask_migrate import upgrade

    if url.startswith("sqlite:///") and rebuild:
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    app = factory({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    with app.app_context():
        if rebuild and url.startswith("postgres"):
            db.session.execute(db.text("DROP SCHEMA IF EXISTS public CASCADE"))
            db.session.execute(db.text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        big = existing_big_company()
        if big is None:
            big = build_big_company(**kwargs)
        db.session.remove()
        db.engine.dispose()
    return big

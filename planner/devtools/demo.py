"""The demo company: deterministic and idempotent (run twice, same rows).

启明智能科技有限公司 (Qiming Smart Tech): 2 regions, 4 teams, a sales director, 4
managers, 24 reps, 5 product lines, 3 channels, 300 customers at different stages,
last year's monthly actuals per rep and product line, this year's visits so far, and
this year's company targets from the seed's own example.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from ..db import refresh_statistics
from ..extensions import db
from ..models import (
    Channel,
    Company,
    Customer,
    CustomerType,
    FiscalYear,
    Metric,
    MonthlyActual,
    OrgUnit,
    ProductLine,
    Role,
    Stage,
    UnitKind,
    User,
    Visit,
    VisitKind,
    VisitProduct,
)
from ..security import hash_password
from ..services.catalog import SEED_METRICS, SEED_STAGES
from ..services.company import company_tz, local_today

T = TypeVar("T")

DEMO_PASSWORD = "planner-demo-2026"
COMPANY_NAME = "启明智能科技有限公司"
NS = uuid.UUID("6f1c1e52-7d0e-4c52-9b51-2c0b3b7d9a10")

REGIONS = [("east", "华东区", "East China"), ("south", "华南区", "South China")]
TEAMS = [
    ("east", "sh", "上海组", "Shanghai team"),
    ("east", "hz", "杭州组", "Hangzhou team"),
    ("south", "gz", "广州组", "Guangzhou team"),
    ("south", "sz", "深圳组", "Shenzhen team"),
]
PRODUCTS = [
    ("lock", "智能门锁", "Smart locks"),
    ("camera", "安防摄像", "Security cameras"),
    ("intercom", "楼宇对讲", "Building intercoms"),
    ("parking", "停车系统", "Parking systems"),
    ("service", "运维服务", "Maintenance services"),
]
CHANNELS = [("direct", "直销", "Direct"), ("distribution", "分销", "Distribution"),
            ("ecommerce", "电商", "E-commerce")]
CUSTOMER_TYPES = [("enterprise", "企业客户", "Enterprise"),
                  ("government", "政府机关", "Government"),
                  ("smb", "中小商户", "Small business")]
# The seed's lead stages and metrics: the ones every new company starts with.
STAGES = SEED_STAGES
METRICS = SEED_METRICS
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
         "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "文博", "思远", "海燕", "志强"]
CITY_WORDS = ["浦江", "西湖", "珠江", "南山", "滨江", "天河", "徐汇", "余杭", "福田", "越秀",
              "宝安", "萧山", "闵行", "番禺", "龙岗"]
BIZ_WORDS = ["物业", "地产", "酒店", "学校", "医院", "商场", "科技园", "公寓", "写字楼", "工厂"]

# The seed's example: revenue 10,000,000 CNY for the year, +15% over last year,
# quarters +10/+12/+13/+15%; 100 new customers as 20/30/40/10; satisfaction
# 85/88/90/90% (90% for the year); share 4.5/4.8/5.2/5.0% (5% for the year).
REVENUE_YEAR_FEN = 10_000_000 * 100
REVENUE_GROWTH_Q = [10, 12, 13, 15]
NEW_CUSTOMERS_Q = [20, 30, 40, 10]
SATISFACTION = (9000, [8500, 8800, 9000, 9000])
SHARE = (500, [450, 480, 520, 500])
# Activity targets for the company (24 reps): visits, cold, return, contracts, collections.
ACTIVITY_YEAR = {
    "visits": 24 * 3 * 245,
    "cold_visits": 24 * 1 * 245,
    "return_visits": 24 * 245 // 2,
    "contracts": 600,
    "collections": 9_000_000 * 100,
}
# Seasonal shape of last year's sales by month (percent of the year, adds to 100).
SEASON = [6, 5, 8, 8, 8, 9, 8, 8, 9, 9, 10, 12]


@dataclass
class Login:
    role: str
    username: str
    name: str
    unit: str


def _get_or_create(model: type[T], defaults: dict[str, Any] | None = None, **keys: Any) -> T:
    obj = db.session.scalar(select(model).filter_by(**keys))
    if obj is None:
        obj = model(**keys, **(defaults or {}))
        db.session.add(obj)
        db.session.flush()
    return obj


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _org_tree(company: Company) -> tuple[OrgUnit, list[OrgUnit]]:
    """The company's unit, its regions and their teams (root, teams)."""
    root = _get_or_create(
        OrgUnit, company_id=company.id, code="qiming",
        defaults={"kind": UnitKind.COMPANY, "name": COMPANY_NAME,
                  "name_en": "Qiming Smart Tech Co., Ltd."},
    )
    root.set_path()
    regions: dict[str, OrgUnit] = {}
    for i, (code, zh, en) in enumerate(REGIONS):
        u = _get_or_create(OrgUnit, company_id=company.id, code=code, defaults={
            "kind": UnitKind.REGION, "name": zh, "name_en": en,
            "parent_id": root.id, "sort": i})
        db.session.refresh(u)
        u.set_path()
        regions[code] = u
    teams: list[OrgUnit] = []
    for i, (region, code, zh, en) in enumerate(TEAMS):
        u = _get_or_create(OrgUnit, company_id=company.id, code=code, defaults={
            "kind": UnitKind.TEAM, "name": zh, "name_en": en,
            "parent_id": regions[region].id, "sort": i})
        db.session.refresh(u)
        u.set_path()
        teams.append(u)
    return root, teams


def _catalog(company: Company) -> None:
    """Product lines, channels, customer types, stages and metrics."""
    for model, rows in ((ProductLine, PRODUCTS), (Channel, CHANNELS),
                        (CustomerType, CUSTOMER_TYPES)):
        for i, (code, zh, en) in enumerate(rows):
            _get_or_create(model, company_id=company.id, code=code,
                           defaults={"name": zh, "name_en": en, "sort": i})
    for i, (code, zh, en, won, lost) in enumerate(STAGES):
        _get_or_create(Stage, company_id=company.id, code=code,
                       defaults={"name": zh, "name_en": en, "sort": i, "is_won": won,
                                 "is_lost": lost})
    for i, (code, zh, en, unit, additive, source) in enumerate(METRICS):
        _get_or_create(Metric, company_id=company.id, code=code,
                       defaults={"name": zh, "name_en": en, "unit": unit, "additive": additive,
                                 "source": source, "sort": i})


def _people(rng: random.Random, root: OrgUnit,
            teams: list[OrgUnit]) -> tuple[list[Login], list[User]]:
    """The director, a manager per team and six reps each: (logins, reps)."""
    # People. Passwords are hashed once; a second run leaves them alone.
    used: set[str] = set()
    logins: list[Login] = []
    pw_hash: str | None = None

    def person(username: str, role: Role, unit: OrgUnit, manager: User | None) -> User:
        nonlocal pw_hash
        name = _person(rng, used)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            pw_hash = hash_password(DEMO_PASSWORD)
            user = User(username=username, display_name=name, password_hash=pw_hash, role=role,
                        unit_id=unit.id, manager_id=manager.id if manager else None,
                        capability=rng.randint(40, 90))
            db.session.add(user)
            db.session.flush()
        else:
            rng.randint(40, 90)  # keep the random stream the same on a second run
        logins.append(Login(role.value, username, user.display_name, unit.name))
        return user

    director = person("director", Role.ADMIN, root, None)
    reps: list[User] = []
    n = 0
    for t_i, team in enumerate(teams):
        manager = person(f"manager{t_i + 1}", Role.MANAGER, team, director)
        for _ in range(6):
            n += 1
            reps.append(person(f"rep{n:02d}", Role.REP, team, manager))
    return logins, reps


def load_demo(today: date | None = None) -> list[Login]:
    """Create (or complete) the demo company. Returns the demo logins."""
    rng = random.Random(20260101)
    company = _get_or_create(Company, name=COMPANY_NAME, defaults={"timezone": "Asia/Shanghai"})
    today = today or local_today(company)
    root, teams = _org_tree(company)
    _catalog(company)
    logins, reps = _people(rng, root, teams)

    _customers(company, reps, rng, today)
    _history(company, reps, rng, today)
    _visits(company, reps, rng, today)
    fy = _fiscal_year(company, today.year)
    db.session.commit()

    from .demo_targets import ensure_company_targets

    ensure_company_targets(fy, company_targets_spec())
    db.session.commit()
    _decompose(company, fy)
    from .demo_stages import backfill_demo  # tracking: the funnel's stage history

    backfill_demo(company, today)
    refresh_statistics(db.session.connection())
    db.session.commit()
    return logins


# How the demo year is decomposed to every rep: region > team > rep, by last year's share
# where the demo has history for the metric, else by the reps' capability scores.
DEMO_DIMS = ["region", "team", "rep"]
DEMO_SPLIT = {"revenue": "last_year", "visits": "last_year", "new_customers": "last_year",
              "contracts": "last_year"}


def _decompose(company: Company, fy: FiscalYear) -> None:
    """Decompose every metric's company target to the reps, once (idempotent)."""
    from ..services.targets import decompose_year

    metrics = db.session.scalars(select(Metric).where(
        Metric.company_id == company.id).order_by(Metric.sort)).all()
    for metric in metrics:
        method = DEMO_SPLIT.get(metric.code, "capability")
        decompose_year(fy, metric, DEMO_DIMS, method, only_if_empty=True)
        db.session.commit()


def _fiscal_year(company: Company, year: int) -> FiscalYear:
    first = company.fiscal_first_month or 1
    start = date(year, first, 1)
    end = (date(year + 1, first, 1) if first == 1 else date(year + 1, first, 1)) - timedelta(days=1)
    return _get_or_create(
        FiscalYear, company_id=company.id, year=year,
        defaults={"first_month": first, "start": start, "end": end,
                  "dimensions": ["region", "team", "rep"]},
    )


def company_targets_spec() -> dict[str, dict[str, Any]]:
    """Company-level targets per metric code: the year value and how it splits over time."""
    spec: dict[str, dict[str, Any]] = {
        "revenue": {"value": REVENUE_YEAR_FEN, "time_method": "growth",
                    "time_params": {"growth": REVENUE_GROWTH_Q}},
        "new_customers": {"value": sum(NEW_CUSTOMERS_Q), "time_method": "quarters",
                          "time_params": {"quarters": NEW_CUSTOMERS_Q}},
        "satisfaction": {"value": SATISFACTION[0], "time_method": "quarters",
                         "time_params": {"quarters": SATISFACTION[1]}},
        "share": {"value": SHARE[0], "time_method": "quarters",
                  "time_params": {"quarters": SHARE[1]}},
    }
    for code, value in ACTIVITY_YEAR.items():
        spec[code] = {"value": value, "time_method": "working_days", "time_params": {}}
    return spec


def _customers(company: Company, reps: list[User], rng: random.Random, today: date) -> None:
    stages = {s.code: s for s in db.session.scalars(select(Stage).where(
        Stage.company_id == company.id))}
    ctypes = list(db.session.scalars(select(CustomerType).where(
        CustomerType.company_id == company.id).order_by(CustomerType.sort)))
    channels = list(db.session.scalars(select(Channel).where(
        Channel.company_id == company.id).order_by(Channel.sort)))
    existing = set(db.session.scalars(select(Customer.uuid).where(
        Customer.company_id == company.id)))
    # 300 customers at different stages: the won ones are the base of existing business.
    weights = {"lead": 60, "need": 40, "contacted": 35, "call": 30, "trust": 25, "won": 90,
               "lost": 20}
    pool = [code for code, w in weights.items() for _ in range(w)]
    for i in range(300):
        rep = reps[i % len(reps)]
        cuuid = str(uuid.uuid5(NS, f"customer-{i}"))
        stage = pool[i]
        name = f"{rng.choice(CITY_WORDS)}{rng.choice(BIZ_WORDS)}{i + 1:03d}"
        contact = rng.choice(SURNAMES) + rng.choice(["先生", "女士", "经理", "总"])
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        follow = today + timedelta(days=rng.randint(-6, 20))
        ctype = ctypes[i % len(ctypes)]
        channel = channels[rng.randrange(len(channels))]
        address = f"{name[:2]}路{rng.randint(1, 999)}号"
        if cuuid in existing:  # a second run: every random draw above was still made
            continue
        db.session.add(Customer(
            uuid=cuuid, company_id=company.id, owner_id=rep.id, name=name, contact_name=contact,
            phone=phone, address=address,
            customer_type_id=ctype.id, channel_id=channel.id, stage_id=stages[stage].id,
            next_follow_up=None if stage in {"lost"} else follow,
            first_won_on=date(today.year - 1, 1 + i % 12, 1 + i % 28) if stage == "won" else None,
        ))
    db.session.flush()


def _history(company: Company, reps: list[User], rng: random.Random, today: date) -> None:
    """Last year's monthly actuals per rep and product line (revenue, and per rep the
    activity metrics), the history that splits by last year's share use."""
    metrics = {m.code: m for m in db.session.scalars(select(Metric).where(
        Metric.company_id == company.id))}
    products = list(db.session.scalars(select(ProductLine).where(
        ProductLine.company_id == company.id).order_by(ProductLine.sort)))
    ly = today.year - 1
    have = {(a.metric_id, a.user_id, a.product_line_id, a.month) for a in db.session.scalars(
        select(MonthlyActual).where(MonthlyActual.month >= date(ly, 1, 1),
                                    MonthlyActual.month <= date(ly, 12, 1)))}
    # Last year's company revenue is this year's target over the seed's quarter growth.
    q_targets = [REVENUE_YEAR_FEN * w // 100 for w in (24, 25, 25, 26)]
    ly_q = [t * 100 // (100 + g) for t, g in zip(q_targets, REVENUE_GROWTH_Q, strict=True)]
    product_mix = [30, 25, 20, 15, 10]
    rep_weight = [rng.randint(60, 140) for _ in reps]
    total_rep_weight = sum(rep_weight)
    rows: list[MonthlyActual] = []
    for m in range(12):
        q = m // 3
        q_season = SEASON[q * 3:q * 3 + 3]
        month_total = ly_q[q] * SEASON[m] // sum(q_season)
        for r_i, rep in enumerate(reps):
            rep_total = month_total * rep_weight[r_i] // total_rep_weight
            for p_i, product in enumerate(products):
                value = rep_total * product_mix[p_i] // 100
                value = value * rng.randint(85, 115) // 100 // 100 * 100  # whole yuan
                key = (metrics["revenue"].id, rep.id, product.id, date(ly, m + 1, 1))
                if key not in have:
                    rows.append(MonthlyActual(metric_id=key[0], user_id=rep.id,
                                              product_line_id=product.id, month=key[3],
                                              value=value))
            for code, base in (("visits", 60), ("new_customers", 1), ("contracts", 2)):
                value = max(0, base + rng.randint(-base // 3 - 1, base // 3 + 1))
                key = (metrics[code].id, rep.id, None, date(ly, m + 1, 1))
                if key not in have:
                    rows.append(MonthlyActual(metric_id=key[0], user_id=rep.id,
                                              product_line_id=None, month=key[3], value=value))
    db.session.add_all(rows)
    db.session.flush()


def _visits(company: Company, reps: list[User], rng: random.Random, today: date) -> None:
    """This year's visits up to yesterday: the actuals Today starts from."""
    from ..engine import WorkCalendar

    cal = WorkCalendar(country=company.country or "CN")
    tz = company_tz(company)
    products = list(db.session.scalars(select(ProductLine).where(
        ProductLine.company_id == company.id).order_by(ProductLine.sort)))
    by_owner: dict[int, list[Customer]] = {}
    for c in db.session.scalars(select(Customer).where(Customer.company_id == company.id)
                                .order_by(Customer.id)):
        by_owner.setdefault(c.owner_id, []).append(c)
    have = set(db.session.scalars(select(Visit.id).where(Visit.user_id.in_([r.id for r in reps]))))
    kinds = [VisitKind.EXISTING, VisitKind.EXISTING, VisitKind.COLD, VisitKind.RETURN,
             VisitKind.PHONE]
    start = date(today.year, 1, 1)
    days = cal.working_days(start, today - timedelta(days=1)) if today > start else []
    new_visits: list[Visit] = []
    new_products: list[VisitProduct] = []
    for rep in reps:
        mine = by_owner.get(rep.id, [])
        if not mine:
            continue
        n = 0
        for day in days:
            for _ in range(rng.choice((2, 3, 3, 4))):
                n += 1
                vid = str(uuid.uuid5(NS, f"visit-{rep.username}-{n}"))
                cust = mine[rng.randrange(len(mine))]
                kind = kinds[rng.randrange(len(kinds))]
                signed = 0
                if rng.random() < 0.028:
                    signed = rng.randint(80, 220) * 10_000  # 8,000 - 22,000 CNY, in fen
                collected = rng.randint(80, 240) * 10_000 if rng.random() < 0.03 else 0
                at = datetime.combine(
                    day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tz
                )
                expenses = rng.choice((0, 0, 3000, 5000, 12000))
                product = products[rng.randrange(len(products))]
                if vid in have:  # a second run: every random draw above was still made
                    continue
                new_visits.append(Visit(
                    id=vid, user_id=rep.id, customer_id=cust.id, kind=kind, visited_at=at,
                    local_date=day, purpose="产品介绍" if kind == VisitKind.COLD else "跟进需求",
                    outcome="", amount_signed=signed, amount_collected=collected,
                    expenses=expenses,
                ))
                if signed:
                    new_products.append(VisitProduct(visit_id=vid, product_line_id=product.id,
                                                     amount_signed=signed))
    db.session.add_all(new_visits)
    db.session.flush()
    db.session.add_all(new_products)
    db.session.flush()

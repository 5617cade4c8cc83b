"""The demo and benchmark companies' targets of a fiscal year, written whole (demo-only:
the app decomposes through planner.services.targets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import FiscalYear, Metric, OrgUnit, Target, Tier, UnitKind
from ..services.calendar import company_calendar
from ..services.targets import split_year, write_cells


def company_root(company_id: int) -> OrgUnit:
    root: OrgUnit | None = db.session.scalar(
        select(OrgUnit).where(OrgUnit.company_id == company_id, OrgUnit.kind == UnitKind.COMPANY)
    )
    if root is None:
        raise LookupError("the company has no root unit")
    return root


def root_target(fy: FiscalYear, metric: Metric, tier: Tier = Tier.BASE) -> Target | None:
    return db.session.scalar(
        select(Target).where(
            Target.fiscal_year_id == fy.id,
            Target.metric_id == metric.id,
            Target.tier == tier,
            Target.parent_id.is_(None),
        )
    )


def ensure_company_targets(fy: FiscalYear, spec: dict[str, dict[str, Any]]) -> list[Target]:
    """Create the company-level targets of `fy` that do not exist yet (idempotent)."""
    company = fy.company
    root = company_root(company.id)
    cal = company_calendar(company)
    metrics = {m.code: m for m in db.session.scalars(
        select(Metric).where(Metric.company_id == company.id))}
    made: list[Target] = []
    for code, s in spec.items():
        metric = metrics[code]
        if root_target(fy, metric) is not None:
            continue
        t = Target(
            fiscal_year_id=fy.id, metric_id=metric.id, tier=Tier.BASE, unit_id=root.id,
            value=int(s["value"]), time_method=s["time_method"], time_params=s["time_params"],
            locked=True,
        )
        db.session.add(t)
        q_vals, m_vals = split_year(fy, metric, t.value, s["time_method"], s["time_params"], cal)
        write_cells(t, fy, q_vals, m_vals)
        made.append(t)
    db.session.flush()
    return made

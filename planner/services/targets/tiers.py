"""Tiers of a target: the sprint and challenge company targets beside the base one."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ... import engine
from ...engine import quarters_of
from ...extensions import db
from ...models import AuditLog, FiscalYear, Metric, Target, TargetCell, Tier, User
from .input import MAX_GROWTH, MAX_VALUE, MIN_GROWTH, DecomposeError, _
from .store import load_tree
from .year_split import fy_months, fy_quarters


def tier_roots(fy: FiscalYear, metric: Metric) -> dict[str, int]:
    """{tier: company value} for the tiers that are set."""
    rows = db.session.execute(
        select(Target.tier, Target.value).where(
            Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
            Target.parent_id.is_(None))).all()
    return {str(tr.value if isinstance(tr, Tier) else tr): int(v) for tr, v in rows}


def scope_values(fy: FiscalYear, metric: Metric) -> dict[tuple[Any, ...], dict[str, int]]:
    """{scope: {tier: value}} for showing tiers side by side."""
    t = Target.__table__
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for r in db.session.execute(select(
            t.c.tier, t.c.unit_id, t.c.user_id, t.c.product_line_id, t.c.channel_id,
            t.c.customer_type_id, t.c.value).where(
            t.c.fiscal_year_id == fy.id, t.c.metric_id == metric.id)):
        out[(r.unit_id, r.user_id, r.product_line_id, r.channel_id,
             r.customer_type_id)][str(r.tier)] = int(r.value)
    return out


def create_tier(fy: FiscalYear, metric: Metric, tier: Tier, percent: Decimal,
                user: User | None) -> Target:
    """Create a sprint/challenge company target = base x (100 + percent)%, shaped like
    the base over the months. The caller commits."""
    if tier == Tier.BASE:
        raise DecomposeError(_("The base tier always exists."))
    base = load_tree(fy, metric, Tier.BASE)
    if not base.roots:
        raise DecomposeError(_("Set the base target first."))
    if load_tree(fy, metric, tier).roots:
        raise DecomposeError(_("This tier is already set."))
    root = base.roots[0]
    if percent < -100:
        raise DecomposeError(_("A target cannot be negative."))
    if percent > MAX_GROWTH:
        raise DecomposeError(_("Use a percentage from %(lo)s to %(hi)s.", lo=MIN_GROWTH,
                               hi=MAX_GROWTH))
    value = int((Decimal(root.value) * (100 + percent) / 100).to_integral_value())
    if value > MAX_VALUE * (100 + MAX_GROWTH) // 100:  # fits a BIGINT with room to spare
        raise DecomposeError(_("The result would be too large."))
    months = engine.allocate(value, root.months) if metric.additive else \
        [int((Decimal(m) * (100 + percent) / 100).to_integral_value()) for m in root.months]
    t = Target(fiscal_year_id=fy.id, metric_id=metric.id, tier=tier, unit_id=root.unit_id,
               value=value, locked=True, time_method=root.time_method,
               time_params=root.time_params, updated_by_id=user.id if user else None)
    db.session.add(t)
    db.session.flush()
    for kind, periods, vals in (("quarter", fy_quarters(fy),
                                 quarters_of(months, bool(metric.additive))),
                                ("month", fy_months(fy), months)):
        for p, v in zip(periods, vals, strict=True):
            db.session.add(TargetCell(target_id=t.id, kind=kind, start=p.start, end=p.end,
                                      value=v))
    db.session.add(AuditLog(user_id=user.id if user else None, action="create",
                            entity="target", entity_id=t.id, field="value", old_value=None,
                            new_value=str(value), details={"tier": str(tier)}))
    db.session.flush()
    return t

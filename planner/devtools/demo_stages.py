"""The demo company's lead-stage history (StageMove), made up once so that the demo's
funnel has counts and durations (real companies log moves as they happen:
planner.services.stage_history)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Company, Customer, Stage, StageMove


def backfill_demo(company: Company, today: date) -> int:
    """The demo company's stage history, made once and deterministically: each customer
    walks the pipeline from the first stage to the stage it is in now (a lost customer
    is lost after a stage or two; a won customer's win is its first_won_on, which for
    half of the won customers moves into this year, so the demo year has new customers
    and wins in its funnel)."""
    have = db.session.scalar(select(func.count()).select_from(StageMove).join(
        Customer, Customer.id == StageMove.customer_id).where(
        Customer.company_id == company.id))
    if have:
        return 0
    stages = list(db.session.scalars(select(Stage).where(
        Stage.company_id == company.id).order_by(Stage.sort)))
    pipeline = [s for s in stages if not s.is_won and not s.is_lost]
    won = next((s for s in stages if s.is_won), None)
    rng = random.Random(13)
    start = date(today.year, 1, 1)
    span = max(1, (today - start).days)
    rows = []
    for c in db.session.scalars(select(Customer).where(Customer.company_id == company.id)
                                .order_by(Customer.id)):
        current = next((s for s in stages if s.id == c.stage_id), None)
        if current is None:
            continue
        if current.is_won and won is not None:
            path = pipeline[:rng.randint(2, len(pipeline))] + [current]
            if c.id % 2 == 0 and span > 30:  # half of them were won this year
                c.first_won_on = start + timedelta(days=rng.randint(20, span - 1))
        elif current.is_lost:
            path = pipeline[:rng.randint(1, 3)] + [current]
        else:
            path = pipeline[:pipeline.index(current) + 1] if current in pipeline else [current]
        end = c.first_won_on if current.is_won and c.first_won_on else \
            start + timedelta(days=rng.randint(span // 3, span))
        # Days in each stage, spread back from the last move.
        gaps = [rng.randint(2, 25) for _ in path[1:]]
        day = end - timedelta(days=sum(gaps))
        prev = None
        for i, s in enumerate(path):
            rows.append(StageMove(customer_id=c.id, user_id=c.owner_id,
                                  from_stage_id=prev.id if prev else None, to_stage_id=s.id,
                                  day=day))
            prev = s
            if i < len(gaps):
                day += timedelta(days=gaps[i])
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)

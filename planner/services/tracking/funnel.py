"""The pipeline funnel of a rep, team, region or the company for a period, read from the
stage history (StageMove) with GROUP BY in SQL.

Definitions (also in README.md):

- reached: customers with a move in the period into this stage or a later one of the
  pipeline (by the stages' order; "lost" is not later than anything);
- entered: customers with a move into exactly this stage in the period;
- conversion from a stage to the next: reached(next) / reached(this);
- average days in a stage: over the stays that ended in the period (the move out of the
  stage was in the period), the days from the move in to the move out;
- stuck longest: customers in the stage now (the scope's own customers), by the days
  since they entered it (since they were created, when there is no move).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import Customer, Stage, StageMove
from .scopes import Scope, user_ids

STUCK = 5


@dataclass
class StageRow:
    stage: Stage
    reached: int = 0
    entered: int = 0
    conversion: float | None = None  # to the next stage of the pipeline
    avg_days: float | None = None
    stays: int = 0
    stuck: list[tuple[int, str, int]] = field(default_factory=list)  # id, name, days


@dataclass
class Funnel:
    start: date
    end: date
    rows: list[StageRow]
    lost: StageRow | None


def _days_between(a: object, b: object) -> object:
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(a) - func.julianday(b)
    return a - b  # type: ignore[operator]


def funnel(scope: Scope, company_id: int, start: date, end: date, today: date) -> Funnel:
    stages = list(db.session.scalars(select(Stage).where(
        Stage.company_id == company_id).order_by(Stage.sort, Stage.id)))
    pipeline = [s for s in stages if not s.is_lost]
    lost_stage = next((s for s in stages if s.is_lost), None)
    users = user_ids(scope)
    per_top, entered = _reached(users, start, end)
    stays = _stays(users, start, end)
    rows: list[StageRow] = []
    for s in pipeline:
        reached = sum(n for top, n in per_top.items() if top is not None and top >= s.sort)
        n, avg = stays.get(s.id, (0, None))
        rows.append(StageRow(s, reached, int(entered.get(s.id, 0)), None, avg, n))
    for a, b in zip(rows, rows[1:], strict=False):
        a.conversion = b.reached / a.reached if a.reached else None
    _stuck(rows, users, today)
    lost = None
    if lost_stage is not None:
        n_lost = int(entered.get(lost_stage.id, 0))
        lost = StageRow(lost_stage, n_lost, n_lost, None, None, 0)
    return Funnel(start, end, rows, lost)


def _reached(users: Any, start: date, end: date) -> tuple[dict[Any, int], dict[Any, int]]:
    """({furthest pipeline stage's sort: customers}, {stage id: customers entering it}) of
    the moves in the period."""
    sm = StageMove.__table__.c
    st = Stage.__table__.c
    in_period = and_(sm.day >= start, sm.day <= end, sm.user_id.in_(users))
    # Furthest stage reached in the period, per customer; then customers per furthest.
    furthest = (select(sm.customer_id, func.max(st.sort).label("top"))
                .join(Stage.__table__, st.id == sm.to_stage_id)
                .where(in_period, st.is_lost.is_(False)).group_by(sm.customer_id).subquery())
    per_top: dict[Any, int] = dict(db.session.execute(
        select(furthest.c.top, func.count()).group_by(furthest.c.top)).all())
    entered: dict[Any, int] = dict(db.session.execute(
        select(sm.to_stage_id, func.count(func.distinct(sm.customer_id)))
        .where(in_period).group_by(sm.to_stage_id)).all())
    return per_top, entered


def _stays(users: Any, start: date, end: date) -> dict[Any, tuple[int, float | None]]:
    """{stage id: (stays that ended in the period, their average days)}: each move and
    the customer's next move."""
    sm = StageMove.__table__.c
    nxt = (select(sm.to_stage_id.label("stage_id"), sm.day.label("day"),
                  func.lead(sm.day).over(partition_by=sm.customer_id,
                                         order_by=(sm.day, sm.id)).label("left_on"))
           .where(sm.user_id.in_(users)).subquery())
    days = _days_between(nxt.c.left_on, nxt.c.day)
    return {sid: (int(n), float(avg) if avg is not None else None)
            for sid, n, avg in db.session.execute(
                select(nxt.c.stage_id, func.count(), func.avg(days))
                .where(nxt.c.left_on >= start, nxt.c.left_on <= end)
                .group_by(nxt.c.stage_id)).all()}


def _stuck(rows: list[StageRow], users: Any, today: date) -> None:
    """The customers stuck longest in each open stage (not won, not lost)."""
    sm = StageMove.__table__.c
    c = Customer.__table__.c
    entered_on = (select(func.max(sm.day)).where(sm.customer_id == c.id,
                                                  sm.to_stage_id == c.stage_id)
                  .correlate(Customer.__table__).scalar_subquery())
    for row in rows:
        if row.stage.is_won:
            continue
        got = db.session.execute(
            select(c.id, c.name, entered_on, c.created_at)
            .where(c.owner_id.in_(users), c.stage_id == row.stage.id)
            .order_by(func.coalesce(entered_on, func.date(c.created_at)), c.id)
            .limit(STUCK)).all()
        for cid, name, since, created in got:
            since_day = since if since is not None else created.date()
            if isinstance(since_day, str):
                since_day = date.fromisoformat(since_day[:10])
            row.stuck.append((cid, name, (today - since_day).days))

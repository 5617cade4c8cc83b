"""The one-rep recompute takes only this week's and this dekad's shares of the month
(services/plan.week_and_dekad) instead of the whole split: the same numbers as
engine.split_month_down, for every day and every demo rep."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from planner import engine
from planner.extensions import db
from planner.models import Role, User
from planner.services.calendar import company_calendar
from planner.services.rep_plan import rep_plan, week_and_dekad


def _split(value: int, month: engine.Period, cal: engine.WorkCalendar, day: date
           ) -> tuple[int, int]:
    split = engine.split_month_down(value, month, cal)
    week = next((v for p, v in split["weeks"] if day in p), 0)
    dekad = next((v for p, v in split["dekads"] if day in p), 0)
    return week, dekad


def test_week_and_dekad_equal_the_whole_split_on_every_day() -> None:
    cals = [engine.WorkCalendar(),
            engine.WorkCalendar(extra_holidays={date(2026, 3, 10), date(2026, 3, 11)},
                                extra_workdays={date(2026, 3, 14)})]
    for cal in cals:
        for m in range(1, 13):
            month = engine.month_period(2026, m)
            for value in (0, 1, 7, 1_000, 123_456_789):
                d = month.start
                while d <= month.end:
                    assert week_and_dekad(value, month, cal, d) == _split(value, month, cal, d)
                    d += timedelta(days=1)


def test_every_demo_reps_plan_has_the_splits_weeks_and_dekads(app: Flask) -> None:
    with app.app_context():
        reps = list(db.session.scalars(select(User).where(User.role == Role.REP)))
        assert reps
        for rep in reps:
            cal = company_calendar(rep.company)
            plan = rep_plan(rep)
            for m in plan.metrics:
                if m.run is None:
                    assert (m.week_target, m.dekad_target) == (m.target, m.target)
                else:
                    assert (m.week_target, m.dekad_target) == _split(
                        m.target, m.period, cal, plan.day), (rep.username, m.metric.code)
        db.session.remove()

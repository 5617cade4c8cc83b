"""Tracking: every level adds up to its parent, for every metric and period; the figures
agree with the rep's own plan; the burn-up ends at the achieved figure; who sees what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import login
from flask import Flask
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import User, Visit
from planner.refusal import NotFound, Refused
from planner.services import tracking as tk
from planner.services.rep_plan import rep_plan


def _user(name: str) -> User:
    u = db.session.scalar(select(User).where(User.username == name))
    assert u is not None
    return u


@pytest.mark.parametrize("kind", tk.PERIOD_KINDS)
def test_the_company_total_is_the_sum_over_reps_for_every_metric(app: Flask, app_ctx: None,
                                                                   kind: str) -> None:
    director = _user("director")
    scope = tk.top_scope(director)
    assert scope.kind == "company"
    tr = tk.track(director, scope, kind)
    assert len(tr.reps) == 24
    assert tr.metrics and all(m.additive for m in tr.metrics)
    some_target = False
    for m in tr.metrics:
        total = tr.total.figs[m.code]
        assert total.target == sum(r.figs[m.code].target for r in tr.reps)
        assert total.achieved == sum(r.figs[m.code].achieved for r in tr.reps)
        # Each level (regions, then each region's teams) adds up to its parent.
        assert total.target == sum(c.figs[m.code].target for c in tr.children)
        assert total.achieved == sum(c.figs[m.code].achieved for c in tr.children)
        assert total.target == sum(t.figs[m.code].target for t in tr.teams)
        some_target = some_target or total.target > 0
        # The actual straight from the visits table, by hand.
        if m.source == "visits":
            n = db.session.scalar(select(func.count()).select_from(Visit).where(
                Visit.local_date >= tr.period.start, Visit.local_date <= tr.day))
            assert total.achieved == n
    assert some_target or kind == "day"
    for region in tr.children:
        sub = tk.track(director, region.scope, kind)
        for m in tr.metrics:
            assert sub.total.figs[m.code].target == region.figs[m.code].target
            assert sub.total.figs[m.code].target == sum(
                c.figs[m.code].target for c in sub.children)
            assert sub.total.figs[m.code].achieved == sum(
                c.figs[m.code].achieved for c in sub.children)


def test_a_reps_month_matches_their_own_plan(app: Flask, app_ctx: None) -> None:
    rep = _user("rep05")
    tr = tk.track(rep, tk.top_scope(rep), "month")
    plan = {m.metric.code: m for m in rep_plan(rep, tr.day).metrics}
    for m in tr.metrics:
        assert tr.total.figs[m.code].target == plan[m.code].target
        assert tr.total.figs[m.code].achieved == plan[m.code].achieved


def test_dekads_weeks_and_days_add_up_to_the_month(app: Flask, app_ctx: None) -> None:
    director = _user("director")
    scope = tk.top_scope(director)
    month = tk.track(director, scope, "month", on=date(date.today().year, 3, 15),
                     today=date(date.today().year, 12, 31))
    parts = [tk.track(director, scope, "dekad", on=d, today=date(d.year, 12, 31))
             for d in (month.period.start, month.period.start + timedelta(days=10),
                       month.period.start + timedelta(days=20))]
    for m in month.metrics:
        assert sum(p.total.figs[m.code].target for p in parts) == month.total.figs[m.code].target
        assert sum(p.total.figs[m.code].achieved for p in parts) == \
            month.total.figs[m.code].achieved
    days = [tk.track(director, scope, "day", on=month.period.start + timedelta(days=i),
                     today=date(month.period.start.year, 12, 31))
            for i in range(month.period.length)]
    code = month.metrics[0].code
    assert sum(d.total.figs[code].target for d in days) == month.total.figs[code].target


def test_the_burnup_ends_at_the_target_and_its_last_actual_point_is_the_achieved(
        app: Flask, app_ctx: None) -> None:
    director = _user("director")
    for kind in ("year", "month", "week"):
        tr = tk.track(director, tk.top_scope(director), kind)
        for m in tr.metrics:
            b = tk.burnup(tr, m.code)
            actual = [p for p in b.points if p.actual is not None]
            assert actual[-1].day == tr.day
            assert actual[-1].actual == tr.total.figs[m.code].achieved
            assert b.points[-1].target == tr.total.figs[m.code].target


@pytest.mark.parametrize("dim", tk.DIMENSIONS)
def test_the_dimension_lines_add_up_to_the_total(app: Flask, app_ctx: None, dim: str) -> None:
    director = _user("director")
    tr = tk.track(director, tk.top_scope(director), "year")
    lines = tk.by_dimension(tr, dim)
    for m in tr.metrics:
        assert sum(ln.figs[m.code].target for ln in lines) == tr.total.figs[m.code].target
        assert sum(ln.figs[m.code].achieved for ln in lines) == tr.total.figs[m.code].achieved


def test_a_bad_date_shows_the_current_period_and_says_so(app: Flask) -> None:
    c = app.test_client()
    login(c, "manager1")
    page = c.get("/tracking?on=2026-13-45&lang=en").get_data(as_text=True)
    assert "is not a date between" in page and "Burn-up" in page


def test_a_scope_the_viewer_may_not_see_is_refused_as_not_found(app: Flask,
                                                                 app_ctx: None) -> None:
    """The service refuses (NotFound, a Refused) and leaves the 404 to the web layer: no
    HTTP exception from a service."""
    manager, rep01, rep07 = _user("manager1"), _user("rep01"), _user("rep07")
    other_team = rep07.unit_id
    assert tk.resolve_scope(manager, None, rep01.id).user == rep01
    for unit_id, rep_id in ((other_team, None), (None, rep07.id), (99_999_999, None),
                            (None, 99_999_999), (None, manager.id)):
        with pytest.raises(NotFound):
            tk.resolve_scope(manager, unit_id, rep_id)
    with pytest.raises(NotFound):  # a rep sees only their own figures
        tk.resolve_scope(rep01, rep01.unit_id, None)
    with pytest.raises(NotFound):
        tk.resolve_scope(rep01, None, rep07.id)
    assert issubclass(NotFound, Refused)

"""The manager's home shows the progress of their own unit's reps, to the figure."""

from __future__ import annotations

from conftest import login
from flask import Flask
from sqlalchemy import select

from planner.extensions import db
from planner.models import User
from planner.services.plan import rep_plan
from planner.services.progress import team_progress


def test_a_manager_sees_exactly_their_teams_reps(app: Flask, app_ctx: None) -> None:
    m1 = db.session.scalar(select(User).where(User.username == "manager1"))
    assert m1 is not None
    progress = team_progress(m1)
    assert sorted(r.user.username for r in progress.reps if r.user) == [
        f"rep{n:02d}" for n in range(1, 7)
    ]
    assert len(progress.units) == 1  # one team: no grand total row


def test_each_reps_row_matches_their_own_plan(app: Flask, app_ctx: None) -> None:
    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    progress = team_progress(director)
    assert len(progress.reps) == 24
    rep_row = next(r for r in progress.reps if r.user and r.user.username == "rep03")
    assert rep_row.user is not None
    plan = {m.metric.code: m for m in rep_plan(rep_row.user, progress.day).metrics}
    for code in ("revenue", "visits", "contracts", "collections"):
        assert rep_row.cells[code].target == plan[code].target
        assert rep_row.cells[code].achieved == plan[code].achieved
    # Teams add up to the company.
    grand = progress.units[-1]
    for code, cell in grand.cells.items():
        assert cell.target == sum(u.cells[code].target for u in progress.units[:-1])
        assert cell.achieved == sum(r.cells[code].achieved for r in progress.reps)


def test_the_team_page_renders_for_managers_and_is_404_for_reps(app: Flask) -> None:
    client = app.test_client()
    login(client, "manager2")
    page = client.get("/team?lang=en").get_data(as_text=True)
    assert "Team progress" in page and "rep07" not in page  # names shown, not usernames
    assert "By team" in page
    rep = app.test_client()
    login(rep, "rep01")
    assert rep.get("/team").status_code == 404

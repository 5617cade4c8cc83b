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


def test_every_rep_on_team_links_to_their_plans_action_plan_and_customers(app: Flask) -> None:
    """Issue 8 item 18: a manager reaches each rep's week and month plan, action plan and
    customers from Team, and each link opens that rep's page (not the manager's own)."""
    import re

    with app.app_context():
        reps = {u.id: u.display_name for u in db.session.scalars(
            select(User).where(User.username.in_([f"rep{n:02d}" for n in range(1, 7)])))}
        other = db.session.scalar(select(User.id).where(User.username == "rep07"))
    client = app.test_client()
    login(client, "manager1")
    page = client.get("/team?lang=en").get_data(as_text=True)
    for uid, name in reps.items():
        links = [f"/plans/week?user={uid}", f"/plans/month?user={uid}",
                 f"/plans/action?user={uid}&amp;period=month", f"/customers?user={uid}"]
        for link in links:
            assert f'href="{link}"' in page, (name, link)
            resp = client.get(link.replace("&amp;", "&"))
            assert resp.status_code == 200, link
            heading = re.search(r"<h1>(.*?)</h1>", resp.get_data(as_text=True), re.S)
            assert heading and name in heading.group(1), (link, heading)
    # Another team's rep is out of the manager's reach: no link, and typing the URL is a 404.
    assert f"user={other}" not in page
    for path in ("/plans/week", "/plans/month", "/plans/action", "/customers",
                 "/customers/board"):
        assert client.get(f"{path}?user={other}").status_code == 404, path

"""The manager's home shows the progress of their own unit's reps, to the figure."""

from __future__ import annotations

from conftest import login
from flask import Flask
from sqlalchemy import select

from planner.extensions import db
from planner.models import User
from planner.services.rep_plan import rep_plan
from planner.services.tracking import team_progress


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
    # The director's page shows the company by unit (no 24 rep rows); each unit opens.
    top = team_progress(director)
    assert top.reps == [] and top.unit is not None and top.unit.id == director.unit_id
    assert len(top.units) >= 2 and top.units[-1].is_total
    reps_seen = []
    grand = top.units[-1]
    for unit_row in top.units[:-1]:
        assert unit_row.unit is not None
        inner = team_progress(director, day=top.day, unit_id=unit_row.unit.id)
        total = inner.units[-1]
        for code, cell in unit_row.cells.items():  # a unit's row = its own page's total
            assert total.cells[code].target == cell.target
            assert total.cells[code].achieved == cell.achieved
        stack = [inner]
        while stack:
            p = stack.pop()
            reps_seen += p.reps
            for r in p.units:
                if not r.is_total and r.unit is not None:
                    stack.append(team_progress(director, day=top.day, unit_id=r.unit.id))
    assert len(reps_seen) == 24
    rep_row = next(r for r in reps_seen if r.user and r.user.username == "rep03")
    assert rep_row.user is not None
    plan = {m.metric.code: m for m in rep_plan(rep_row.user, top.day).metrics}
    for code in ("revenue", "visits", "contracts", "collections"):
        assert rep_row.cells[code].target == plan[code].target
        assert rep_row.cells[code].achieved == plan[code].achieved
    # Units add up to the company, and the reps to it too.
    for code, cell in grand.cells.items():
        assert cell.target == sum(u.cells[code].target for u in top.units[:-1])
        assert cell.target == sum(r.cells[code].target for r in reps_seen)
        assert cell.achieved == sum(r.cells[code].achieved for r in reps_seen)


def test_a_manager_cannot_open_a_unit_outside_their_own(app: Flask) -> None:
    with app.app_context():
        from planner.models import OrgUnit

        m1 = db.session.scalar(select(User).where(User.username == "manager1"))
        m2 = db.session.scalar(select(User).where(User.username == "manager2"))
        assert m1 is not None and m2 is not None
        other, mine = m2.unit_id, m1.unit_id
        root = db.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))
        db.session.remove()
    client = app.test_client()
    login(client, "manager1")
    assert client.get(f"/team?unit={mine}").status_code == 200
    for bad in (other, root, "abc", "99999999999999999999"):
        assert client.get(f"/team?unit={bad}").status_code == 404, bad
    director = app.test_client()
    login(director, "director")
    page = director.get("/team?lang=en").get_data(as_text=True)
    assert f"/team?unit={other}" in page or "/team?unit=" in page
    assert director.get(f"/team?unit={other}").status_code == 200


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
    """A manager reaches each rep's week and month plan, action plan and
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

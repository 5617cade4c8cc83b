"""A manager and the director track progress on a phone: drill from the company to a rep
one tap per level, change the period, see the burn-up and the ranking."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import log_in, page_errors, screenshot

pytestmark = pytest.mark.browser


def test_the_director_drills_from_the_company_to_a_rep_and_changes_the_period(
    phone: Any,
) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    log_in(page, "director")
    page.locator(".tabbar a", has_text="Tracking").click()
    page.wait_for_url("**/tracking*")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("svg.burn path.actual").count() == 1
    screenshot(page, "tracking-company")

    # Choose a metric; it stays chosen while drilling down.
    page.locator(".chips a", has_text="Visits").first.click()
    page.wait_for_load_state()
    crumbs = page.locator(".crumbs li")
    assert crumbs.count() == 1
    for level in (2, 3):  # region, then team: one tap each
        page.locator(".drill a.list-row").first.click()
        page.wait_for_load_state()
        assert crumbs.count() == level
        assert "active" in (page.locator(".chips a", has_text="Visits").first
                            .get_attribute("class") or "")
    screenshot(page, "tracking-team")
    team_name = crumbs.last.inner_text()
    page.locator(".drill a.list-row").first.click()  # a rep
    page.wait_for_load_state()
    assert crumbs.count() == 4 and "rep=" in page.url and "metric=visits" in page.url
    rep_name = crumbs.last.inner_text()
    assert rep_name and rep_name != team_name

    # Change the period: the quarter, then the week; the rep and the metric stay.
    page.locator(".kinds a", has_text="Quarter").click()
    page.wait_for_load_state()
    assert "period=quarter" in page.url and crumbs.last.inner_text() == rep_name
    assert " Q" in page.locator(".period-name").inner_text()
    assert page.locator("svg.burn path.target").count() == 1
    # The burn-up's last actual point is the achieved figure (its text alternative).
    page.locator("figure.chart details.alt summary").first.click()
    rows = page.locator(".burn-table tbody tr")
    achieved = page.locator(".summary dd.achieved").inner_text()
    actual_cells = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())]
    last = [c for c in actual_cells if c != "–"][-2 if "Forecast" in rows.last.inner_text()
                                                     else -1]
    assert last == achieved
    screenshot(page, "tracking-rep-quarter")

    # Back up to the team with the breadcrumb; the ranking shows its reps.
    page.locator(".crumbs a", has_text=team_name).click()
    page.wait_for_load_state()
    assert "period=quarter" in page.url and "metric=visits" in page.url
    ranking = page.locator("figure.chart", has=page.locator("h2", has_text="Ranking"))
    assert ranking.locator("svg.bars g").count() == 6
    page.locator(".kinds a", has_text="Week").click()
    page.wait_for_load_state()
    assert "period=week" in page.url
    screenshot(page, "tracking-team-week")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not errors, errors


def test_a_manager_sees_the_funnel_and_opens_a_stuck_customer(phone: Any) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    log_in(page, "manager1")
    page.goto("/tracking?period=year&lang=en")
    assert page.locator(".crumbs li").count() == 1  # their own team is their top
    page.get_by_role("link", name="Pipeline funnel").click()
    page.wait_for_load_state()
    assert page.locator(".funnel-table tbody tr").count() >= 6
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracking-funnel")
    page.locator(".stuck a.list-row").first.click()
    page.wait_for_url("**/customers/*")
    assert not errors, errors


def test_a_manager_adjusts_a_reps_month_from_tracking(phone: Any) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    log_in(page, "manager3")
    page.goto("/tracking?period=month&metric=visits&lang=en")
    page.locator(".drill a.list-row").first.click()  # a rep of their team
    page.wait_for_load_state()
    assert "rep=" in page.url
    page.get_by_role("link", name="Adjust this rep's target").click()
    page.wait_for_load_state()
    assert "span=month" in page.url  # from a month's tracking: the month is chosen
    assert page.locator(".spans a.active").inner_text() == "A month"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracking-adjust-month")
    page.fill("#remaining", "12")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    changes = page.locator(".tpreview .changes li")
    assert changes.count() >= 2  # the rep and at least one team-mate
    assert "locked" in changes.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracking-adjust-month-preview")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/tracking?*")
    assert "period=month" in page.url
    assert page.locator(".flash, [role=status]").first.inner_text()
    screenshot(page, "tracking-adjust-month-applied")
    assert not errors, errors

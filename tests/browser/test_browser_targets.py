"""The director rebalances a team on a phone: lock a rep, change a sibling, preview, apply."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SHOTS, log_in, page_errors, screenshot

pytestmark = pytest.mark.browser


def test_the_director_locks_a_rep_rebalances_the_team_and_sees_old_and_new_first(
    phone: Any,
) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    log_in(page, "director", lands="/targets")
    page.goto("/targets?metric=contracts&lang=en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "targets-tree")

    # Expand the first region, its first team: the reps appear (lazy-loaded by htmx).
    root = page.locator(".tlist > .tnode").first
    region = root.locator(":scope > .tkids > .tnode").first
    region.locator(":scope > .tcard .ttoggle").click()
    team = region.locator(":scope > .tkids > .tnode").first
    team.wait_for()
    team.locator(":scope > .tcard .ttoggle").click()
    reps = team.locator(":scope > .tkids > .tnode")
    reps.first.wait_for()
    assert reps.count() == 6

    # Lock the first rep: preview, then apply.
    first = reps.nth(0)
    first_value = first.locator(".tval").first.inner_text()
    first.locator("summary").click()
    first.get_by_role("button", name="Lock this value").click()
    first.locator(".tpreview").wait_for()
    assert "locked" in first.locator(".tpreview").inner_text()
    with page.expect_response(lambda r: "/lock/apply" in r.url):
        first.get_by_role("button", name="Apply").click()
    page.locator(".flash").wait_for()

    # The tree came back with the path open; change the second rep's value.
    team = page.locator(".tlist > .tnode").first.locator(":scope > .tkids > .tnode").first \
        .locator(":scope > .tkids > .tnode").first
    reps = team.locator(":scope > .tkids > .tnode")
    assert "locked" in reps.nth(0).locator(".tmeta").inner_text()
    second = reps.nth(1)
    second.locator("summary").click()
    second.locator("input[name=value]").fill("40")
    second.get_by_role("button", name="Preview").first.click()
    preview = second.locator(".tpreview")
    preview.wait_for()
    text = preview.inner_text()
    assert "→" in text and "40" in text
    # Each rep's name keeps its width at 360 px (it was squeezed to one glyph per line).
    labels = preview.locator(".tchange .tlabel")
    assert labels.count() >= 2
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box is not None and box["width"] > 60 and box["height"] < 30, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "targets-preview")
    second.locator(".tcard").first.screenshot(path=str(SHOTS / "targets-node-forms.png"))
    with page.expect_response(lambda r: "/edit/apply" in r.url):
        preview.get_by_role("button", name="Apply").click()
    page.locator(".flash").wait_for()
    page.wait_for_timeout(200)  # let htmx settle the swapped tree

    team = page.locator(".tlist > .tnode").first.locator(":scope > .tkids > .tnode").first \
        .locator(":scope > .tkids > .tnode").first
    reps = team.locator(":scope > .tkids > .tnode")
    assert reps.nth(0).locator(".tval").first.inner_text() == first_value  # locked: kept
    assert reps.nth(1).locator(".tval").first.inner_text() == "40"
    screenshot(page, "targets-applied")

    # A bad value answers inline and changes nothing.
    third = reps.nth(2)
    third.locator("summary").click()
    third.locator("input[name=value]").fill("-3")
    third.get_by_role("button", name="Preview").first.click()
    third.locator(".tpreview .error").wait_for()
    assert "negative" in third.locator(".tpreview").inner_text()
    screenshot(page, "targets-error")

    # The time view of the company target, down to days.
    page.goto(f"{page.url.split('/targets')[0]}/targets?metric=contracts&lang=en")
    page.locator(".tlist > .tnode").first.locator("summary").first.click()
    page.get_by_role("link", name="Quarters and months").first.click()
    page.locator(".tmonths a").nth(9).click()
    page.locator("#month-detail").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "targets-time")
    # The 422 of the bad value is the designed answer; anything else is a bug.
    assert [e for e in errors if "status of 422" not in e] == []

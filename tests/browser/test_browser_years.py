"""The director plans next year on a phone (360x740), with the company's clock on the
last day of this year: Targets -> Plan next year -> +15% -> Preview (the company target
and its quarters, nothing written) -> Create the draft -> Publish."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import SHOTS, log_in, page_errors, screenshot
from flask import Flask
from repday_helpers import user
from sqlalchemy import select
from years_helpers import company_clock, demo_year, drop_year

from planner.extensions import db
from planner.models import FiscalYear

pytestmark = pytest.mark.browser


def test_the_director_plans_and_publishes_next_year_on_a_phone(app: Flask, phone: Any) -> None:
    y = demo_year(app)
    with app.app_context():
        cid = user("director").unit.company_id
    drop_year(app, cid, y + 1)
    try:
        with company_clock(app, date(y, 12, 31)):
            _plan_and_publish(app, phone, y, cid)
    finally:
        drop_year(app, cid, y + 1)


def _plan_and_publish(app: Flask, phone: Any, y: int, cid: int) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    log_in(page, "director", lands="/targets")
    page.locator("#year-plan").click()
    page.wait_for_url("**/targets/years/new")
    assert page.locator("#growth").input_value() == "15"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "year-new")

    page.get_by_role("button", name="Preview").click()
    card = page.locator("#year-preview-card")
    card.wait_for()
    revenue = card.locator("#yp-revenue")
    assert int(revenue.get_attribute("data-value") or 0) > 0
    assert "Q4" in card.inner_text()
    card.locator("#yp-revenue details").nth(1).locator("summary").click()  # the reps
    assert card.locator("#yp-revenue details").nth(1).locator("tbody tr").count() == 24
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "year-preview")
    revenue.screenshot(path=str(SHOTS / "year-preview-revenue.png"))
    with app.app_context():  # a preview writes nothing
        assert db.session.scalar(select(FiscalYear.id).where(
            FiscalYear.company_id == cid, FiscalYear.year == y + 1)) is None

    page.locator("#year-create-2").click()
    page.wait_for_url(f"**/targets?fy={y + 1}&created=1")
    assert "draft" in page.locator("#year-status").inner_text().lower()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "year-draft")
    page.locator("#year-status").screenshot(path=str(SHOTS / "year-draft-status.png"))

    page.locator("#year-publish").click()
    page.wait_for_url(f"**/targets?fy={y + 1}&published=1")
    assert page.locator(".flash").first.inner_text().startswith(f"{y + 1}")
    # published and not begun: no draft to publish, no next year to plan yet
    assert page.locator("#year-status").count() == 0
    screenshot(page, "year-published")
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == cid, FiscalYear.year == y + 1))
        assert fy is not None and fy.status == "published"
    assert errors == []

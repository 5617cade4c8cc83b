"""A rep logs in on a phone in real Chromium, in Chinese and in English."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DEMO_PASSWORD, log_in, page_errors, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "button", "heading"),
    [("zh_Hans_CN", "登录", "今日计划"), ("en", "Log in", "Today's plan")],
)
def test_a_rep_logs_in_on_a_phone_and_lands_on_today(
    phone: Any, lang: str, button: str, heading: str
) -> None:
    page = phone.new_page()
    errors = page_errors(page, "error")
    page.goto(f"/login?lang={lang}")
    page.fill("#username", "rep01")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/today")
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    screenshot(page, f"today-{lang}")
    assert errors == []


def test_a_wrong_password_shows_the_message_in_the_browser(phone: Any) -> None:
    # A wrong password answers 401 on purpose; Chromium logs it as a failed resource.
    phone.console_watch.allow(r"status of 401 \(UNAUTHORIZED\) \[.*/login\]")
    page = phone.new_page()
    page.goto("/login?lang=en")
    page.fill("#username", "rep02")
    page.fill("#password", "wrong")
    page.get_by_role("button", name="Log in").click()
    assert "Wrong username or password." in page.locator("#login-error").inner_text()
    assert page.url.endswith("/login")


@pytest.mark.parametrize(
    ("username", "home", "heading"),
    [("manager1", "/team", "Team progress"), ("director", "/targets", None)],
)
def test_managers_and_the_director_land_on_their_own_home(
    phone: Any, username: str, home: str, heading: str | None
) -> None:
    page = log_in(phone.new_page(), username, lands=home)
    if heading:
        assert page.locator("h1").first.inner_text() == heading
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"home-{username}")

"""A company starts from an empty database, at 360x740: `planner setup`, the first
administrator logs in and lands on the set-up checklist, imports 2 regions, 4 teams and
12 reps from an xlsx sheet, chooses its metrics, adds 3 product lines, invites a rep, and
the rep activates the link in a browser of their own and logs in. The console stays
clean in both browsers. Screenshots in test-artifacts/setup-*.png.

Each step is a function of its own, run in order by the test; the fiscal year and the
decomposition steps go between `add_product_lines` and `invite_a_rep` (see JOURNEY)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PHONE, LiveServer, close_context, screenshot, watch_console
from flask import Flask
from org_helpers import dispose, empty_app, org_rows, xlsx
from test_browser_phone import SMALL_TARGETS

from planner.services.org.people_import import HEADERS

ADMIN, ADMIN_PASSWORD = "founder", "founder-password-2026"
REP_PASSWORD = "my-own-password-1"
EN = [en for _zh, en, _other in HEADERS.values()]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def company_app(tmp_path: Path) -> Iterator[Flask]:
    app = empty_app(tmp_path, "browser_setup")
    yield app
    dispose(app)


@pytest.fixture()
def server(company_app: Flask) -> Iterator[LiveServer]:
    srv = LiveServer(company_app)
    srv.start()
    yield srv
    srv.stop()


def run_setup(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=[
        "planner", "setup", "--name", "星河销售有限公司", "--timezone", "Asia/Shanghai",
        "--country", "CN", "--fiscal-first-month", "1", "--currency", "CNY",
        "--admin-username", ADMIN, "--admin-name", "陈总"],
        input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert ADMIN_PASSWORD not in result.output


def log_in_admin(page: Any) -> None:
    page.goto("/login?lang=en")
    page.fill("#username", ADMIN)
    page.fill("#password", ADMIN_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/admin")
    assert page.locator("#step-organisation .badge").inner_text() == "Not done"
    screenshot(page, "setup-1-checklist")


def import_people(page: Any) -> None:
    page.goto("/admin/import")
    sheet = {"name": "org.xlsx", "mimeType": XLSX_MIME, "buffer": xlsx(EN, org_rows("co"))}
    page.set_input_files("#people-file", files=[sheet])
    page.check("#dry-run")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_selector("#import-done")
    assert "Dry run" in page.inner_text("#import-done")
    page.set_input_files("#people-file", files=[sheet])
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_selector("#import-done")
    assert "new units: 6; new people: 16" in page.inner_text("#import-done")
    screenshot(page, "setup-2-imported")
    page.goto("/admin/units")
    assert page.locator(".tree-row").count() == 7  # the company, 2 regions, 4 teams


def choose_metrics(page: Any) -> None:
    page.goto("/admin/metrics")
    page.locator("section.metric-admin").first.locator("button[value=use]").click()
    page.wait_for_url("**/admin/metrics#metric-*")
    assert page.locator("section.metric-admin").first.locator(".badge.ok").count() == 1


def add_product_lines(page: Any) -> None:
    page.goto("/admin/catalog")
    for i, (code, zh, en) in enumerate((("lock", "智能门锁", "Smart locks"),
                                        ("cam", "安防摄像", "Cameras"),
                                        ("svc", "运维服务", "Services"))):
        form = page.locator("#product_line form.add-entry")
        form.locator("input[name=code]").fill(code)
        form.locator("input[name=name]").fill(zh)
        form.locator("input[name=name_en]").fill(en)
        form.locator("button[value=add]").click()
        page.locator("#product_line .cat-row").nth(i).wait_for()
        assert page.locator(f"#product_line .cat-row input[value='{en}']").count() == 1
    assert page.locator("#product_line .cat-row").count() == 3
    screenshot(page, "setup-3-catalogue")
    page.goto("/admin")
    for step in ("company", "organisation", "catalogue", "metrics"):
        assert page.locator(f"#step-{step} .badge").inner_text() == "Done", step
    screenshot(page, "setup-4-checklist")


def create_the_year(page: Any) -> None:
    """This fiscal year: revenue ¥10,000,000 split over the quarters by the seed's growth
    (+10/+12/+13/+15%), decomposed region > team > rep by capability; then published."""
    page.goto("/targets?lang=en")  # no fiscal year yet: says so, and offers to create it
    page.get_by_role("link", name="Create the fiscal year").click()
    page.wait_for_url("**/targets/years/new*")
    page.locator("input[name=mode][value=quarters]").check()
    for q, g in zip((1, 2, 3, 4), ("10", "12", "13", "15"), strict=True):
        page.fill(f"#growth_q{q}", g)
    page.fill("#value_revenue", "10000000")
    for i, dim in enumerate(("region", "team", "rep"), start=1):
        page.select_option(f"select[name=dim{i}]", dim)
    page.select_option("#method", "capability")
    page.locator("#year-create").click()
    page.wait_for_url("**/targets?fy=*")
    screenshot(page, "setup-5a-year-draft")
    page.locator("#year-publish").click()
    page.wait_for_load_state()
    assert page.locator("#year-publish").count() == 0  # published
    screenshot(page, "setup-5b-year-published")


def invite_a_rep(page: Any) -> str:
    page.goto("/admin/people")
    page.locator("a", has_text="销售21").click()
    page.wait_for_url("**/admin/people/*")
    page.locator("button[value=invite]").click()
    page.wait_for_selector(".invite-link svg")
    link = page.input_value("#activation-url")
    assert "/activate/" in link
    screenshot(page, "setup-5-invitation")
    return link


def admin_pages_fit_the_phone(page: Any) -> None:
    """Every administration page, in both languages: no sideways scroll, no tap target
    under 44x44 px."""
    unit = page.locator(".tree-row a").nth(3).get_attribute("href") if \
        page.goto("/admin/units") else None
    person = page.locator(".list-row a").first.get_attribute("href") if \
        page.goto("/admin/people") else None
    paths = ["/admin", "/admin/company", "/admin/units", unit, "/admin/people", person,
             "/admin/people/new", "/admin/import", "/admin/catalog", "/admin/metrics",
             "/admin/audit"]
    problems: dict[str, Any] = {}
    for lang in ("en", "zh_Hans_CN"):
        for path in paths:
            page.goto(f"{path}?lang={lang}")
            width = page.evaluate("document.documentElement.scrollWidth")
            small = page.evaluate(SMALL_TARGETS)
            if width > 360 or small:
                problems[f"{lang} {path}"] = (width, small[:6])
    page.goto("/admin?lang=en")
    assert problems == {}, problems


def rep_activates(context: Any, link: str) -> None:
    page = context.new_page()
    page.goto(link)
    page.fill("#password", "short")
    page.fill("#password2", "short")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#password-err")
    page.fill("#password", REP_PASSWORD)
    page.fill("#password2", REP_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/today")
    revenue = page.locator("#today-metrics [data-metric=revenue]")
    assert revenue.count() == 1, "the rep's Today shows this year's revenue target"
    screenshot(page, "setup-6-rep-today")
    # The app installs itself on the first Today (the service worker takes control and
    # may reload the page once): let it settle, or the reload could empty the login form.
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_load_state("networkidle")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")
    page.fill("#username", "co.rep21")
    page.fill("#password", REP_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    try:
        page.wait_for_url("**/today")
    except Exception:
        screenshot(page, "setup-debug")
        raise AssertionError(page.url + " " + page.inner_text("body")[:500]) from None
    page.goto(link)  # the link works once
    assert "used already" in page.inner_text("#link-problem")


# The administrator's journey, in order.
JOURNEY: list[Callable[[Any], None]] = [log_in_admin, import_people, choose_metrics,
                                        add_product_lines, create_the_year]


def test_a_company_starts_from_an_empty_database_on_a_phone(
        company_app: Flask, server: LiveServer, browser: Any) -> None:
    run_setup(company_app)
    admin_ctx = browser.new_context(base_url=server.url, **PHONE)
    rep_ctx = browser.new_context(base_url=server.url, **PHONE)
    watches = [watch_console(admin_ctx), watch_console(rep_ctx)]
    for w in watches:  # the bad password above answers 422 on purpose (conftest allows it)
        w.allow(r"status of 410")  # the used link's page answers 410 Gone, on purpose
    try:
        page = admin_ctx.new_page()
        for step in JOURNEY:
            step(page)
        link = invite_a_rep(page)
        admin_pages_fit_the_phone(page)
        rep_activates(rep_ctx, link)
        for p in (page,):
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"sideways scroll: {width}px"
    finally:
        close_context(admin_ctx)
        close_context(rep_ctx)
    problems = [p for w in watches for p in w.unexpected()]
    assert not problems, problems

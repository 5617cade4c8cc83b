"""Every page of every role at phone width (Chromium, 360x740), in Chinese and English:
nothing scrolls sideways, and every tap target is at least
44x44 CSS px. Every page without a parameter in the app's URL map is walked by some role
(or is listed in NOT_WALKED with the reason), so a new page cannot be left out.

What counts as a tap target: every visible a[href], button, input, select, textarea and
summary; a control wrapped in a label is measured by its label (the label is what the
finger hits; the control inside may be visually hidden). Excluded, as WCAG 2.5.8 allows
("Inline: the target is in a sentence"): a link that is inline inside a paragraph of
text (a <p> with text besides the link)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from conftest import log_in, screenshot
from flask import Flask
from sqlalchemy import delete, select

from planner.extensions import db
from planner.models import Customer, ReviewStatus, Target, User, Visit, WeeklyReview
from planner.models.plans import WeeklyReviewEvent

pytestmark = pytest.mark.browser

# PLANNER_SHOTS=1: a screenshot (360x740) of every page walked (test-artifacts/walk-*.png).
SHOOT_ALL = os.environ.get("PLANNER_SHOTS") == "1"

# [selector, text, width x height] of every target smaller than 44x44 on the page.
SMALL_TARGETS = """() => {
  const out = [];
  const inSentence = (a) => {
    if (getComputedStyle(a).display !== 'inline') return false;
    const p = a.closest('p');
    if (!p) return false;
    return p.textContent.replace(a.textContent, '').trim().length > 0;
  };
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label';
  for (const el of document.querySelectorAll(sel)) {
    if (el.tagName === 'LABEL' && !el.querySelector('input, select, textarea')) continue;
    if (el.matches('input, select, textarea') && el.closest('label')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    if (el.tagName === 'A' && inSentence(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) {
      const cls = typeof el.className === 'string' ? el.className.trim() : '';
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (cls ? '.' + cls.split(/\\s+/).join('.') : '');
      out.push(name + ' "' + (el.textContent || el.value || '').trim().slice(0, 24) + '" ' +
               Math.round(r.width) + 'x' + Math.round(r.height));
    }
  }
  return out;
}"""


# A rep's review the managers can decide on (the review and team pages with Approve and
# Return): rep01's, of a week long past, so that no other test's week sees it.
OLD_WEEK = date(2020, 1, 6)


@pytest.fixture(scope="module")
def old_review(app: Flask) -> Iterator[int]:
    with app.app_context():
        rep = db.session.scalar(select(User).where(User.username == "rep01"))
        assert rep is not None
        review = WeeklyReview(user_id=rep.id, week_start=OLD_WEEK, status=ReviewStatus.SUBMITTED,
                              completed="Visited 12 customers, signed two contracts",
                              next_focus="The hospital tender")
        db.session.add(review)
        db.session.commit()
        rid = review.id
        db.session.remove()
    yield rid
    with app.app_context():
        db.session.execute(delete(WeeklyReviewEvent).where(WeeklyReviewEvent.review_id == rid))
        db.session.execute(delete(WeeklyReview).where(WeeklyReview.id == rid))
        db.session.commit()
        db.session.remove()


# Selects whose chosen option does not fit (its text cut: "extra holida"). The text is
# measured in the select's font; the room is the select's width less its borders, its
# padding and the arrow (20 px in Chromium).
CUT_SELECTS = """() => [...document.querySelectorAll('select')].filter((s) => {
  if (!s.checkVisibility() || s.multiple || s.selectedIndex < 0) return false;
  const cs = getComputedStyle(s);
  const probe = document.createElement('span');
  probe.style.font = cs.font;
  probe.style.whiteSpace = 'pre';
  probe.style.position = 'absolute';
  probe.textContent = s.options[s.selectedIndex].text;
  document.body.appendChild(probe);
  const text = probe.getBoundingClientRect().width;
  probe.remove();
  const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
  return text > room;
}).map((s) => 'select[name=' + s.name + '] "' + s.options[s.selectedIndex].text + '"')"""


def _ids(app: Flask, review: int = 0) -> dict[str, Any]:
    with app.app_context():
        def uid(name: str) -> int:
            u = db.session.scalar(select(User.id).where(User.username == name))
            assert u is not None
            return int(u)

        rep = uid("rep01")
        customer = db.session.scalar(select(Customer.id).where(Customer.owner_id == rep)
                                     .order_by(Customer.id))
        visit = db.session.scalar(select(Visit.id).where(Visit.user_id == rep)
                                  .order_by(Visit.visited_at.desc()))
        root = db.session.scalar(select(Target.id).where(Target.parent_id.is_(None))
                                 .order_by(Target.id))
        db.session.remove()
        return {"rep": rep, "customer": customer, "visit": visit, "root": root, "review": review}


def pages(role: str, ids: dict[str, Any]) -> list[str]:
    rep = ids["rep"]
    # Tracking, reminders and reviews: every role has them.
    common = ["/tracking", "/tracking?period=week&dim=channel", "/tracking/funnel",
              "/reviews/history", "/notifications", "/notifications/settings"]
    if role == "rep01":
        return ["/today", "/visits/new", f"/visits/{ids['visit']}", "/customers",
                "/customers/board", f"/customers/{ids['customer']}", "/plans/week",
                "/plans/month", "/plans/action", "/plans/action?period=quarter",
                "/reviews", *common]
    managers = ["/tracking/import", f"/tracking?rep={rep}", f"/tracking/adjust?rep={rep}",
                f"/tracking/adjust?rep={rep}&span=month", "/reviews", "/reviews/team",
                f"/reviews/team?week={OLD_WEEK.isoformat()}", f"/reviews/{ids['review']}",
                f"/reviews/history?user={rep}", *common]
    if role == "manager1":
        return ["/team", "/customers", "/customers/board", f"/customers?user={rep}",
                f"/customers/board?user={rep}", f"/customers/{ids['customer']}",
                f"/plans/week?user={rep}", f"/plans/month?user={rep}",
                f"/plans/action?user={rep}", "/targets", "/admin/people", "/changes/",
                *managers]
    admin = ["/admin", "/admin/company", "/admin/units", "/admin/people", "/admin/people/new",
             "/admin/import", "/admin/catalog", "/admin/metrics", "/admin/audit", "/changes/",
             "/targets/years/new"]
    return ["/targets", f"/targets/node/{ids['root']}/time", "/team", "/calendar", "/stages",
            *admin, *managers]


# Pages without a parameter that the walk does not visit, and why.
NOT_WALKED = {
    "/": "redirects to the role's landing page",
    "/login": "test_the_login_page_fits_and_its_targets_are_44px",
    "/offline": "the service worker's fallback, walked by the offline tests",
    "/visits/customers": "a fragment of the visit form (walked with the visit sheet open)",
    "/healthz": "not a page", "/ping": "not a page", "/push/key": "JSON",
    "/manifest.webmanifest": "JSON", "/sw.js": "JavaScript",
}


def test_every_page_of_the_app_is_in_the_walk(app: Flask) -> None:
    """Derived from the URL map: a page added later is walked, or listed above with why."""
    ids = {"rep": 1, "customer": 1, "visit": 1, "root": 1, "review": 1}
    walked = {p.split("?")[0] for role in ("rep01", "manager1", "director")
              for p in pages(role, ids)}
    plain = {r.rule for r in app.url_map.iter_rules()
             if "GET" in (r.methods or ()) and not r.arguments and r.endpoint != "static"
             and not r.rule.startswith("/api/") and not r.rule.startswith("/vendor/")}
    assert plain - walked - set(NOT_WALKED) == set()


def _login(phone: Any, username: str, lang: str) -> Any:
    return log_in(phone.new_page(), username, lang)


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
@pytest.mark.parametrize("username", ["rep01", "manager1", "director"])
def test_no_page_scrolls_sideways_or_has_a_tap_target_under_44px(
    app: Flask, phone: Any, old_review: int, username: str, lang: str
) -> None:
    ids = _ids(app, old_review)
    page = _login(phone, username, lang)
    wide: dict[str, int] = {}
    small: dict[str, list[str]] = {}
    broken: dict[str, list[str]] = {}
    for path in pages(username, ids):
        resp = page.goto(path)
        assert resp is not None and resp.status == 200, path
        page.wait_for_load_state()
        width = page.evaluate("document.documentElement.scrollWidth")
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
        if width > 360:
            wide[path] = width
            screenshot(page, f"wide-{username}-{lang}-{name}")
        if SHOOT_ALL:  # the first screen, as the phone shows it
            page.screenshot(path=str(_shot(f"walk-{username}-{lang}-{name}")))
        found = page.evaluate(SMALL_TARGETS)
        if found:
            small[path] = found
        bad = (page.evaluate(WRAPPED_FIGURES) + page.evaluate(CUT_FIGURES)
               + page.evaluate(CUT_SELECTS))
        if bad:
            broken[path] = bad
    if username == "rep01":  # and the visit sheet open on Today
        page.goto("/today")
        page.click("#log-visit")
        page.locator("#visit-form[data-shown]").wait_for()
        found = page.evaluate(SMALL_TARGETS)
        if found:
            small["/today + visit sheet"] = found
    assert broken == {}, broken  # a figure wrapped or cut at the edge, a select's text cut
    assert wide == {}, wide
    assert small == {}, "\n".join(f"{p}: {len(v)} {v[:8]}" for p, v in small.items())


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_the_login_page_fits_and_its_targets_are_44px(phone: Any, lang: str) -> None:
    page = phone.new_page()
    page.goto(f"/login?lang={lang}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(SMALL_TARGETS) == []


# ------------------------------------------------------------------ Today's first screen

# Elements whose text runs over more than one line (a number broken inside itself).
FIGURES = ".fig, .today-figs dd, .month-achieved, .month-target"
WRAPPED_FIGURES = """() => [...document.querySelectorAll('""" + FIGURES + """')].filter((el) => {
  if (!el.checkVisibility()) return false;
  const r = document.createRange();
  r.selectNodeContents(el);
  const tops = new Set([...r.getClientRects()].filter((q) => q.width > 0)
                       .map((q) => Math.round(q.top)));
  return tops.size > 1;
}).map((el) => el.className + ' "' + el.textContent.trim() + '"')"""


def _run_metrics(app: Flask, username: str) -> list[tuple[str, int, int, str]]:
    """(code, today's target, still to go, unit) of each metric with a run rate."""
    from planner.services.rep_plan import rep_plan

    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == username))
        out = [(m.metric.code, m.today_target, m.remaining_today, m.metric.unit.value)
               for m in rep_plan(u).metrics if m.run is not None and m.target > 0]
        db.session.remove()
    return out


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_todays_first_screen_shows_every_metrics_target_and_still_to_go(
    app: Flask, phone: Any, today_is_a_working_day: None, lang: str
) -> None:
    """At 360x740, before any scrolling, today's target and what is still
    to go for every metric that has one, as whole numbers that never wrap."""
    from planner import fmt

    metrics = _run_metrics(app, "rep02")
    assert len(metrics) >= 4
    page = _login(phone, "rep02", lang)
    page.wait_for_url("**/today")
    assert page.evaluate("window.scrollY") == 0
    for code, target, to_go, unit in metrics:
        for cls, value in (("today-target", target), ("remaining-today", to_go)):
            cell = page.locator(f"#today-summary #s-{code} .{cls}")
            box = cell.bounding_box()
            assert box is not None, (code, cls)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 740, (code, cls, box)
            assert cell.inner_text() == fmt.value(value, unit, "short", lang), (code, cls)
    # No figure wraps inside itself, on the first screen or in the detail below.
    assert page.evaluate(WRAPPED_FIGURES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The detail is one tap away: a row opens its metric's card, below the top bar.
    code = metrics[0][0]
    page.locator(f"#s-{code} a").click()
    page.wait_for_function(f"() => location.hash === '#m-{code}'")
    top = page.locator(f"#m-{code}").bounding_box()
    bar = page.locator("header.topbar").bounding_box()
    assert top is not None and bar is not None
    assert bar["y"] + bar["height"] <= top["y"] + 1 < 740
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(_shot(f"today-first-screen-{lang}")))


def _shot(name: str) -> Any:
    from conftest import SHOTS

    SHOTS.mkdir(exist_ok=True)
    return SHOTS / f"{name}.png"


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_the_phones_javascript_formats_money_as_the_server_does(phone: Any, lang: str) -> None:
    """One formatter: the offline layer re-formats numbers it moves locally with money()
    (static/js/money.js, the module it imports), from the pattern the server puts on <html>."""
    from planner import fmt

    page = _login(phone, "rep03", lang)
    # The module under the URL the page preloaded (the offline layer's import of it).
    url = page.locator('link[rel=modulepreload][href*="/static/js/money.js"]').get_attribute("href")
    values = [0, 5, 100, 186097, 186049, 1523360, 9999949, 10000000, 60186120, 99996000,
              1234567800, 100000000000, -186097]
    for style in fmt.STYLES:
        got = page.evaluate("async ([u, vs, s]) => { const m = await import(u);"
                            " return vs.map((v) => m.money(v, s)); }", [url, values, style])
        assert got == [fmt.money(v, style, lang) for v in values], style


# ------------------------------------------------------------------ the visit sheet


def _in_view(page: Any, selector: str) -> bool:
    """Wholly inside the viewport, not under the sticky top bar nor the tab bar."""
    return bool(page.evaluate("""(sel) => {
      const el = document.querySelector(sel);
      if (!el) return false;
      const r = el.getBoundingClientRect();
      const bar = document.querySelector('header.topbar').getBoundingClientRect();
      const tabs = document.querySelector('nav.tabbar');
      const bottom = tabs ? tabs.getBoundingClientRect().top : window.innerHeight;
      return r.height > 0 && r.top >= bar.bottom - 1 && r.bottom <= bottom + 1;
    }""", selector))


def test_every_tap_in_the_visit_sheet_shows_its_result_in_view(
    app: Flask, phone: Any, today_is_a_working_day: None
) -> None:
    """The sheet opens with its heading and Close below the top bar; Save
    without a customer shows the error where the finger is; a saved visit shows the
    confirmation and the numbers that moved."""
    page = _login(phone, "rep14", "en")
    page.wait_for_url("**/today")
    page.evaluate("window.scrollTo(0, 400)")
    page.click("#log-visit")
    page.locator("#visit-form[data-shown]").wait_for()  # htmx has settled the swap
    assert _in_view(page, ".sheet-head h2")
    assert _in_view(page, ".sheet-head [data-close-sheet]")
    assert page.evaluate("document.activeElement.matches('.sheet-head h2')")

    # Save with no customer chosen, from the bottom of the long form.
    save = page.get_by_role("button", name="Save visit")
    save.scroll_into_view_if_needed()
    save.click()
    page.locator("#visit-form[data-shown] #err-customer_id").wait_for()
    assert _in_view(page, "#err-customer_id")
    assert page.evaluate("document.activeElement.name") == "customer_id"

    page.locator("#customer-choices input[name=customer_id]:not([data-new-lead])").first.check()
    page.fill("#v-signed", "100")
    save = page.get_by_role("button", name="Save visit")
    save.scroll_into_view_if_needed()
    save.click()
    page.locator("#visit-saved[data-shown]").wait_for()
    assert _in_view(page, "#visit-saved")
    assert _in_view(page, "#today-summary #s-revenue")  # the numbers that moved
    assert page.evaluate("document.activeElement.id") == "visit-saved"
    page.screenshot(path=str(_shot("today-visit-saved-screen")))


def _visit_sheet(app: Flask, phone: Any, rep: str) -> tuple[Any, str]:
    """The rep's Today (in Chinese) with the visit sheet open, and one of their customers."""
    with app.app_context():
        from repday_helpers import a_customer_of

        name = a_customer_of(rep).name
    page = _login(phone, rep, "zh_Hans_CN")
    page.wait_for_url("**/today")
    page.click("#log-visit")
    page.locator("#visit-form").wait_for()
    return page, name


def test_saving_a_visit_leaves_the_browser_console_clean(
    app: Flask, phone: Any, today_is_a_working_day: None
) -> None:
    """No CSP violation and no htmx error while a visit is searched for,
    refused, corrected and saved. The notes box was resized by the user first (Chromium
    keeps the size in its style attribute, which htmx's settle step used to copy into
    the new form: a CSP violation); the customer search fires (it used to inherit the
    form's hx-disabled-elt: an htmx error)."""
    page, name = _visit_sheet(app, phone, "rep15")
    page.evaluate("document.getElementById('v-notes').style.height = '140px'")
    with page.expect_response(lambda r: "/visits/customers" in r.url):  # the search answered
        page.fill("#visit-form input[name=q]", name)
    page.locator("#customer-choices label.choice", has_text=name).click()
    page.fill("#v-signed", "-1")
    page.get_by_role("button", name="保存拜访").click()
    page.locator("#err-amount_signed").wait_for()
    page.evaluate("document.getElementById('v-notes').style.height = '160px'")
    page.fill("#v-signed", "10")
    page.get_by_role("button", name="保存拜访").click()
    page.locator("#visit-saved").wait_for()
    assert phone.console_watch.unexpected() == []


def test_a_customer_tapped_while_a_search_is_on_its_way_stays_chosen(
    app: Flask, phone: Any
) -> None:
    """The search's answer replaces the list of customers; it was asked for before the
    tap, so it does not know the choice. The tap must survive it (nothing the user
    entered is lost silently). The answer is held back until the tap is done."""
    page, name = _visit_sheet(app, phone, "rep15")
    held: list[Any] = []
    page.route("**/visits/customers*", lambda route: held.append(route))
    page.fill("#visit-form input[name=q]", name[:2])
    page.wait_for_function("() => document.querySelector('#visit-form input[name=q]')"
                           ".classList.contains('htmx-request')")
    page.locator("#customer-choices label.choice", has_text=name).first.click()
    assert len(held) == 1
    with page.expect_response(lambda r: "/visits/customers" in r.url):
        held[0].continue_()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    checked = page.locator("#customer-choices input:checked")
    checked.wait_for(timeout=5_000)  # the choice is carried over once the swap has settled
    assert checked.count() == 1
    assert name in checked.locator("xpath=..").inner_text()


# Figures cut off at the screen's edge (a row wider than the phone, clipped by a card).
CUT_FIGURES = """() => [...document.querySelectorAll('""" + FIGURES + """, td.num')]
.filter((el) => {
  if (!el.checkVisibility() || el.closest('.board, .scroll-x')) return false;
  const r = el.getBoundingClientRect();
  return r.left < 0 || r.right > document.documentElement.clientWidth;
}).map((el) => el.className + ' "' + el.textContent.trim() + '"')"""


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_big_amounts_fit_the_phone_on_the_reps_and_managers_pages(
    app: Flask, phone: Any, lang: str
) -> None:
    """A row holding 6- and 7-digit amounts (a rep who signed
    ¥1,234,567.89 this month) neither scrolls the page sideways nor cuts a figure, and
    no figure wraps inside itself."""
    from repday_helpers import a_customer_of, client_for

    with app.app_context():
        cid = a_customer_of("rep06").id
    c, token = client_for(app, "rep06")
    if lang == "en":  # once: the two languages look at the same visit
        resp = c.post("/api/v1/visits", json={
            "customer_id": cid, "kind": "existing", "amount_signed_fen": 123456789,
            "amount_collected_fen": 98765432}, headers={"X-CSRFToken": token})
        assert resp.status_code == 201, resp.get_json()
    for username, paths in (("rep06", ["/today", "/plans/week", "/plans/month",
                                       "/plans/action", f"/customers/{cid}"]),
                            ("manager1", ["/team"])):
        page = _login(phone, username, lang)
        for path in paths:
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            assert page.evaluate(CUT_FIGURES) == [], path
            assert page.evaluate(WRAPPED_FIGURES) == [], path
        screenshot(page, f"big-amounts-{username}-{lang}")
        page.close()
        phone.clear_cookies()

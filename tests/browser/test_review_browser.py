"""The weekly review on a phone (Chromium, 360x740), in Chinese and in English:
a demo rep writes (the draft saves as they type and survives a reload) and submits; the
demo manager returns it with a comment; the rep edits and submits again; the manager
approves with one tap; the review is then read-only for both. And offline: the rep
writes and submits with the network off; back online it is applied once, and a replay of
the same outbox changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PHONE, SHOTS, close_context, log_in, page_errors, screenshot
from flask import Flask
from sqlalchemy import func, select
from test_offline_browser import OUTBOX, _settle, wait_kept

from planner.extensions import db
from planner.models import User, WeeklyReview, WeeklyReviewEvent

pytestmark = pytest.mark.browser

TEXTS = {
    "zh_Hans_CN": {"submit": "提交给经理", "return": "退回", "return_with": "退回并附意见",
                   "approve": "批准", "saved": "草稿已保存", "readonly": "只读"},
    "en": {"submit": "Submit to manager", "return": "Return…",
           "return_with": "Return with this comment", "approve": "Approve",
           "saved": "Draft saved", "readonly": "Read-only"},
}


@pytest.fixture()
def contexts(browser: Any, live_server: Any) -> Iterator[Any]:
    made: list[Any] = []

    def new() -> Any:
        ctx = browser.new_context(base_url=live_server.url, **PHONE)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        close_context(ctx)  # nothing in flight; a close that hangs ends (watchdog)


def _page(ctx: Any, username: str, lang: str) -> Any:
    page = ctx.new_page()
    page.problems = page_errors(page, "error")  # type: ignore[attr-defined]
    return log_in(page, username, lang)


def _review(app: Flask, username: str) -> WeeklyReview | None:
    with app.app_context():
        try:
            uid = db.session.scalar(select(User.id).where(User.username == username))
            r = db.session.scalars(select(WeeklyReview).where(WeeklyReview.user_id == uid)
                                   .order_by(WeeklyReview.week_start.desc())).first()
            if r is not None:
                db.session.expunge(r)
            return r
        finally:
            db.session.remove()


def _events(app: Flask, review_id: int) -> list[tuple[str | None, str]]:
    with app.app_context():
        try:
            return [(e.from_status, e.to_status) for e in db.session.scalars(
                select(WeeklyReviewEvent).where(WeeklyReviewEvent.review_id == review_id)
                .order_by(WeeklyReviewEvent.id))]
        finally:
            db.session.remove()


def _state(page: Any) -> str:
    return str(page.locator(".review-state [data-review-state]").get_attribute(
        "data-review-state"))


def _view(page: Any, name: str, selector: str | None = None) -> None:
    """What the phone's screen shows (not the whole page), to look at."""
    if selector:
        page.locator(selector).first.evaluate("(e) => e.scrollIntoView()")
        page.evaluate("window.scrollBy(0, -70)")
    else:
        page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize(("lang", "rep", "manager"),
                         [("zh_Hans_CN", "rep02", "manager1"), ("en", "rep08", "manager2")])
def test_a_rep_submits_the_manager_returns_then_approves_and_it_is_read_only(
        app: Flask, contexts: Any, lang: str, rep: str, manager: str) -> None:
    t = TEXTS[lang]
    rp = _page(contexts(), rep, lang)
    rp.goto("/reviews")
    rp.locator("form[data-review-form]").wait_for()
    _fits(rp)
    # The draft saves as the rep types (debounced) and survives closing the page.
    rp.fill("#rv-completed", "拜访了12家客户，签约2单" if lang != "en" else "12 visits, 2 signed")
    rp.fill("#rv-help_needed", "需要市场部的样品" if lang != "en" else "Samples for the demo")
    rp.fill("#rv-support_department", "市场部" if lang != "en" else "Marketing")
    rp.fill("#rv-next_visits", "20")
    rp.locator("[data-review-saved]", has_text=t["saved"]).wait_for()
    assert _state(rp) == "draft"  # was "none" (not started) when the page opened
    draft = _review(app, rep)
    assert draft is not None and draft.status.value == "draft"
    assert draft.support_department in ("市场部", "Marketing")
    assert draft.next_numbers == {"visits": 20}
    rp.reload()
    assert rp.input_value("#rv-help_needed") in ("需要市场部的样品", "Samples for the demo")
    screenshot(rp, f"review-rep-{lang}")
    _view(rp, f"review-rep-top-{lang}")
    _view(rp, f"review-rep-form-{lang}", "#rv-help_needed")
    _view(rp, f"review-rep-submit-{lang}", "[data-review-submit]")
    rp.get_by_role("button", name=t["submit"]).click()
    rp.locator(".review-state [data-review-state='submitted']").wait_for()
    review = _review(app, rep)
    assert review is not None and review.status.value == "submitted"

    # The manager sees it waiting (badge), returns it with a comment.
    mp = _page(contexts(), manager, lang)
    assert int(mp.locator("[data-reviews-waiting]").inner_text()) >= 1
    mp.goto("/reviews")
    row = mp.locator(f"[data-review-row='{rep}']")
    row.wait_for()
    _fits(mp)
    screenshot(mp, f"reviews-team-{lang}")
    _view(mp, f"reviews-team-top-{lang}")
    row.locator("summary", has_text=t["return"]).click()
    row.locator("textarea[name=comment]").fill("请补充未达成原因" if lang != "en"
                                                else "Say why collections were missed")
    row.get_by_role("button", name=t["return_with"]).click()
    mp.locator(f"[data-review-row='{rep}'].state-returned").wait_for()
    assert _review(app, rep).status.value == "returned"  # type: ignore[union-attr]

    # The rep sees the comment, edits, submits again.
    rp.reload()
    assert "请补充未达成原因" in rp.locator(".returned-note").inner_text() or \
        "Say why collections were missed" in rp.locator(".returned-note").inner_text()
    rp.fill("#rv-missed_reasons", "回款延迟到下周" if lang != "en" else "A payment moved a week")
    rp.get_by_role("button", name=t["submit"]).click()
    rp.locator(".review-state [data-review-state='submitted']").wait_for()

    # The manager approves with one tap.
    mp.reload()
    row = mp.locator(f"[data-review-row='{rep}']")
    row.get_by_role("button", name=t["approve"]).click()
    mp.locator(f"[data-review-row='{rep}'].state-approved").wait_for()
    final = _review(app, rep)
    assert final is not None and final.status.value == "approved"
    assert final.missed_reasons in ("回款延迟到下周", "A payment moved a week")
    assert _events(app, final.id) == [("draft", "submitted"), ("submitted", "returned"),
                                      ("returned", "submitted"), ("submitted", "approved")]

    # Read-only for both.
    rp.reload()
    assert rp.locator("form[data-review-form]").count() == 0
    assert rp.locator("[data-review-readonly] .badge", has_text=t["readonly"]).count() == 1
    assert rp.locator("#comment-body").count() == 0
    assert _state(rp) == "approved"
    mp.goto(f"/reviews/{final.id}")
    assert mp.locator("form[data-review-decide]").count() == 0
    assert mp.locator("form[data-review-form]").count() == 0
    assert mp.locator("#comment-body").count() == 0
    _fits(mp)
    screenshot(mp, f"review-manager-approved-{lang}")
    problems = rp.problems + mp.problems  # type: ignore[attr-defined]
    assert problems == []


def test_a_rep_writes_and_submits_offline_and_it_syncs_once(
        app: Flask, contexts: Any) -> None:
    rep = "rep14"
    ctx = contexts()
    page = _page(ctx, rep, "en")
    page.goto("/reviews")
    _settle(page)  # the service worker controls the page
    # The worker says the page is stored for offline. Right after login the page may have
    # loaded before the worker controlled it: the worker then fetches its copy.
    wait_kept(page, "/reviews")
    form = page.locator("form[data-review-form]")
    form.wait_for()
    page.locator("[data-review-ready]").wait_for(state="attached")  # review.js is on
    ctx.set_offline(True)
    page.fill("#rv-completed", "Visited 9 customers with no signal")
    page.fill("#rv-next_focus", "Close the two quotes")
    page.locator("[data-review-saved]", has_text="Saved on this phone").wait_for()
    assert _review(app, rep) is None  # nothing reached the server
    # Closing the page and opening it again with no signal: the cached page, and the
    # draft from the phone back in the form.
    page.reload()
    # The copy from the phone's cache (the worker marks it <html data-offline-at>).
    page.locator("html[data-offline-at]").wait_for(state="attached", timeout=15_000)
    page.locator("[data-review-saved]", has_text="kept on this phone").wait_for()
    assert page.input_value("#rv-completed") == "Visited 9 customers with no signal"
    assert page.input_value("#rv-next_focus") == "Close the two quotes"
    page.locator("[data-review-ready]").wait_for(state="attached")  # review.js is on
    page.get_by_role("button", name="Submit to manager").click()
    page.locator("[data-review-saved]", has_text="Submitted on this phone").wait_for()
    items = page.evaluate(OUTBOX)
    assert [(i["type"], i["status"], i["payload"]["action"]) for i in items] == \
        [("review", "pending", "submit")]
    assert _review(app, rep) is None
    sent = {"id": items[0]["id"], "type": "review", "user": items[0]["user"],
            "payload": items[0]["payload"]}

    ctx.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator(".review-state [data-review-state='submitted']").wait_for(timeout=15_000)
    assert page.evaluate(OUTBOX) == []
    review = _review(app, rep)
    assert review is not None and review.status.value == "submitted"
    assert review.completed == "Visited 9 customers with no signal"
    assert _events(app, review.id) == [(None, "submitted")]

    # A replay of the same outbox (the phone lost the answer) changes nothing.
    answer = page.evaluate("""async (item) => {
      const t = await (await fetch('/api/v1/csrf')).json();
      const r = await fetch('/api/v1/sync', {method: 'POST', headers: {
        'Content-Type': 'application/json', 'X-CSRFToken': t.csrf_token},
        body: JSON.stringify({items: [item]})});
      return await r.json(); }""", sent)
    assert [r["status"] for r in answer["results"]] == ["duplicate"]
    again = _review(app, rep)
    assert again is not None and again.version == review.version
    assert _events(app, review.id) == [(None, "submitted")]
    with app.app_context():
        n = db.session.scalar(
            select(func.count(WeeklyReview.id))
            .join(User, User.id == WeeklyReview.user_id).where(User.username == rep))
        db.session.remove()
    assert n == 1
    assert json.dumps(page.problems) == "[]"  # type: ignore[attr-defined]


def test_a_review_returned_while_the_rep_wrote_offline_is_a_conflict_shown_to_the_rep(
        app: Flask, contexts: Any) -> None:
    from conftest import csrf_token, login

    rep = "rep18"
    ctx = contexts()
    page = _page(ctx, rep, "en")
    page.goto("/reviews")
    page.locator("form[data-review-form]").wait_for()
    page.fill("#rv-completed", "Phone text, first part")
    page.locator("[data-review-saved]", has_text="Draft saved").wait_for()
    week = page.locator("[data-review-page]").get_attribute("data-week")
    ctx.set_offline(True)
    # Meanwhile, on the server: the rep submits from a laptop and the manager returns it.
    laptop = app.test_client()
    laptop.get("/login?lang=en")
    login(laptop, rep)
    tok = csrf_token(laptop, "/reviews")
    v = laptop.get(f"/api/v1/reviews/week/{week}").get_json()["version"]
    r = laptop.post(f"/api/v1/reviews/week/{week}/submit", json={
        "version": v, "completed": "Laptop text"}, headers={"X-CSRFToken": tok})
    assert r.status_code == 200
    boss = app.test_client()
    login(boss, "manager3")
    btok = csrf_token(boss, "/reviews")
    r = boss.post(f"/api/v1/reviews/{r.get_json()['id']}/return", json={
        "version": r.get_json()["version"], "comment": "Name the customers"},
        headers={"X-CSRFToken": btok})
    assert r.status_code == 200
    returned_version = r.get_json()["version"]

    page.fill("#rv-completed", "Phone text, written with no signal")
    page.get_by_role("button", name="Submit to manager").click()
    page.locator("[data-review-saved]", has_text="Submitted on this phone").wait_for()
    ctx.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    box = page.locator("[data-review-conflict]")
    box.wait_for(state="visible", timeout=15_000)
    assert "changed on the server meanwhile" in box.inner_text()
    box.locator("[data-f=server]", has_text="Name the customers").wait_for()
    server = _review(app, rep)
    assert server is not None and server.status.value == "returned"
    assert server.completed == "Laptop text" and server.version == returned_version
    assert page.input_value("#rv-completed") == "Phone text, written with no signal"
    _view(page, "review-conflict-en", "[data-review-conflict]")

    # The rep keeps their text on the newest version and submits it.
    page.get_by_role("button", name="Keep my text on the newest version").click()
    box.wait_for(state="hidden")
    page.locator("[data-review-saved]", has_text="Draft saved").wait_for()
    page.get_by_role("button", name="Submit to manager").click()
    page.locator(".review-state [data-review-state='submitted']").wait_for(timeout=15_000)
    final = _review(app, rep)
    assert final is not None and final.status.value == "submitted"
    assert final.completed == "Phone text, written with no signal"
    assert [to for _f, to in _events(app, final.id)] == ["submitted", "returned", "submitted"]
    assert page.evaluate(OUTBOX) == []
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_manager_approves_offline_from_the_cached_page_and_it_syncs_once(
        app: Flask, contexts: Any) -> None:
    from conftest import csrf_token, login

    rep, manager = "rep20", "manager4"
    laptop = app.test_client()
    login(laptop, rep)
    tok = csrf_token(laptop, "/reviews")
    week = laptop.get("/reviews").get_data(as_text=True).split('data-week="', 1)[1][:10]
    r = laptop.post(f"/api/v1/reviews/week/{week}/submit", json={
        "version": 0, "completed": "Four new leads"}, headers={"X-CSRFToken": tok})
    assert r.status_code == 200
    rid = r.get_json()["id"]

    ctx = contexts()
    page = _page(ctx, manager, "en")
    page.goto("/reviews")
    _settle(page)
    wait_kept(page, "/reviews")
    row = page.locator(f"[data-review-row='{rep}']")
    row.wait_for()
    ctx.set_offline(True)
    row.get_by_role("button", name="Approve").click()
    row.locator("[data-review-saved]", has_text="kept on this phone").wait_for()
    assert _review(app, rep).status.value == "submitted"  # type: ignore[union-attr]
    ctx.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator(f"[data-review-row='{rep}'].state-approved").wait_for(timeout=15_000)
    final = _review(app, rep)
    assert final is not None and final.status.value == "approved"
    assert _events(app, rid) == [(None, "submitted"), ("submitted", "approved")]
    assert page.evaluate(OUTBOX) == []
    assert page.problems == []  # type: ignore[attr-defined]

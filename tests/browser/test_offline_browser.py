"""Offline in the field, in real Chromium at phone size: the installable app, Today from
the service worker's cache, visits logged offline and synced exactly once, rejected items
kept with their reason. Each test has its own browser context (service workers allowed)
and its own demo rep."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from conftest import DEMO_PASSWORD, SHOTS, log_in, page_errors, screenshot
from flask import Flask
from sqlalchemy import func, select

from planner.api import sync as sync_module
from planner.extensions import db
from planner.models import Customer, User, Visit
from planner.services.visits import intake as intake_module

pytestmark = pytest.mark.browser

# The worker is active and controls the page. A page whose navigation began while the
# worker was still installing may never be claimed: false after 5 s (then reload it).
READY = """async () => {
  const reg = await navigator.serviceWorker.ready;
  for (let i = 0; i < 50 && !navigator.serviceWorker.controller; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return !!(reg.active && navigator.serviceWorker.controller);
}"""

# The worker controlling the page runs the server's current shell version, with no newer
# one installing or waiting: no controllerchange (and reload) can happen mid-test.
SETTLED = """async () => {
  const src = await (await fetch('/sw.js', {cache: 'no-store'})).text();
  const want = JSON.parse(src.match(/const VERSION = ("[^"]*")/)[1]);
  const reg = await navigator.serviceWorker.ready;
  for (let i = 0; i < 100; i++) {
    const sw = navigator.serviceWorker.controller;
    const have = sw && await new Promise((res) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = (e) => res(e.data);
      sw.postMessage({type: 'version'}, [ch.port2]);
      setTimeout(() => res(null), 500);
    });
    if (have === want && !reg.installing && !reg.waiting) return true;
    if (i % 10 === 0) await reg.update().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}"""

# Every path has a copy in the pages cache, waiting up to `ms` for it. (Awaited by
# page.evaluate: wait_for_function does not await a promise, and a promise is truthy.)
CACHED = """async ([paths, ms]) => {
  const until = Date.now() + ms;
  for (;;) {
    const c = await caches.open('planner-pages-v1');
    const have = (await c.keys()).map((r) => new URL(r.url).pathname);
    if (paths.every((p) => have.includes(p))) return true;
    if (Date.now() > until) return have;
    await new Promise((r) => setTimeout(r, 100));
  }
}"""


def wait_cached(page: Any, paths: list[str], ms: int = 10_000) -> None:
    """Wait until the service worker has a copy of each page (path) for offline."""
    have = page.evaluate(CACHED, [paths, ms])
    assert have is True, f"not stored for offline: {paths} (the cache has {have})"


def wait_kept(page: Any, path: str) -> None:
    """Wait until the worker said this page's copy is stored (offline.js marks
    <html data-offline-kept="/path ...">, from the worker's answer)."""
    page.locator(f'html[data-offline-kept~="{path}"]').wait_for(state="attached",
                                                                  timeout=15_000)

OUTBOX = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open('planner-offline', 1);
  req.onsuccess = () => {
    const t = req.result.transaction('outbox', 'readonly').objectStore('outbox').getAll();
    t.onsuccess = () => { resolve(t.result); req.result.close(); };
    t.onerror = () => reject(t.error);
  };
  req.onerror = () => reject(req.error);
})"""


def _login(phone: Any, username: str) -> Any:
    page = phone.new_page()
    page.errors = page_errors(page)  # type: ignore[attr-defined]
    log_in(page, username, lands="/today")
    _settle(page)
    # offline.js asks the worker to keep Today and the visit form; wait until it has.
    wait_cached(page, ["/today", "/visits/new"])
    return page


def _settle(page: Any) -> None:
    """Wait until the service worker controls the page and its version is the server's.
    A newer version taking over reloads the page once (offline.js): then wait again."""
    for _ in range(4):
        try:
            if not page.evaluate(READY):
                page.reload()  # not controlled: a reload goes through the active worker
                continue
            if page.evaluate(SETTLED):
                page.wait_for_load_state()
                return
        except Exception as e:  # noqa: BLE001 - the page reloaded onto the new shell
            if "context was destroyed" not in str(e) and "navigation" not in str(e):
                raise
        page.wait_for_load_state()
    raise AssertionError("the service worker's version did not settle")


def viewshot(page: Any, name: str, selector: str) -> None:
    """The phone's screen (not the whole page) with `selector` at the top, to look at."""
    page.locator(selector).evaluate("(e) => e.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -180)")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _db(app: Flask, fn: Any) -> Any:
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def _counts(app: Flask, username: str) -> tuple[int, int]:
    def q() -> tuple[int, int]:
        uid = db.session.scalar(select(User.id).where(User.username == username))
        visits = db.session.scalar(select(func.count()).select_from(Visit)
                                   .where(Visit.user_id == uid))
        customers = db.session.scalar(select(func.count()).select_from(Customer)
                                      .where(Customer.owner_id == uid))
        return int(visits or 0), int(customers or 0)

    return _db(app, q)  # type: ignore[no-any-return]


def _figure(page: Any, source: str, cls: str = "achieved-today") -> int:
    return int(page.locator(f"#today-metrics [data-metric-source='{source}'] .{cls}")
               .get_attribute("data-value"))


def _shown(page: Any, source: str, cls: str = "achieved-today") -> str:
    return str(page.locator(f"#today-metrics [data-metric-source='{source}'] .{cls}").inner_text())


def _log_visit_offline(page: Any, *, amount: str = "", collected: str = "",
                       lead: str = "", kind: str = "existing", nth: int = 0) -> None:
    """On Today, offline: open the visit form, fill it in, save it."""
    page.locator("#log-visit").wait_for()
    page.wait_for_load_state()
    page.click("#log-visit")
    form = page.locator("form[data-offline-form]")
    form.wait_for(timeout=10_000)
    if lead:
        form.locator("input[name=customer_id][data-new-lead]").check()
        if not form.locator("#v-new-name").is_visible():
            form.locator("details.new-lead summary").click()
        form.locator("#v-new-name").fill(lead)
    else:
        form.locator("input[name=customer_id]:not([data-new-lead])").nth(nth).check()
    form.locator(f"input[name=kind][value={kind}]").check(force=True)
    if amount:
        form.locator("#v-signed").fill(amount)
    if collected:
        form.locator("#v-collected").fill(collected)
    form.get_by_role("button", name="Save visit").click()


def test_the_app_is_installable(browser: Any, live_server: Any, tmp_path: Any) -> None:
    # A persistent profile: Chromium refuses installation in incognito-like contexts.
    from conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, close_context, watch_console

    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        headless=True, base_url=live_server.url, **PHONE)
    watch = watch_console(context)
    try:
        page = _login(context, "rep19")
        manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href)"
                                 ".then((r) => r.json())")
        assert manifest["start_url"] == "/today" and manifest["display"] == "standalone"
        assert manifest["name"] == "Planner: today's sales plan"
        cdp = page.context.new_cdp_session(page)
        errors: list[Any] = []
        for _ in range(20):  # the manifest's icons load asynchronously
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            if not errors:
                break
            page.wait_for_timeout(250)
        assert errors == []
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        close_context(context)
    assert watch.unexpected() == []


def test_today_offline_shows_the_cached_plan_and_the_offline_banner(phone: Any) -> None:
    page = _login(phone, "rep20")
    visits_today = _shown(page, "visits")
    phone.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == "Today's plan"
    banner = page.locator("#status-banner")
    assert banner.is_visible()
    assert re.fullmatch(r"Offline – last updated at \d\d:\d\d", banner.inner_text())
    assert _shown(page, "visits") == visits_today  # the cached plan
    assert page.locator("#today-metrics [data-metric-source]").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "offline-today-banner")
    viewshot(page, "offline-today-banner-screen", "body")
    # A page never opened online falls back to the offline page.
    page.goto("/plans/month")
    assert page.locator("h1").inner_text() == "You are offline"
    phone.set_offline(False)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_page_opened_right_after_login_is_there_offline(phone: Any) -> None:
    """The first pages after login load while the service worker is still installing: no
    worker handles them, so it cannot keep them as they go by. The page asks the worker,
    which fetches its copy; offline, the rep gets the page they opened."""
    page = log_in(phone.new_page(), "rep12", lands="/today")
    page.goto("/customers")  # at once: the worker may not control this load yet
    wait_kept(page, "/customers")
    _settle(page)
    wait_kept(page, "/customers")
    shown = page.locator("main h1").inner_text()
    phone.set_offline(True)
    page.reload()
    page.locator("html[data-offline-at]").wait_for(state="attached")
    assert page.locator("main h1").inner_text() == shown
    assert page.locator("#offline-ui").get_attribute("data-user")
    phone.set_offline(False)


def test_a_repeat_load_of_today_asks_the_server_for_no_script_or_module(
        phone: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The offline layer is ES modules importing each other: each under a hashed,
    immutable URL that the worker precached, so a repeat load fetches none of them (nor
    revalidates them); what reaches the server is the page."""
    page = _login(phone, "rep13")
    wait_kept(page, "/today")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        caplog.clear()
        page.goto("/today")
        wait_kept(page, "/today")
        page.locator("#outbox").wait_for(state="attached")
        asked = [m.group(1) for r in caplog.records
                 if (m := re.search(r'"GET (\S+) HTTP', r.getMessage()))]
    assert "/today" in asked
    scripts = [p for p in asked if p.startswith(("/static/js/", "/vendor/"))]
    assert scripts == [], scripts
    assert page.evaluate("() => performance.getEntriesByType('resource').filter("
                         "(e) => e.name.includes('/static/js/offline/')).length") >= 10


def test_visits_logged_offline_show_as_pending_and_sync_exactly_once(
    phone: Any, app: Flask
) -> None:
    page = _login(phone, "rep21")
    visits0, revenue0 = _figure(page, "visits"), _figure(page, "amount_signed")
    month0 = _figure(page, "visits", "month-achieved")
    db_visits0, db_customers0 = _counts(app, "rep21")
    syncs: list[str] = []
    page.on("request", lambda r: syncs.append(r.method) if r.url.endswith("/api/v1/sync") else None)

    phone.set_offline(True)
    _log_visit_offline(page, amount="12800", nth=0)
    _log_visit_offline(page, collected="300", kind="return", nth=1)
    _log_visit_offline(page, lead="路边新店 Roadside shop", kind="cold")
    items = page.locator("#outbox .outbox-item")
    items.nth(2).wait_for()
    assert items.count() == 3
    assert page.locator("#outbox .outbox-item.is-pending").count() == 3
    assert "Pending sync" in items.nth(0).inner_text()
    assert "New customer: 路边新店 Roadside shop" in items.nth(2).inner_text()
    # The numbers moved on the phone (the server has not seen anything yet).
    assert _shown(page, "visits") == str(visits0 + 3)
    assert _shown(page, "visits", "month-achieved") == str(month0 + 3)
    assert _shown(page, "visits_cold") != ""
    assert "12,800" in _shown(page, "amount_signed")
    assert _counts(app, "rep21") == (db_visits0, db_customers0)
    assert syncs == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "offline-pending-visits")
    viewshot(page, "offline-pending-visits-screen", "#outbox")

    phone.set_offline(False)  # `online`: the outbox drains, then Today is the server's
    page.wait_for_function("() => document.getElementById('outbox').hidden", timeout=15_000)
    page.wait_for_load_state()
    assert _counts(app, "rep21") == (db_visits0 + 3, db_customers0 + 1)
    page.wait_for_function("() => !document.documentElement.dataset.offlineAt")
    assert _figure(page, "visits") == visits0 + 3  # the server's numbers, not local ones
    assert _figure(page, "amount_signed") == revenue0 + 1_280_000
    assert page.locator(".pending-local").count() == 0
    assert page.evaluate(OUTBOX) == []
    assert syncs == ["POST"]
    lead = _db(app, lambda: db.session.scalar(
        select(Customer).where(Customer.name == "路边新店 Roadside shop")))
    assert lead is not None
    assert page.errors == []  # type: ignore[attr-defined]


def _batch(page: Any, cid: int, n: int = 2) -> list[dict[str, Any]]:
    return page.evaluate("""([cid, n]) => Array.from({length: n}, (_, i) => ({
        id: crypto.randomUUID(), type: 'visit',
        payload: {customer_id: String(cid), kind: 'existing', amount_collected: String(10 + i),
                  visited_at: new Date(Date.now() - 60000).toISOString()}}))""", [cid, n])


SEND = """async (items) => {
  const t = await (await fetch('/api/v1/csrf')).json();
  const r = await fetch('/api/v1/sync', {method: 'POST', body: JSON.stringify({items}),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': t.csrf_token}});
  return r.ok ? (await r.json()).results.map((x) => x.status) : r.status;
}"""

PUT = """async (items) => {
  const user = document.getElementById('offline-ui').dataset.user;
  const db = await new Promise((res, rej) => {
    const r = indexedDB.open('planner-offline', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('outbox', {keyPath: 'id'});
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  await new Promise((res, rej) => {
    const t = db.transaction('outbox', 'readwrite');
    items.forEach((it, i) => t.objectStore('outbox').put({...it, user, status: 'pending',
      created: Date.now() + i, day: new Date().toISOString().slice(0, 10), label: 'x'}));
    t.oncomplete = res; t.onerror = () => rej(t.error); });
  db.close();
}"""


def test_a_batch_sent_three_times_or_cut_off_mid_request_applies_once(
    phone: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server fails on purpose below; Chromium logs each such answer as a failed resource.
    phone.console_watch.allow(r"status of 500 .*\[.*/api/v1/sync\]")
    page = _login(phone, "rep22")
    cid = int(page.locator("#today-lists a[href*='/customers/']").first.get_attribute("href")
              .rstrip("/").split("/")[-1]) if page.locator(
                  "#today-lists a[href*='/customers/']").count() else _db(
        app, lambda: db.session.scalar(select(Customer.id).join(User, Customer.owner_id == User.id)
                                       .where(User.username == "rep22")))
    base = _counts(app, "rep22")[0]

    # The same batch posted three times from the phone: one copy of each.
    batch = _batch(page, cid)
    assert [page.evaluate(SEND, batch) for _ in range(3)] == [
        ["applied"] * 2, ["duplicate"] * 2, ["duplicate"] * 2]
    assert _counts(app, "rep22")[0] == base + 2

    # The outbox's drain, with the server failing after the commit (the answer is lost):
    # the items stay on the phone, the retry answers "duplicate", nothing is doubled.
    monkeypatch.setitem(app.config, "TEST_RENDER_500", True)
    lost = _batch(page, cid, 3)
    page.evaluate(PUT, lost)

    def answer_lost() -> None:
        raise ConnectionAbortedError("the server stopped before answering")

    monkeypatch.setattr(sync_module, "_after_commit", answer_lost)
    page.reload()  # the page load drains the outbox
    page.wait_for_function("() => !document.querySelector('[data-outbox-status]').hidden")
    assert "Could not reach the server" in page.locator("[data-outbox-status]").inner_text()
    assert len(page.evaluate(OUTBOX)) == 3  # nothing lost on the phone
    assert _counts(app, "rep22")[0] == base + 5  # applied on the server
    monkeypatch.setattr(sync_module, "_after_commit", lambda: None)
    page.click("[data-sync-now]")
    page.wait_for_function("() => document.getElementById('outbox').hidden", timeout=10_000)
    assert page.evaluate(OUTBOX) == []
    assert _counts(app, "rep22")[0] == base + 5

    # Failing before the commit: nothing applied, the retry applies everything once.
    before = _batch(page, cid, 2)
    page.evaluate(PUT, before)

    def server_stops() -> None:
        raise ConnectionAbortedError("the server stopped before the commit")

    monkeypatch.setattr(sync_module, "_before_commit", server_stops)
    page.reload()
    page.wait_for_function("() => !document.querySelector('[data-outbox-status]').hidden")
    assert _counts(app, "rep22")[0] == base + 5
    assert len(page.evaluate(OUTBOX)) == 2
    monkeypatch.setattr(sync_module, "_before_commit", lambda: None)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # `online` drains too
    page.wait_for_function("() => document.getElementById('outbox').hidden", timeout=10_000)
    assert page.evaluate(OUTBOX) == []
    assert _counts(app, "rep22")[0] == base + 7
    ids = [i["id"] for i in batch + lost + before]
    assert _db(app, lambda: db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.id.in_(ids)))) == 7


def test_a_rejected_visit_is_kept_with_its_reason_and_not_resent_by_itself(
    phone: Any, app: Flask
) -> None:
    page = _login(phone, "rep23")
    base = _counts(app, "rep23")[0]
    syncs: list[str] = []
    page.on("request", lambda r: syncs.append(r.method) if r.url.endswith("/api/v1/sync") else None)
    phone.set_offline(True)
    _log_visit_offline(page, amount="-500", nth=0)   # the server will say no
    _log_visit_offline(page, amount="99", nth=1)     # fine
    _log_visit_offline(page, collected="abc", nth=2)  # the server will say no
    page.locator("#outbox .outbox-item").nth(2).wait_for()
    phone.set_offline(False)
    page.wait_for_function(
        "() => document.querySelectorAll('#outbox .outbox-item.is-rejected').length === 2",
        timeout=15_000)
    page.wait_for_load_state()
    page.locator("#outbox .outbox-item.is-rejected").first.wait_for()
    rejected = page.locator("#outbox .outbox-item.is-rejected")
    assert rejected.count() == 2 and page.locator("#outbox .outbox-item").count() == 2
    assert "An amount cannot be negative." in rejected.nth(0).inner_text()
    assert "Not accepted" in rejected.nth(0).inner_text()
    assert "Enter an amount in yuan" in rejected.nth(1).inner_text()
    assert _counts(app, "rep23")[0] == base + 1
    screenshot(page, "offline-rejected-visit")
    viewshot(page, "offline-rejected-visit-screen", "#outbox")

    # Neither resent automatically (reload, online, Sync now) nor lost.
    sent = len(syncs)
    page.reload()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.click("[data-sync-now]")
    page.wait_for_timeout(500)
    assert len(syncs) == sent
    stored = page.evaluate(OUTBOX)
    assert sorted(i["status"] for i in stored) == ["rejected", "rejected"]

    # Corrected and resent: the form opens filled in, with the reason.
    page.locator("#outbox .outbox-item.is-rejected").nth(0).get_by_text(
        "Correct and resend").click()
    page.wait_for_url("**/visits/new?outbox=*")
    form = page.locator("form[data-offline-form]")
    form.locator(".flash-error").wait_for()  # offline.js has filled it in from the outbox
    assert form.locator("#v-signed").input_value() == "-500"
    assert "An amount cannot be negative." in form.inner_text()
    form.locator("#v-signed").fill("500")
    form.get_by_role("button", name="Save visit").click()
    page.wait_for_url("**/today")
    page.wait_for_function(
        "() => document.querySelectorAll('#outbox .outbox-item').length === 1", timeout=10_000)
    assert _counts(app, "rep23")[0] == base + 2

    # Deliberately discarded (after a confirmation).
    page.once("dialog", lambda d: d.accept())
    page.locator("#outbox .outbox-item.is-rejected [data-f=discard]").click()
    page.wait_for_function("() => document.getElementById('outbox').hidden")
    assert page.evaluate(OUTBOX) == []
    assert _counts(app, "rep23")[0] == base + 2
    assert page.errors == []  # type: ignore[attr-defined]


def _user_id(app: Flask, username: str) -> int:
    return int(_db(app, lambda: db.session.scalar(
        select(User.id).where(User.username == username))))


def _a_customer(app: Flask, username: str) -> int:
    return int(_db(app, lambda: db.session.scalar(
        select(Customer.id).join(User, Customer.owner_id == User.id)
        .where(User.username == username).order_by(Customer.id))))


def test_a_batch_failing_on_the_server_twice_is_sent_one_by_one_and_the_bad_item_kept(
    phone: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server fails on purpose below; Chromium logs each such answer as a failed resource.
    phone.console_watch.allow(r"status of 500 .*\[.*/api/v1/sync\]")
    page = _login(phone, "rep09")
    base = _counts(app, "rep09")[0]
    syncs: list[str] = []
    page.on("request", lambda r: syncs.append(r.method) if r.url.endswith("/api/v1/sync") else None)
    items = _batch(page, _a_customer(app, "rep09"), 3)
    real = intake_module.record_visit

    def crashing(user: Any, data: Any, visit_id: str | None = None, **kw: Any) -> Any:
        if visit_id == items[1]["id"]:  # a bug on the server this one item runs into
            raise RuntimeError("a bug on the server")
        return real(user, data, visit_id=visit_id, **kw)

    monkeypatch.setitem(app.config, "TEST_RENDER_500", True)
    monkeypatch.setattr(intake_module, "record_visit", crashing)
    page.evaluate(PUT, items)
    page.reload()  # the first 500: everything stays pending
    page.wait_for_function("() => !document.querySelector('[data-outbox-status]').hidden")
    assert page.locator("#outbox .outbox-item.is-pending").count() == 3
    assert _counts(app, "rep09")[0] == base
    page.click("[data-sync-now]")  # the second 500: one at a time
    page.wait_for_function(
        "() => document.querySelectorAll('#outbox .outbox-item').length === 1", timeout=15_000)
    failed = page.locator("#outbox .outbox-item.is-failed")
    failed.wait_for()
    text = failed.inner_text()
    assert "Failed on the server" in text and "Something went wrong on our side" in text
    assert failed.get_by_text("Correct and resend").is_visible()
    assert failed.locator("[data-f=discard]").is_visible()
    assert _counts(app, "rep09")[0] == base + 2
    stored = page.evaluate(OUTBOX)
    assert [(i["id"], i["status"]) for i in stored] == [(items[1]["id"], "failed")]
    viewshot(page, "offline-failed-on-server-screen", "#outbox")

    # Not resent by itself.
    sent = len(syncs)
    page.reload()
    page.click("[data-sync-now]")
    page.wait_for_timeout(500)
    assert len(syncs) == sent

    # A pending item can be discarded too, after a confirmation.
    phone.set_offline(True)
    _log_visit_offline(page, amount="1", nth=0)
    page.wait_for_url("**/today")
    page.wait_for_load_state()
    pending = page.locator("#outbox .outbox-item.is-pending")
    pending.wait_for()
    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    pending.locator("[data-f=discard]").click()
    page.wait_for_function("() => !document.querySelector('#outbox .outbox-item.is-pending')")
    assert dialogs and "Discard this visit?" in dialogs[0]
    assert [i["status"] for i in page.evaluate(OUTBOX)] == ["failed"]
    # Back online, the page served from the cache reloads from the server (offline.js):
    # wait for it, so the test ends with nothing in flight.
    with page.expect_navigation():
        phone.set_offline(False)
    assert page.errors == []  # type: ignore[attr-defined]


PAGE_USERS = """async () => {
  const c = await caches.open('planner-pages-v1');
  const out = {};
  for (const r of await c.keys()) {
    out[new URL(r.url).pathname] = (await c.match(r)).headers.get('X-Planner-User');
  }
  return out;
}"""


def test_another_user_on_the_same_phone_never_sees_the_first_users_pages_or_sends_their_visits(
    phone: Any, app: Flask
) -> None:
    first, second = _user_id(app, "rep10"), _user_id(app, "rep11")
    page = _login(phone, "rep10")
    theirs = _batch(page, _a_customer(app, "rep10"), 1)
    # rep10's visit waits on the phone (put there with no drain after it: no page load,
    # `online` or Sync now before the session goes).
    page.evaluate(PUT, theirs)
    assert set(page.evaluate(PAGE_USERS).values()) == {str(first)}

    # The session expires; someone else logs in on the same phone, in the same tab.
    for _ in range(5):  # a response still in flight may set the old session again
        phone.clear_cookies()
        page.wait_for_timeout(300)
        page.goto("/login?lang=en")
        if page.locator("#username").count():
            break
    page.fill("#username", "rep11")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/today")
    _settle(page)
    wait_cached(page, ["/today", "/visits/new"])
    assert page.evaluate("""async (user) => {
      for (let i = 0; i < 100; i++) {
        const c = await caches.open('planner-pages-v1');
        const users = await Promise.all((await c.keys()).map(
          async (r) => (await c.match(r)).headers.get('X-Planner-User')));
        if (users.length > 0 && users.every((u) => u === user)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false; }""", str(second))

    # rep10's visit is shown as another account's, and never sent under rep11's session.
    other = page.locator("#outbox .outbox-item.is-other")
    other.wait_for()
    assert "another account" in other.inner_text()
    assert other.locator("[data-f=discard]").is_hidden()
    page.click("[data-sync-now]")
    page.wait_for_timeout(500)
    assert _db(app, lambda: db.session.get(Visit, theirs[0]["id"])) is None
    assert [i["id"] for i in page.evaluate(OUTBOX)] == [theirs[0]["id"]]

    # Offline, the pages are rep11's own.
    phone.set_offline(True)
    for path in ("/today", "/visits/new"):
        page.goto(path)
        assert page.locator("#offline-ui").get_attribute("data-user") == str(second), path
    # Back online, the page served from the cache reloads from the server (offline.js):
    # wait for it, so the test ends with nothing in flight.
    with page.expect_navigation():
        phone.set_offline(False)
    assert page.errors == []  # type: ignore[attr-defined]

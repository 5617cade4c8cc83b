"""Push reminders in real Chromium at phone size: the service worker shows a pushed
reminder (delivered with CDP ServiceWorker.deliverPushMessage) and a tap on it opens the
linked page; "Enable reminders" subscribes from a tap and the dispatcher's push reaches
that subscription."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import log_in, page_errors, screenshot
from flask import Flask
from sqlalchemy import delete, select
from test_offline_browser import READY, _db

from planner.devtools.fakepush import FakePushService
from planner.extensions import db
from planner.models import PushSubscription, Reminder, ReminderPreference, User
from planner.services import reminders
from planner.services.reminders import channels as webpush
from planner.services.reminders.bell import enqueue

pytestmark = pytest.mark.browser

NOTES = """async () => {
  const reg = await navigator.serviceWorker.ready;
  return (await reg.getNotifications()).map((n) => ({title: n.title, body: n.body, tag: n.tag,
    icon: n.icon, badge: n.badge, data: n.data}));
}"""


def _uid(username: str) -> int:
    uid = db.session.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def _cleanup(app: Flask, uid: int) -> None:
    def run() -> None:
        db.session.execute(delete(Reminder).where(Reminder.user_id == uid))
        db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == uid))
        db.session.execute(delete(ReminderPreference).where(ReminderPreference.user_id == uid))
        db.session.commit()

    _db(app, run)


def _login(phone: Any, username: str, start: str) -> Any:
    page = phone.new_page()
    page.problems = page_errors(page, "error")  # type: ignore[attr-defined]
    log_in(page, username, lands="/today")
    page.goto(start)
    for _ in range(3):
        if page.evaluate(READY):
            break
        page.reload()
    return page


def _notes_until(page: Any, ok: Any, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    """The notifications shown, polled until `ok(notes)` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        notes = page.evaluate(NOTES)
        if ok(notes) or time.monotonic() > deadline:
            return notes  # type: ignore[no-any-return]
        time.sleep(0.1)


def _registration_id(cdp: Any) -> str:
    regs: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: regs.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        live = [r for r in regs if not r.get("isDeleted")]
        if live:
            return str(live[-1]["registrationId"])
        cdp.send("Runtime.evaluate", {"expression": "1"})  # let events arrive
    raise AssertionError("no service worker registration reported")


def test_pushed_reminder_is_shown_and_a_tap_opens_its_page(app, phone, live_server):
    uid = _db(app, lambda: _uid("rep24"))

    def make() -> int:
        at = datetime.now(UTC) - timedelta(minutes=1)
        enqueue(uid, "morning_plan", "browser", at, title="Today's plan",
                body="Today's targets: Visits 4.", url="/today")
        db.session.commit()
        r = db.session.scalar(select(Reminder).where(Reminder.user_id == uid))
        assert r is not None
        return r.id

    rid = _db(app, make)
    try:
        phone.grant_permissions(["notifications"], origin=live_server.url)
        page = _login(phone, "rep24", "/notifications")
        assert page.locator("#bell .bell-count").inner_text() == "1"
        bell = page.locator("#bell").bounding_box()
        assert bell and bell["width"] >= 44 and bell["height"] >= 44  # a tap target
        screenshot(page, "push-notifications-list")
        payload = _db(app, lambda: json.loads(reminders.push_data(reminders.Claimed(
            rid, uid, "morning_plan", dict(db.session.get(Reminder, rid).payload), 1))))
        cdp = phone.new_cdp_session(page)
        reg_id = _registration_id(cdp)
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server.url, "registrationId": reg_id,
            "data": json.dumps(payload)})
        [note] = _notes_until(page, lambda ns: len(ns) > 0)
        assert note["title"] == "Today's plan" and note["body"] == "Today's targets: Visits 4."
        assert note["tag"] == "morning_plan"
        assert note["icon"].endswith("/static/icons/icon-192.png") and note["badge"]
        assert note["data"]["url"] == f"/notifications/{rid}/open"
        # a newer reminder of the same kind replaces it (same tag)
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server.url, "registrationId": reg_id,
            "data": json.dumps(dict(payload, body="Today's targets: Visits 5."))})
        notes = _notes_until(page, lambda ns: any(n["body"].endswith("5.") for n in ns))
        assert [n["body"] for n in notes] == ["Today's targets: Visits 5."]
        # the tap: the worker's notificationclick takes the open window to the page
        [sw] = [w for w in phone.service_workers if w.url.endswith("/sw.js")]
        sw.evaluate("""async () => {
          const [n] = await self.registration.getNotifications();
          self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n}));
        }""")
        page.wait_for_url(re.compile(r".*/today$"), timeout=10_000)
        assert _notes_until(page, lambda ns: ns == []) == []  # closed by the tap
        assert _db(app, lambda: db.session.get(Reminder, rid).read_at) is not None
        assert page.locator("#bell .bell-count").count() == 0
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        _cleanup(app, uid)


# PushManager in headless Chromium has no push service to register with: the test gives
# the page a PushManager whose subscribe() answers a subscription of the fake push
# service (keys made as a browser makes them), so the page's own code path runs.
STUB = """(sub) => {
  let current = null;
  const make = (opts) => ({
    endpoint: sub.endpoint, options: opts,
    toJSON: () => ({endpoint: sub.endpoint, expirationTime: null, keys: sub.keys}),
    unsubscribe: async () => { current = null; return true; },
  });
  PushManager.prototype.subscribe = async function (opts) {
    window.__subscribedWith = opts; current = make(opts); return current; };
  PushManager.prototype.getSubscription = async function () { return current; };
}"""


def test_enable_reminders_from_a_tap_then_a_push_arrives(app, phone, live_server):
    uid = _db(app, lambda: _uid("rep23"))
    app.config["PUSH_ALLOW_HTTP"] = True
    try:
        with FakePushService() as fake:
            sub = _db(app, lambda: fake.subscribe(webpush.public_key(webpush.app_key(app))))
            phone.grant_permissions(["notifications"], origin=live_server.url)
            page = _login(phone, "rep23", "/notifications")
            page.evaluate(STUB, sub)
            button = page.get_by_role("button", name="Enable reminders")
            assert button.is_visible()
            box = button.bounding_box()
            assert box and box["height"] >= 44
            button.click()
            page.wait_for_function(
                "() => document.getElementById('push-status').textContent.includes('on for')")
            assert page.get_by_role("button", name="Turn off on this device").is_visible()
            key = page.evaluate("() => Array.from(new Uint8Array("
                                "window.__subscribedWith.applicationServerKey))")
            expect = _db(app, lambda: webpush.public_key(webpush.app_key(app)))
            assert webpush.b64url(bytes(key)) == expect
            screenshot(page, "push-enabled")

            def row() -> Any:
                return db.session.scalar(select(PushSubscription.user_id).where(
                    PushSubscription.endpoint == sub["endpoint"]))

            assert _db(app, row) == uid

            def send() -> reminders.PassResult:
                db.session.merge(ReminderPreference(user_id=uid, kinds_off=[],
                                                    quiet_start=None, quiet_end=None,
                                                    morning_time="08:30",
                                                    evening_time="17:30"))
                enqueue(uid, "review_approved", "browser", datetime.now(UTC),
                        title="Review approved", body="Week 49", url="/today")
                db.session.commit()
                return reminders.dispatch_once(reminders.app_sender(app))

            assert _db(app, send).sent == 1
            assert [r.payload["title"] for r in fake.delivered()] == ["Review approved"]
            assert fake.errors == []
            # logging out on this phone drops its subscription
            page.get_by_role("button", name="Log out").click()
            page.wait_for_url("**/login")
            assert _db(app, row) is None
            assert page.problems == []  # type: ignore[attr-defined]
    finally:
        app.config.pop("PUSH_ALLOW_HTTP", None)
        _cleanup(app, uid)


def test_iphone_outside_the_home_screen_gets_the_add_to_home_screen_hint(
        browser, live_server, app):
    from conftest import PHONE

    ua = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
    context = browser.new_context(base_url=live_server.url, user_agent=ua, **PHONE)
    try:
        # Safari outside the home-screen app has no PushManager
        context.add_init_script("delete window.PushManager;")
        page = _login(context, "rep22", "/notifications?lang=zh")
        hint = page.locator("#push-ios-hint")
        hint.wait_for()
        assert "添加到主屏幕" in hint.inner_text()
        assert page.locator("#push-enable").is_hidden()
        screenshot(page, "push-ios-hint")
        page.goto("/notifications/settings")
        screenshot(page, "push-settings")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        context.close()

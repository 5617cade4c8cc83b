"""The bell and its list (every page, any kind, with or without push), mark-read, the
reminder settings, this device's subscription (several per user, dropped at logout on
that device), the VAPID key served to the page and `flask planner vapid`."""

from __future__ import annotations

import re

from conftest import csrf_token, login
from flask.globals import _cv_app
from push_helpers import due, fake_push, no_quiet, push_ctx, subscribe, user  # noqa: F401
from sqlalchemy import select

from planner.extensions import db
from planner.models import PushSubscription, Reminder, ReminderPreference
from planner.services import reminders
from planner.services.reminders import channels as webpush


class _Outside:
    """A test client whose requests run outside the test's app context (a request would
    otherwise reuse it: its `g`, its logged-in user, its database session)."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if name not in ("get", "post"):
            return attr

        def run(*a, **kw):
            ctx = _cv_app.get()
            ctx.pop()
            try:
                return attr(*a, **kw)
            finally:
                ctx.push()

        return run


def _client(app, username):
    c = _Outside(app.test_client())
    c.get("/login?lang=en")  # the messages the tests read are the English ones
    assert login(c, username).status_code == 302
    return c, csrf_token(c, "/notifications")


def _sub_json(fake, app):
    return fake.subscribe(webpush.public_key(webpush.app_key(app)))


def _https(sub):
    return dict(sub, endpoint=sub["endpoint"].replace("http://", "https://"))


def test_bell_lists_what_was_sent_to_a_user_without_a_device(push_ctx):
    rep_id = user("rep10").id
    no_quiet(rep_id)
    rid = due(rep_id, kind="review_returned", title="Review returned", body="Week 49: fix it",
              url="/plans/week").id
    res = reminders.dispatch_once(webpush.Sender(webpush.app_key(push_ctx), "mailto:x@y.z"))
    assert res.in_app == 1  # no device: sent to the list only
    c, token = _client(push_ctx, "rep10")
    for page in ("/today", "/customers", "/notifications"):
        html = c.get(page).get_data(as_text=True)
        assert re.search(r'class="bell-count" data-unread="1"', html), page
    html = c.get("/notifications").get_data(as_text=True)
    assert "Review returned" in html and "Week 49: fix it" in html
    # a tap opens the link and marks it read
    resp = c.get(f"/notifications/{rid}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == "/plans/week"
    html = c.get("/today").get_data(as_text=True)
    assert "bell-count" not in html


def test_mark_read_one_and_all(push_ctx):
    rep_id = user("rep11").id
    aid = due(rep_id, when="a").id
    due(rep_id, when="b")
    c, token = _client(push_ctx, "rep11")
    assert reminders.unread_count(rep_id) == 2
    assert c.post(f"/notifications/{aid}/read", data={"csrf_token": token}).status_code == 302
    assert reminders.unread_count(rep_id) == 1
    assert c.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert reminders.unread_count(rep_id) == 0


def test_someone_elses_reminder_is_404(push_ctx):
    rid = due(user("rep12").id).id
    c, token = _client(push_ctx, "rep13")
    assert c.get(f"/notifications/{rid}/open").status_code == 404
    assert c.post(f"/notifications/{rid}/read", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Reminder, rid).read_at is None


def test_open_never_leaves_the_site(push_ctx):
    rep_id = user("rep12").id
    rid = due(rep_id, url="https://evil.example/x").id
    c, _t = _client(push_ctx, "rep12")
    assert c.get(f"/notifications/{rid}/open").headers["Location"] == "/notifications"


def test_public_key_served_to_the_page(push_ctx):
    c, _t = _client(push_ctx, "rep14")
    key = webpush.public_key(webpush.app_key(push_ctx))
    assert c.get("/push/key").get_json() == {"publicKey": key}
    assert f'data-key="{key}"' in c.get("/today").get_data(as_text=True)


def test_subscribe_several_devices_unsubscribe_and_logout(push_ctx, fake_push):
    rep_id = user("rep15").id
    phone_c, phone_t = _client(push_ctx, "rep15")
    laptop_c, laptop_t = _client(push_ctx, "rep15")
    phone = _https(_sub_json(fake_push, push_ctx))
    laptop = _https(_sub_json(fake_push, push_ctx))
    for c, t, s in ((phone_c, phone_t, phone), (laptop_c, laptop_t, laptop)):
        resp = c.post("/push/subscribe", json=s, headers={"X-CSRFToken": t})
        assert resp.status_code == 201, resp.get_data(as_text=True)
    # the same device again: still one row
    assert phone_c.post("/push/subscribe", json=phone,
                        headers={"X-CSRFToken": phone_t}).status_code == 201
    mine = lambda: sorted(db.session.scalars(select(PushSubscription.endpoint).where(  # noqa: E731
        PushSubscription.user_id == rep_id)))
    assert mine() == sorted([phone["endpoint"], laptop["endpoint"]])
    # another user cannot turn off this user's device
    other, other_t = _client(push_ctx, "rep16")
    resp = other.post("/push/unsubscribe", json={"endpoint": laptop["endpoint"]},
                      headers={"X-CSRFToken": other_t})
    assert resp.get_json()["removed"] == 0
    # logging out on the phone drops the phone's subscription only
    assert phone_c.post("/logout", data={"csrf_token": phone_t}).status_code == 302
    db.session.expire_all()
    assert mine() == [laptop["endpoint"]]
    # (logout ends every session of the user: the laptop logs in again)
    laptop_c, laptop_t = _client(push_ctx, "rep15")
    resp = laptop_c.post("/push/unsubscribe", json={"endpoint": laptop["endpoint"]},
                         headers={"X-CSRFToken": laptop_t})
    assert resp.get_json()["removed"] == 1
    assert mine() == []


def test_logout_form_names_the_device_from_an_earlier_session(push_ctx, fake_push):
    rep_id = user("rep17").id
    sub = _https(_sub_json(fake_push, push_ctx))
    db.session.add(PushSubscription(user_id=rep_id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    c, t = _client(push_ctx, "rep17")
    c.post("/logout", data={"csrf_token": t, "push_endpoint": sub["endpoint"]})
    db.session.expire_all()
    assert db.session.scalar(select(PushSubscription.id).where(
        PushSubscription.user_id == rep_id)) is None


def test_a_device_belongs_to_whoever_subscribed_last(push_ctx, fake_push):
    sub = _https(_sub_json(fake_push, push_ctx))
    for name in ("rep18", "rep19"):
        c, t = _client(push_ctx, name)
        assert c.post("/push/subscribe", json=sub, headers={"X-CSRFToken": t}).status_code == 201
    row = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == sub["endpoint"]))
    assert row.user_id == user("rep19").id


def test_bad_subscriptions_are_refused_and_change_nothing(push_ctx, fake_push):
    c, t = _client(push_ctx, "rep20")
    good = _https(_sub_json(fake_push, push_ctx))
    bad = [
        "not json",
        {"endpoint": "http://push.example/x", "keys": good["keys"]},  # not https
        {"endpoint": good["endpoint"], "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}},
        {"endpoint": good["endpoint"], "keys": {"p256dh": good["keys"]["p256dh"], "auth": "x"}},
        {"endpoint": good["endpoint"]},
        {"endpoint": "https://" + "a" * 1000, "keys": good["keys"]},
    ]
    for body in bad:
        kw = {"data": body} if isinstance(body, str) else {"json": body}
        resp = c.post("/push/subscribe", headers={"X-CSRFToken": t}, **kw)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["message"]
    assert db.session.scalar(select(PushSubscription.id)) is None
    # no CSRF token: refused
    assert c.post("/push/subscribe", json=good).status_code == 400


def test_settings_save_and_refuse_bad_times(push_ctx):
    rep_id = user("rep21").id
    c, t = _client(push_ctx, "rep21")
    html = c.get("/notifications/settings").get_data(as_text=True)
    assert 'value="08:30"' in html and 'name="kinds" value="morning_plan" checked' in html
    resp = c.post("/notifications/settings", data={
        "csrf_token": t, "kinds": ["morning_plan", "review"], "morning_time": "09:00",
        "evening_time": "18:00", "quiet_start": "21:30", "quiet_end": "07:30"})
    assert resp.status_code == 302
    row = db.session.get(ReminderPreference, rep_id)
    assert row.morning_time == "09:00" and row.quiet_start == "21:30"
    assert set(row.kinds_off) == {"follow_up", "end_of_day", "weekly_review", "behind_target"}
    for bad in ({"morning_time": "25:00"}, {"quiet_start": "22:00", "quiet_end": ""},
                {"kinds": ["team_digest"]}):
        data = {"csrf_token": t, "kinds": ["morning_plan"], "morning_time": "08:00",
                "evening_time": "17:30", "quiet_start": "", "quiet_end": ""} | bad
        resp = c.post("/notifications/settings", data=data)
        assert resp.status_code == 422, bad
        assert "field-error" in resp.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(ReminderPreference, rep_id)
    assert row.morning_time == "09:00" and row.quiet_start == "21:30"


def test_no_quiet_hours_on_a_first_save_means_none(push_ctx):
    """A user whose first saved settings have no quiet hours gets none (the column's
    default used to fill an empty value in on insert: 22:00-07:00 after all)."""
    rep_id = user("rep22").id
    assert db.session.get(ReminderPreference, rep_id) is None
    c, t = _client(push_ctx, "rep22")
    resp = c.post("/notifications/settings", data={
        "csrf_token": t, "kinds": ["morning_plan"], "morning_time": "08:30",
        "evening_time": "17:30", "quiet_start": "", "quiet_end": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    row = db.session.get(ReminderPreference, rep_id)
    assert (row.quiet_start, row.quiet_end) == (None, None)
    assert 'value="22:00"' not in c.get("/notifications/settings").get_data(as_text=True)


def test_turning_push_on_keeps_the_default_quiet_hours(push_ctx, fake_push):  # noqa: F811
    """A preference row made when push is turned on has the product's quiet hours."""
    rep_id = user("rep23").id
    c, t = _client(push_ctx, "rep23")
    resp = c.post("/push/subscribe", json=_https(_sub_json(fake_push, push_ctx)),
                  headers={"X-CSRFToken": t})
    assert resp.status_code == 201
    db.session.expire_all()
    row = db.session.get(ReminderPreference, rep_id)
    assert (row.quiet_start, row.quiet_end) == ("22:00", "07:00")


def test_manager_settings_offer_the_digest(push_ctx):
    c, _t = _client(push_ctx, "manager1")
    html = c.get("/notifications/settings").get_data(as_text=True)
    assert 'value="team_digest"' in html and 'value="morning_plan"' not in html


def test_vapid_command_shows_and_rotates(push_ctx, fake_push):
    runner = push_ctx.test_cli_runner()
    before = webpush.public_key(webpush.app_key(push_ctx))
    out = runner.invoke(args=["planner", "vapid"])
    assert out.exit_code == 0 and before in out.output
    subscribe(push_ctx, fake_push, user("rep22").id)
    try:
        out = runner.invoke(args=["planner", "vapid", "--rotate"])
        assert out.exit_code == 0, out.output
        after = webpush.public_key(webpush.app_key(push_ctx))
        assert after != before and after in out.output and "1 subscriptions deleted" in out.output
        assert db.session.scalar(select(PushSubscription.id)) is None
        # the file keeps it: a new process reads the same key
        assert webpush.public_key(webpush.load_or_create_key(push_ctx.instance_path)) == after
    finally:
        push_ctx.extensions.pop("planner_vapid", None)


def test_reminders_run_command_does_one_pass(push_ctx, fake_push):
    rep_id = user("rep23").id
    no_quiet(rep_id)
    subscribe(push_ctx, fake_push, rep_id)
    due(rep_id, kind="review_approved", title="Approved")
    out = push_ctx.test_cli_runner().invoke(args=["planner", "reminders", "run"])
    assert out.exit_code == 0, out.output
    # The pass also creates what is due at this hour of the real clock (after 17:30 in
    # Shanghai, rep23's end-of-day nudge): every reminder it sent arrived, "Approved" once.
    titles = [r.payload["title"] for r in fake_push.delivered()]
    assert f"sent {len(titles)}," in out.output
    assert titles.count("Approved") == 1


def test_reminders_list_is_kept_offline_and_the_worker_handles_pushes(push_ctx):
    src = push_ctx.test_client().get("/sw.js").get_data(as_text=True)
    network_first = src.split("const NETWORK_FIRST = ", 1)[1].split(";", 1)[0]
    assert '"/notifications"' in network_first
    assert 'addEventListener("push"' in src and 'addEventListener("notificationclick"' in src


def test_subscriptions_that_point_inside_are_refused_with_a_message(push_ctx, fake_push,
                                                                   monkeypatch):
    """Server-side request forgery: endpoints that are IP literals, carry credentials,
    use another port than 443 or name no valid host are refused (422, a message), and
    nothing is stored; the allow-list of push services holds when set."""
    monkeypatch.setitem(push_ctx.config, "PUSH_ALLOW_LOOPBACK", False)
    c, t = _client(push_ctx, "rep20")
    keys = _sub_json(fake_push, push_ctx)["keys"]
    refused = {
        "https://127.0.0.1/": "not an IP address",
        "https://[::1]/x": "not an IP address",
        "https://169.254.169.254/latest": "not an IP address",
        "https://user:pw@x/": "user name or password",
        "https://user:pw@fcm.googleapis.com/x": "user name or password",
        "https://%00/x": "valid host",
        "https://localhost/x": "valid host",
        "https://127.1/x": "valid host",
        "https://fcm.googleapis.com:8443/x": "port (443)",
        _https(_sub_json(fake_push, push_ctx))["endpoint"]: "not an IP address",
    }
    for endpoint, words in refused.items():
        resp = c.post("/push/subscribe", json={"endpoint": endpoint, "keys": keys},
                      headers={"X-CSRFToken": t})
        assert resp.status_code == 422, endpoint
        assert words in resp.get_json()["error"]["message"], endpoint
    assert db.session.scalar(select(PushSubscription.id)) is None
    monkeypatch.setitem(push_ctx.config, "PUSH_SERVICE_DOMAINS", "googleapis.com")
    resp = c.post("/push/subscribe", headers={"X-CSRFToken": t}, json={
        "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/x", "keys": keys})
    assert resp.status_code == 422
    assert "not allowed" in resp.get_json()["error"]["message"]
    resp = c.post("/push/subscribe", headers={"X-CSRFToken": t}, json={
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys})
    assert resp.status_code == 201

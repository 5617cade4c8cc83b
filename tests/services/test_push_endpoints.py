"""Where a push may go: no address inside the server's network, whatever a name resolves
to (a fake resolver stands in for DNS), no redirect followed, the push services'
allow-list; and a reminder's error once another device got it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from push_helpers import due, fake_push, no_quiet, push_ctx, subscribe, user  # noqa: F401
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import PushSubscription, Reminder, ReminderStatus
from planner.services import reminders
from planner.services.reminders import channels as webpush
from planner.services.reminders.endpoints import (
    EndpointPolicy,
    blocked_address,
    endpoint_problem,
)

STRICT = EndpointPolicy()
# Plain http to the fake service (no TLS in tests), nothing else relaxed: without the
# connection check a request would reach the fake and show in its log.
HTTP_ONLY = EndpointPolicy(allow_http=True)


def _fake_resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]],
                   port: int) -> list[str]:
    """socket.getaddrinfo answering `answers[host]` in turn (the last one repeats), each
    with `port` (the fake push service's), whatever port was asked for."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, p: Any, *args: Any, **kw: Any) -> Any:
        if host not in answers:
            return real(host, p, *args, **kw)
        asked.append(host)
        queue = answers[host]
        addr = queue.pop(0) if len(queue) > 1 else queue[0]
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        sockaddr = (addr, port, 0, 0) if fam == socket.AF_INET6 else (addr, port)
        return [(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _named(sub: dict[str, Any], host: str, scheme: str = "https") -> dict[str, Any]:
    """The fake service's subscription under a DNS name (the path keeps its token)."""
    path = sub["endpoint"].split("/push/", 1)[1]
    return dict(sub, endpoint=f"{scheme}://{host}/push/{path}")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
    "169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "ff02::1", "240.0.0.1",
    "0.0.0.0", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "100.64.0.1",
    "255.255.255.255", "192.0.2.1"])
def test_inside_addresses_are_blocked(address):
    assert blocked_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.72.10", "2001:4860:4860::8888"])
def test_public_addresses_are_not(address):
    assert not blocked_address(address)


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://[::1]/x", "https://10.0.0.1/x", "https://169.254.169.254/",
    "https://user:pw@fcm.googleapis.com/x", "https://user@fcm.googleapis.com/x",
    "https://%00/x", "https://fcm.googleapis.com:8443/x", "https://fcm.googleapis.com:80/x",
    "https://localhost/x", "https://127.1/x", "https://2130706433/x", "https://0x7f.1/x",
    "https://intranet/x", "https://-bad-.example.com/x", "https://a_b.example.com/x",
    "http://fcm.googleapis.com/x", "https://fcm.googleapis.com:99999/x", "https://\x00.com/",
    "https://[::ffff:127.0.0.1]/x", "ftp://fcm.googleapis.com/x", "https:///x"])
def test_endpoints_that_point_inside_or_are_not_names_are_refused(url):
    assert endpoint_problem(url, STRICT)


@pytest.mark.parametrize("url", [
    "https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x",
    "https://web.push.apple.com:443/QGx", "https://wns2-par02p.notify.windows.com/w/?token=x"])
def test_real_push_services_are_accepted(url):
    assert endpoint_problem(url, STRICT) is None


def test_the_allow_list_keeps_other_push_services_out():
    policy = EndpointPolicy.from_config({"PUSH_SERVICE_DOMAINS": "googleapis.com, push.apple.com"})
    assert endpoint_problem("https://fcm.googleapis.com/x", policy) is None
    assert endpoint_problem("https://web.push.apple.com/x", policy) is None
    assert endpoint_problem("https://updates.push.services.mozilla.com/x", policy)
    assert endpoint_problem("https://evilgoogleapis.com/x", policy)


def test_loopback_only_with_the_switch():
    on = EndpointPolicy(allow_loopback=True)
    assert endpoint_problem("http://127.0.0.1:8123/push/x", on) is None
    assert endpoint_problem("http://127.0.0.1:8123/push/x", STRICT)
    assert endpoint_problem("https://10.0.0.1/push/x", on)  # only loopback, never private


def test_a_name_resolving_to_loopback_is_refused_at_send(push_ctx, fake_push, monkeypatch):
    """A good-looking name whose DNS answers 127.0.0.1: the connection is checked, and
    nothing reaches the service behind it."""
    sub = _named(fake_push.subscribe(webpush.public_key(webpush.app_key(push_ctx))),
                 "push.example.com", "http")
    asked = _fake_resolver(monkeypatch, {"push.example.com": ["127.0.0.1"]},
                           fake_push.server.server_port)
    sender = webpush.Sender(webpush.app_key(push_ctx), "mailto:ops@example.com",
                            timeout=5, policy=HTTP_ONLY)
    out = sender.send(sub, b'{"title":"x"}', ttl=60, urgency="normal")
    assert out.status == "refused" and "127.0.0.1" in out.detail
    assert asked == ["push.example.com"]
    assert fake_push.received == [] and fake_push.errors == []


def test_dns_rebinding_does_not_get_through(push_ctx, fake_push, monkeypatch):
    """The name answers a public address first, then loopback: whichever lookup the
    connection uses, the address connected to is what is checked."""
    sub = _named(fake_push.subscribe(webpush.public_key(webpush.app_key(push_ctx))),
                 "rebind.example.com", "http")
    _fake_resolver(monkeypatch, {"rebind.example.com": ["8.8.8.8", "127.0.0.1"]},
                   fake_push.server.server_port)
    sender = webpush.Sender(webpush.app_key(push_ctx), "mailto:ops@example.com",
                            timeout=1, policy=HTTP_ONLY)
    outcomes = [sender.send(sub, b'{"title":"x"}', ttl=60, urgency="normal")
                for _i in range(2)]
    assert all(o.status != "ok" for o in outcomes)
    assert outcomes[-1].status == "refused"
    assert fake_push.received == [] and fake_push.errors == []


def test_the_dispatcher_fails_a_reminder_whose_device_points_inside(push_ctx, fake_push,
                                                                    monkeypatch):
    rep = user("rep05")
    no_quiet(rep.id)
    sub = fake_push.subscribe(webpush.public_key(webpush.app_key(push_ctx)))
    db.session.add(PushSubscription(user_id=rep.id, endpoint="https://127.0.0.1/x",
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    r = due(rep.id)
    monkeypatch.setitem(push_ctx.config, "PUSH_ALLOW_LOOPBACK", False)
    res = reminders.dispatch_once(reminders.app_sender(push_ctx))
    assert res.failed == 1 and fake_push.received == []
    db.session.expire_all()
    row = db.session.get(Reminder, r.id)
    assert row.status == ReminderStatus.FAILED and "ip_literal" in (row.last_error or "")


def test_a_redirect_is_not_followed(push_ctx, fake_push):
    rep = user("rep06")
    no_quiet(rep.id)
    first = subscribe(push_ctx, fake_push, rep.id)
    other = fake_push.subscribe(webpush.public_key(webpush.app_key(push_ctx)))
    fake_push.script(first["endpoint"], (307, {"Location": other["endpoint"]}))
    sender = webpush.Sender(webpush.app_key(push_ctx), "mailto:ops@example.com",
                            policy=EndpointPolicy(allow_loopback=True))
    out = sender.send(first, b'{"title":"x"}', ttl=60, urgency="normal")
    assert out.status == "error" and out.code == 307
    assert len(fake_push.received) == 1  # the redirect's target was never asked


def test_a_reminder_delivered_to_one_device_keeps_no_error_of_another(push_ctx, fake_push):
    """One device answers 410 (unsubscribed), the other takes the message: the reminder
    is sent and carries no error; the gone device is deleted."""
    rep = user("rep07")
    no_quiet(rep.id)
    gone = subscribe(push_ctx, fake_push, rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    fake_push.script(gone["endpoint"], 410)
    r = due(rep.id)
    res = reminders.dispatch_once(webpush.Sender(webpush.app_key(push_ctx),
                                                 "mailto:ops@example.com"))
    assert (res.sent, res.subscriptions_removed) == (1, 1)
    db.session.expire_all()
    row = db.session.get(Reminder, r.id)
    assert row.status == ReminderStatus.SENT
    assert row.last_error is None
    assert db.session.scalar(select(func.count(PushSubscription.id)).where(
        PushSubscription.user_id == rep.id)) == 1

"""The reminder dispatcher sends through a fake push service that checks and decrypts like
a real one: every due reminder once, 404/410 drop the device, 429/5xx/timeouts retried
later, a dead worker's rows taken over when its lease runs out, no two workers send the
same reminder."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from push_helpers import due, fake_push, no_quiet, push_ctx, subscribe, user  # noqa: F401
from sqlalchemy import delete, func, insert, select

from planner.db import reading
from planner.extensions import db
from planner.models import PushSubscription, Reminder, ReminderStatus
from planner.services import reminders
from planner.services.reminders import channels as webpush


def _sender(app: Flask, timeout: float = 10.0) -> webpush.Sender:
    return webpush.Sender(webpush.app_key(app), "mailto:ops@example.com", timeout=timeout)


def _reload(r: Reminder) -> Reminder:
    db.session.expire_all()
    fresh = db.session.get(Reminder, r.id)
    assert fresh is not None
    return fresh


def test_due_reminder_is_encrypted_signed_and_delivered_once(push_ctx, fake_push):
    rep = user("rep01")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    r = due(rep.id, title="Today's plan", body="Visits 3", url="/today")
    res = reminders.dispatch_once(_sender(push_ctx))
    assert (res.claimed, res.sent) == (1, 1)
    assert fake_push.errors == []
    [got] = fake_push.delivered()
    assert got.payload["title"] == "Today's plan" and got.payload["body"] == "Visits 3"
    assert got.payload["url"] == "/today" and got.payload["id"] == r.id
    assert got.payload["tag"] == "morning_plan"
    assert got.ttl > 0 and got.urgency == "normal" and got.topic == "morning-plan"
    r = _reload(r)
    assert r.status == ReminderStatus.SENT and r.sent_at is not None
    # a second pass finds nothing to send
    assert reminders.dispatch_once(_sender(push_ctx)).claimed == 0
    assert len(fake_push.delivered()) == 1


def test_gone_subscription_is_deleted_and_reminder_stays_in_app(push_ctx, fake_push):
    rep = user("rep02")
    no_quiet(rep.id)
    sub = subscribe(push_ctx, fake_push, rep.id)
    fake_push.script(sub["endpoint"], 410)
    r = due(rep.id)
    res = reminders.dispatch_once(_sender(push_ctx))
    assert res.subscriptions_removed == 1 and res.in_app == 1
    assert db.session.scalar(select(func.count(PushSubscription.id)).where(
        PushSubscription.user_id == rep.id)) == 0
    assert _reload(r).status == ReminderStatus.SENT  # the bell still lists it


def test_404_also_deletes_only_that_device(push_ctx, fake_push):
    rep = user("rep02")
    no_quiet(rep.id)
    dead = subscribe(push_ctx, fake_push, rep.id)
    alive = subscribe(push_ctx, fake_push, rep.id)
    fake_push.script(dead["endpoint"], 404)
    due(rep.id)
    res = reminders.dispatch_once(_sender(push_ctx))
    assert res.sent == 1 and res.subscriptions_removed == 1
    left = db.session.scalars(select(PushSubscription.endpoint).where(
        PushSubscription.user_id == rep.id)).all()
    assert left == [alive["endpoint"]]


def test_429_waits_for_retry_after_then_sends(push_ctx, fake_push):
    rep = user("rep03")
    no_quiet(rep.id)
    sub = subscribe(push_ctx, fake_push, rep.id)
    fake_push.script(sub["endpoint"], (429, {"Retry-After": "120"}))
    r = due(rep.id)
    now = datetime.now(UTC)
    res = reminders.dispatch_once(_sender(push_ctx), now=now)
    assert res.retried == 1
    r = _reload(r)
    assert r.status == ReminderStatus.PENDING
    assert reminders._aware(r.next_attempt_at) == now + timedelta(seconds=120)
    # not before Retry-After has passed
    assert reminders.dispatch_once(_sender(push_ctx), now=now + timedelta(seconds=60)).claimed == 0
    res = reminders.dispatch_once(_sender(push_ctx), now=now + timedelta(seconds=121))
    assert res.sent == 1
    assert [x.status for x in fake_push.received] == [429, 201]
    assert _reload(r).status == ReminderStatus.SENT


def test_500_backs_off_and_fails_after_the_limit_with_its_reason(push_ctx, fake_push):
    rep = user("rep04")
    no_quiet(rep.id)
    sub = subscribe(push_ctx, fake_push, rep.id)
    fake_push.script(sub["endpoint"], *([500] * reminders.MAX_ATTEMPTS))
    r = due(rep.id)
    now = datetime.now(UTC)
    waits = []
    for _i in range(reminders.MAX_ATTEMPTS - 1):
        res = reminders.dispatch_once(_sender(push_ctx), now=now)
        assert res.retried == 1
        nxt = reminders._aware(_reload(r).next_attempt_at)
        assert nxt is not None
        waits.append((nxt - now).total_seconds())
        now = nxt
    assert waits == [30, 60, 120, 240, 480]
    res = reminders.dispatch_once(_sender(push_ctx), now=now)
    assert res.failed == 1
    r = _reload(r)
    assert r.status == ReminderStatus.FAILED and "500" in (r.last_error or "")
    assert r.attempts == reminders.MAX_ATTEMPTS


def test_timeout_is_retried_later_not_dropped(push_ctx, fake_push):
    rep = user("rep05")
    no_quiet(rep.id)
    sub = subscribe(push_ctx, fake_push, rep.id)
    fake_push.slow(sub["endpoint"], 1.0)
    r = due(rep.id)
    res = reminders.dispatch_once(_sender(push_ctx, timeout=0.2))
    assert res.retried == 1
    r = _reload(r)
    assert r.status == ReminderStatus.PENDING and "Timeout" in (r.last_error or "")


def test_config_problem_fails_with_reason(push_ctx, fake_push):
    rep = user("rep06")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    r = due(rep.id)
    # signed with another key than the one the browser subscribed with: 403
    other = webpush.Sender(webpush.load_or_create_key(str(push_ctx.instance_path) + "/other"),
                           "mailto:ops@example.com")
    res = reminders.dispatch_once(other)
    assert res.failed == 1
    r = _reload(r)
    assert r.status == ReminderStatus.FAILED and "config: 403" in (r.last_error or "")
    assert fake_push.errors and "key" in fake_push.errors[0]


def test_a_dead_workers_rows_are_sent_once_after_its_lease(push_ctx, fake_push):
    rep = user("rep07")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    ids = [due(rep.id, when=f"w{i}").id for i in range(5)]
    now = datetime.now(UTC)
    # worker A claims the rows and dies before sending (nothing recorded)
    taken = reminders.claim("worker-a", limit=10, lease_s=60, now=now)
    db.session.commit()
    assert sorted(c.id for c in taken) == ids
    # while A's lease runs, B finds nothing
    assert reminders.dispatch_once(_sender(push_ctx), "worker-b", now=now).claimed == 0
    res = reminders.dispatch_once(_sender(push_ctx), "worker-b",
                                  now=now + timedelta(seconds=61))
    assert res.sent == 5
    assert sorted(x.payload["id"] for x in fake_push.delivered()) == ids
    # A coming back to life cannot record over B's result
    late = [reminders._Decision(c, "retry", at=now) for c in taken]
    assert reminders._record(late, "worker-a", now).lost == 5
    db.session.commit()
    assert {_reload(db.session.get(Reminder, i)).status for i in ids} == {ReminderStatus.SENT}


def test_payload_stays_under_4kb(push_ctx, fake_push):
    rep = user("rep08")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    due(rep.id, body="长" * 5000)
    assert reminders.dispatch_once(_sender(push_ctx)).sent == 1
    [got] = fake_push.delivered()
    assert got.payload["body"].endswith("…")
    assert len(webpush.encode_payload(got.payload)) <= webpush.MAX_PAYLOAD


def _bulk_due(user_ids: list[int], n: int, tag: str) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    rows = [{"user_id": user_ids[i % len(user_ids)], "kind": "review_submitted",
             "dedupe_key": f"{tag}:{i}", "due_at": at, "status": ReminderStatus.PENDING,
             "attempts": 0, "payload": {"title": f"#{i}", "body": "b", "url": "/today",
                                        "kind": "review_submitted"}}
            for i in range(n)]
    db.session.execute(insert(Reminder), rows)
    db.session.commit()


def test_two_workers_at_once_send_each_of_1000_reminders_exactly_once(push_ctx, fake_push):
    """On PostgreSQL: FOR UPDATE SKIP LOCKED; on SQLite: a single conditional UPDATE
    (one worker and a second pass at the same time)."""
    reps = [user(f"rep{i:02d}") for i in range(1, 11)]
    for r in reps:
        no_quiet(r.id)
        subscribe(push_ctx, fake_push, r.id)
    _bulk_due([r.id for r in reps], 1000, "bulk")
    results: list[reminders.PassResult] = []
    errors: list[BaseException] = []

    start = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            with push_ctx.app_context():
                start.wait(30)
                results.append(reminders.dispatch_all(_sender(push_ctx), name, limit=50))
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - shown by the assert
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    # On a loaded machine a push may time out or be refused and wait for its retry (kept,
    # not lost): the next pass, an hour on, sends what is left. Then every reminder has
    # arrived exactly once.
    with push_ctx.app_context():
        later = datetime.now(UTC) + timedelta(hours=1)
        results.append(reminders.dispatch_all(_sender(push_ctx), "w-next", limit=50,
                                              now=later))
        db.session.remove()
    got = [x.payload["title"] for x in fake_push.delivered()]
    assert len(got) == 1000 and len(set(got)) == 1000
    assert sum(r.sent for r in results) == 1000
    assert all(r.claimed > 0 for r in results[:2])  # both workers took part
    assert fake_push.errors == []
    assert db.session.scalar(select(func.count(Reminder.id)).where(
        Reminder.status == ReminderStatus.SENT)) == 1000


def test_worker_loop_sends_what_comes_due_and_stops(push_ctx, fake_push):
    rep = user("rep09")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            with push_ctx.app_context():
                reminders.worker_loop(_sender(push_ctx), stop, idle_s=0.05,
                                      generate_every_s=None)
        except BaseException as exc:  # pragma: no cover - shown by the assert
            errors.append(exc)

    t = threading.Thread(target=loop)
    t.start()
    try:
        due(rep.id, when="loop1", title="first")
        db.session.commit()  # no transaction left open here (SQLite: it holds the lock)
        for _i in range(200):
            if fake_push.delivered():
                break
            threading.Event().wait(0.05)
        due(rep.id, when="loop2", title="second")
        db.session.commit()
        for _i in range(200):
            if len(fake_push.delivered()) == 2:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive() and errors == []
    assert [r.payload["title"] for r in fake_push.delivered()] == ["first", "second"]


def test_bench_reminders_command_counts_each_reminder_once(app):
    out = app.test_cli_runner().invoke(args=["planner", "bench-reminders", "--count", "300",
                                             "--batch", "50"])
    assert out.exit_code == 0, out.output
    assert "push service: 300 received, 300 distinct, 0 refused; database: 300 sent" in out.output
    assert "check: every reminder sent exactly once" in out.output


def test_a_worker_process_killed_holding_rows_loses_none(push_ctx, fake_push):
    """A real `flask planner reminders worker` claims a reminder, hangs on a push service
    that never answers and is killed (SIGKILL). The row stays claimed until its lease runs
    out; then another worker sends it, once."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    rep = user("rep10")
    no_quiet(rep.id)
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)  # accepts connections, never answers
    sub = fake_push.subscribe(webpush.public_key(webpush.app_key(push_ctx)))
    db.session.add(PushSubscription(
        user_id=rep.id, endpoint=f"http://127.0.0.1:{hole.getsockname()[1]}/push/x",
        p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    rid = due(rep.id, when="killed", title="survives").id
    db.session.commit()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "planner", "reminders", "worker",
         "--dispatch-only", "--idle", "0.2"],
        cwd=root, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        row = None
        for _i in range(600):
            db.session.rollback()
            with reading():  # no write lock held while polling: the worker needs it
                row = db.session.get(Reminder, rid)
            if row is not None and row.status == ReminderStatus.SENDING:
                break
            time.sleep(0.1)
        assert row is not None and row.status == ReminderStatus.SENDING
        assert row.claimed_by and str(proc.pid) in row.claimed_by
        lease_end = reminders._aware(row.claimed_until)
        db.session.commit()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        hole.close()
    # the device that never answered is replaced by one that does
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == rep.id))
    db.session.add(PushSubscription(user_id=rep.id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    assert reminders.dispatch_once(_sender(push_ctx), "rescuer", now=lease_end).claimed == 0
    res = reminders.dispatch_once(_sender(push_ctx), "rescuer",
                                  now=lease_end + timedelta(seconds=1))
    assert res.sent == 1
    assert [r.payload["title"] for r in fake_push.delivered()] == ["survives"]
    assert reminders.dispatch_once(_sender(push_ctx), "rescuer",
                                   now=lease_end + timedelta(seconds=60)).claimed == 0
    assert len(fake_push.delivered()) == 1


def test_worker_loop_refreshes_sqlites_statistics_once_an_hour(push_ctx, fake_push,
                                                                monkeypatch):
    """The worker keeps SQLite's planner statistics: once when it starts, then hourly
    (not on every pass)."""
    from planner.services.reminders import worker as reminders

    calls: list[float] = []
    monkeypatch.setattr(reminders, "refresh_statistics",
                        lambda conn: calls.append(time.monotonic()))
    stop = threading.Event()
    passes = 0
    real_dispatch = reminders.dispatch_once

    def counting(*a, **k):
        nonlocal passes
        passes += 1
        if passes >= 20:
            stop.set()
        return real_dispatch(*a, **k)

    monkeypatch.setattr(reminders, "dispatch_once", counting)
    with push_ctx.app_context():
        reminders.worker_loop(_sender(push_ctx), stop, idle_s=0.001, generate_every_s=None)
    assert passes >= 20 and len(calls) == 1
    monkeypatch.setattr(reminders, "STATS_EVERY_S", 0.0)  # an hour later, every pass
    stop.clear()
    passes = 0
    with push_ctx.app_context():
        reminders.worker_loop(_sender(push_ctx), stop, idle_s=0.001, generate_every_s=None)
    assert len(calls) == 1 + passes

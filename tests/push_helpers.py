"""Helpers for the reminder and push tests: a fake push service, subscriptions, clean-up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select

from planner.devtools.fakepush import FakePushService
from planner.extensions import db
from planner.models import PushSubscription, Reminder, ReminderPreference, User
from planner.services.reminders import channels as webpush
from planner.services.reminders.bell import enqueue


@pytest.fixture()
def fake_push() -> Iterator[FakePushService]:
    with FakePushService() as svc:
        yield svc


@pytest.fixture()
def push_ctx(app: Flask) -> Iterator[Flask]:
    """An app context whose reminders, subscriptions and preferences are wiped before and
    after (a browser test earlier in the run may have left a real browser's device)."""
    with app.app_context():
        db.session.execute(delete(Reminder))
        db.session.execute(delete(PushSubscription))
        db.session.execute(delete(ReminderPreference))
        db.session.commit()
        yield app
        db.session.rollback()
        db.session.execute(delete(Reminder))
        db.session.execute(delete(PushSubscription))
        db.session.execute(delete(ReminderPreference))
        db.session.commit()
        db.session.remove()


def user(username: str) -> User:
    u = db.session.scalar(select(User).where(User.username == username))
    assert u is not None
    return u


def subscribe(app: Flask, fake: FakePushService, user_id: int) -> dict:
    sub = fake.subscribe(webpush.public_key(webpush.app_key(app)))
    db.session.add(PushSubscription(user_id=user_id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    return sub


def due(user_id: int, kind: str = "morning_plan", when: str = "x", minutes_ago: int = 1,
        title: str = "T", body: str = "B", url: str = "/today") -> Reminder:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    assert enqueue(user_id, kind, when, at, title=title, body=body, url=url)
    db.session.commit()
    r = db.session.scalar(select(Reminder).where(
        Reminder.dedupe_key == f"{user_id}:{kind}:{when}"))
    assert r is not None
    return r


def no_quiet(user_id: int) -> None:
    """No quiet hours for this user (tests run at any time of day)."""
    db.session.merge(ReminderPreference(user_id=user_id, kinds_off=[], quiet_start=None,
                                        quiet_end=None, morning_time="08:30",
                                        evening_time="17:30"))
    db.session.commit()

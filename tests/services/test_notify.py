"""Queueing a reminder: one row per (user, kind, when), however often it is asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Reminder, User
from planner.services.reminders import bell as notify


def test_a_reminder_asked_for_twice_exists_once_and_the_second_call_says_so(
    app: Flask, app_ctx: None
) -> None:
    user = db.session.scalar(select(User).where(User.username == "rep03"))
    assert user is not None
    when = "test-notify-2026-12-02"
    due = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    first = notify.enqueue(user.id, "test_kind", when, due, title="t", body="b", url="/today")
    second = notify.enqueue(user.id, "test_kind", when, due, title="t2", body="b2", url="/x")
    rows = db.session.scalars(select(Reminder).where(
        Reminder.dedupe_key == notify.dedupe_key(user.id, "test_kind", when))).all()
    assert (first, second, len(rows)) == (True, False, 1)
    assert rows[0].payload["title"] == "t" and rows[0].created_at is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.kind == "test_kind")) == 0


def test_a_reminder_needs_a_timezone_aware_due_time(app: Flask, app_ctx: None) -> None:
    with pytest.raises(ValueError):
        notify.enqueue(1, "k", "w", datetime(2026, 12, 2), title="t", body="b", url="/")

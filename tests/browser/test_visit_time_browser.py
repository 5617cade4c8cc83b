"""The time of a visit logged offline, with a clock the test controls (Playwright's
page clock): the moment the rep saves, not the moment the phone cached the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from test_offline_browser import OUTBOX, _counts, _db, _log_visit_offline, _login

from planner.extensions import db
from planner.models import User, Visit

pytestmark = pytest.mark.browser


def test_a_visit_logged_offline_two_minutes_after_the_form_was_cached_has_the_time_it_was_logged(
    phone: Any, app: Flask
) -> None:
    cached_at = datetime.now(UTC)
    phone.clock.install(time=cached_at)  # the phone's clock runs from here, as we say
    page = _login(phone, "rep23")  # Today and the visit form are cached now
    visits0 = _counts(app, "rep23")[0]

    phone.set_offline(True)
    page.clock.fast_forward("02:00")  # two minutes later, in the field
    _log_visit_offline(page, amount="500")
    page.locator("#outbox .outbox-item").first.wait_for()
    saved_ms = max(i["created"] for i in page.evaluate(OUTBOX))
    saved_at = datetime.fromtimestamp(saved_ms / 1000, UTC)
    assert saved_at - cached_at >= timedelta(minutes=2)

    phone.set_offline(False)  # `online`: the outbox drains
    page.wait_for_function("() => document.getElementById('outbox').hidden", timeout=15_000)
    assert _counts(app, "rep23")[0] == visits0 + 1

    def latest() -> datetime:
        uid = db.session.scalar(select(User.id).where(User.username == "rep23"))
        return db.session.scalar(select(Visit.visited_at).where(Visit.user_id == uid)
                                 .order_by(Visit.created_at.desc()).limit(1))

    visited_at = _db(app, latest)
    assert visited_at.tzinfo is not None
    # The moment the rep pressed Save (the phone's clock), not the form's time.
    assert abs(visited_at - saved_at) < timedelta(seconds=5), (visited_at, saved_at, cached_at)
    assert page.errors == []  # type: ignore[attr-defined]

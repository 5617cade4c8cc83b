"""A rep leaves, on a phone: the director opens the leave form, previews where the
remaining targets and the customers go, applies; the rep can no longer log in. On a demo
company of its own (a database of its own): the shared demo keeps its teams for the
other browser tests, which count a team's reps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DEMO_PASSWORD,
    PHONE,
    LiveServer,
    close_context,
    log_in,
    screenshot,
    watch_console,
)
from flask import Flask
from org_helpers import dispose, empty_app
from sqlalchemy import select

from planner.extensions import db
from planner.models import Role, User
from planner.security import hash_password
from planner.services import people_changes as pc

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_app(tmp_path: Path) -> Iterator[Flask]:
    from planner.devtools.demo import load_demo

    app = empty_app(tmp_path, "people_changes")
    with app.app_context():
        load_demo()
        db.session.remove()
    yield app
    dispose(app)


@pytest.fixture()
def demo_server(demo_app: Flask) -> Iterator[LiveServer]:
    srv = LiveServer(demo_app)
    srv.start()
    yield srv
    srv.stop()


def _a_rep_with_targets(app: Flask) -> tuple[int, str]:
    """A new rep of manager1's team with a share of the team's remaining target (so the
    demo's own reps keep theirs for the other tests)."""
    name = f"leaver{uuid.uuid4().hex[:6]}"
    with app.test_request_context("/?lang=en"):
        mate = db.session.scalar(select(User).where(User.username == "rep01"))
        director = db.session.scalar(select(User).where(User.username == "director"))
        assert mate is not None and director is not None
        rep = User(username=name, display_name=f"Leaver {name[-6:]}", role=Role.REP,
                   password_hash=hash_password(DEMO_PASSWORD), unit_id=mate.unit_id,
                   manager_id=mate.manager_id, capability=60)
        db.session.add(rep)
        db.session.flush()
        # Joined in the year's first month: a share of every later month.
        from planner.services.company import local_today

        today = local_today(director.company)
        pc.apply_join(director, rep, {"mode": "capability"}, today.replace(month=1, day=15))
        db.session.commit()
        return rep.id, name


def test_the_director_previews_and_applies_a_rep_leaving_at_phone_size(
    demo_app: Flask, browser: Any, demo_server: LiveServer
) -> None:
    app, live_server = demo_app, demo_server
    rep_id, name = _a_rep_with_targets(app)
    phone = browser.new_context(base_url=live_server.url, **PHONE)
    phone_watch = watch_console(phone)
    page = phone.new_page()
    log_in(page, "director", lands="/targets")
    page.goto("/changes/?lang=en")
    page.get_by_role("link", name="Leaves").first.wait_for()
    page.goto(f"/changes/{rep_id}/leave?lang=en")
    assert page.locator("input[name=targets_to][value=spread]").is_checked()
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".tpreview")
    preview.wait_for()
    text = preview.inner_text()
    assert "is deactivated" in text and "→" in text
    assert "targets change" in text or "target changes" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "people-leave-preview")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/changes/")
    assert "has left" in page.locator(".flash").inner_text()
    with app.app_context():
        gone = db.session.get(User, rep_id)
        assert gone is not None and not gone.active
    # They can no longer log in (a phone of their own: no director's session).
    theirs = browser.new_context(base_url=live_server.url, **PHONE)
    watch = watch_console(theirs)
    # The refused login answers 401 on purpose; the browser logs it as a failed resource.
    watch.allow(r"status of 401 \(UNAUTHORIZED\) \[[^\]]*/login\]")
    other = theirs.new_page()
    other.goto("/login?lang=en")
    other.fill("#username", name)
    other.fill("#password", DEMO_PASSWORD)
    other.locator("form button[type=submit]").last.click()
    other.wait_for_load_state()
    assert "/login" in other.url and other.locator("#username").is_visible()
    close_context(theirs)
    assert watch.unexpected() == []
    close_context(phone)
    assert phone_watch.unexpected() == []

"""A backup taken while 8 reps log visits over HTTP restores whole: every visit
acknowledged before the backup began is in it, nothing is half-written, the row counts
are the manifest's, and the restored app serves Today with the same figures."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import DEMO_PASSWORD, LiveServer
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from planner import create_app
from planner.extensions import db
from planner.models import Customer, User, Visit
from planner.services import backup
from planner.services.backup import postgres

WRITERS = [f"rep{i:02d}" for i in range(1, 9)]


class Writer(threading.Thread):
    """One rep's phone syncing a visit at a time; remembers when each was acknowledged."""

    def __init__(self, base: str, username: str, customer_id: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.username, self.cid, self.stop = base, username, customer_id, stop
        self.acked: list[tuple[str, float]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        s = requests.Session()
        page = s.get(f"{self.base}/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        s.post(f"{self.base}/login", data={"username": self.username,
                                           "password": DEMO_PASSWORD,
                                           "csrf_token": token.group(1)}, timeout=30)
        api_token = s.get(f"{self.base}/api/v1/csrf", timeout=30).json()["csrf_token"]
        while not self.stop.is_set():
            vid = str(uuid.uuid4())
            item = {"id": vid, "type": "visit", "payload": {
                "customer_id": str(self.cid), "kind": "existing",
                "visited_at": datetime.now(UTC).isoformat(), "amount_signed": "12.50",
                "products": [], "notes": "under load"}}
            r = s.post(f"{self.base}/api/v1/sync", json={"items": [item]},
                       headers={"X-CSRFToken": api_token}, timeout=60)
            if r.status_code == 200 and r.json()["results"][0]["status"] == "applied":
                self.acked.append((vid, time.monotonic()))
            else:
                self.errors.append(f"{r.status_code} {r.text[:200]}")


@pytest.fixture()
def scratch_url(app: Flask, tmp_path: Path) -> Iterator[str]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"planner_restore_{uuid.uuid4().hex[:8]}"
    scratch = postgres.scratch_database(url, name)
    yield scratch.replace("postgresql://", "postgresql+psycopg://")
    postgres.drop_database(url, name)


def _customer_of(app: Flask, username: str) -> int:
    with app.app_context():
        cid = db.session.scalar(select(Customer.id).join(User, Customer.owner_id == User.id)
                                .where(User.username == username).order_by(Customer.id))
        db.session.remove()
    assert cid is not None
    return int(cid)


def _today(flask_app: Flask, username: str) -> Any:
    c = flask_app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    c.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                           "csrf_token": token.group(1)})
    resp = c.get("/api/v1/today")
    assert resp.status_code == 200
    body = resp.get_json()
    body.pop("generated_at", None)
    return body


def test_a_backup_under_load_restores_every_acknowledged_visit(
        app: Flask, live_server: LiveServer, tmp_path: Path, scratch_url: str) -> None:
    stop = threading.Event()
    writers = [Writer(live_server.url, u, _customer_of(app, u), stop) for u in WRITERS]
    for w in writers:
        w.start()
    deadline = time.monotonic() + 60
    while any(len(w.acked) < 2 for w in writers) and time.monotonic() < deadline:
        time.sleep(0.05)  # every phone is logged in and syncing
    started = time.monotonic()
    with app.app_context():
        path, manifest = backup.take(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b")
        db.session.remove()
    finished = time.monotonic()
    deadline = time.monotonic() + 60
    while (not any(at > finished for w in writers for _v, at in w.acked)
           and time.monotonic() < deadline):
        time.sleep(0.05)  # and goes on syncing after it
    stop.set()
    for w in writers:
        w.join(60)
    assert not [e for w in writers for e in w.errors]
    before = {vid for w in writers for vid, at in w.acked if at < started}
    after = {vid for w in writers for vid, at in w.acked if at > finished}
    assert len(before) >= 8 and after, "the writers were writing before and after the backup"

    backup.restore(path, scratch_url)  # checks the manifest's counts on the restored copy
    restored = create_engine(scratch_url.replace("postgresql://", "postgresql+psycopg://"))
    with restored.connect() as conn:
        ids = {str(r[0]) for r in conn.execute(text("SELECT id FROM visit"))}
        n_visits = conn.execute(select(func.count()).select_from(Visit.__table__)).scalar()
    restored.dispose()
    missing = before - ids
    print(f"\nbackup under load: {len(before)} visits acknowledged before it began, "
          f"{len(after)} after it ended; {len(missing)} missing; "
          f"{sum(manifest.counts.values()):,} rows in {len(manifest.counts)} tables")
    assert not missing, f"{len(missing)} acknowledged visits missing from the backup"
    assert n_visits == manifest.counts["visit"]
    # nothing half-written: each restored visit is whole (its customer's last visit and
    # amounts are the original's for the visits the backup holds)
    with app.app_context():
        originals = {str(v.id): (v.customer_id, v.amount_signed) for v in db.session.scalars(
            select(Visit).where(Visit.id.in_(list(before))))}
        db.session.remove()
    assert len(originals) == len(before)

    copy = create_app({"TESTING": True, "SECRET_KEY": "restored", "SESSION_COOKIE_SECURE": False,
                       "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8 * 1024,
                       "SQLALCHEMY_DATABASE_URI": scratch_url})
    try:
        for who in ("rep20", "rep21"):  # reps who logged nothing during the test
            assert _today(copy, who) == _today(app, who)
    finally:
        with copy.app_context():
            db.session.remove()
            db.engine.dispose()

"""`flask planner bench-sync`: replay 1,000 outbox visits through POST /api/v1/sync.

The visits go through the real endpoint (Flask's test client: routing, login session,
CSRF, JSON, validation, writes) in batches, against
whatever database the app is bound to. A second pass replays the same items (every one a
duplicate), as a phone does that never got the answers."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models import Customer, ProductLine, Stage, User


@dataclass
class SyncBench:
    items: int
    batch: int
    applied: int
    first_s: float
    replay_s: float
    slowest_batch_ms: float
    first_counts: dict[str, int] = field(default_factory=dict)
    replay_counts: dict[str, int] = field(default_factory=dict)

    @property
    def per_1000_s(self) -> float:
        return self.first_s * 1000 / self.items

    @property
    def replay_per_1000_s(self) -> float:
        return self.replay_s * 1000 / self.items


def outbox(app: Flask, username: str, n: int, seed: int = 5) -> list[dict[str, Any]]:
    """n outbox items as a phone makes them: visits to the rep's customers, some with a
    new lead (and later visits to that lead by its UUID), amounts, products, stages."""
    rng = random.Random(seed)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None
        customers = db.session.scalars(
            select(Customer.id).where(Customer.owner_id == user.id)).all()
        products = db.session.scalars(select(ProductLine.code)).all()
        stages = db.session.scalars(select(Stage.code).where(Stage.active.is_(True))).all()
        db.session.remove()
    now = datetime.now(UTC)
    leads: list[str] = []
    items = []
    for i in range(n):
        payload: dict[str, Any] = {
            "kind": rng.choice(["cold", "existing", "return", "phone"]),
            "visited_at": (now - timedelta(minutes=n - i)).isoformat(),
            "purpose": "跟进报价", "outcome": "客户有兴趣", "notes": f"bench visit {i}",
        }
        r = rng.random()
        if r < 0.05:
            lead = str(uuid.uuid4())
            leads.append(lead)
            payload.update(new_customer_name=f"新客户 {i}", customer_uuid=lead,
                           new_customer_contact="王经理", new_customer_phone="13800000000")
        elif r < 0.10 and leads:
            payload["customer_uuid"] = rng.choice(leads)
        else:
            payload["customer_id"] = str(rng.choice(customers))
        if rng.random() < 0.3:
            payload["amount_signed"] = str(rng.randrange(1000, 200000))
            payload["products"] = rng.sample(list(products), k=min(2, len(products)))
        if rng.random() < 0.3:
            payload["amount_collected"] = f"{rng.randrange(100, 50000)}.50"
        if rng.random() < 0.2:
            payload["stage"] = rng.choice(list(stages))
        if rng.random() < 0.3:
            follow = now + timedelta(days=rng.randrange(1, 30))
            payload["next_follow_up"] = follow.date().isoformat()
        items.append({"id": str(uuid.uuid4()), "type": "visit", "payload": payload})
    return items


def run(app: Flask, username: str, password: str, n: int = 1000, batch: int = 50) -> SyncBench:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302, "login failed"
    items = outbox(app, username, n)

    def replay() -> tuple[float, Counter[str], float]:
        csrf = client.get("/api/v1/csrf").get_json()["csrf_token"]
        counts: Counter[str] = Counter()
        slowest = 0.0
        t0 = time.perf_counter()
        for i in range(0, len(items), batch):
            t1 = time.perf_counter()
            r = client.post("/api/v1/sync", json={"items": items[i:i + batch]},
                            headers={"X-CSRFToken": csrf})
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
            body = r.get_json()
            csrf = body["csrf_token"]
            counts.update(x["status"] for x in body["results"])
            slowest = max(slowest, time.perf_counter() - t1)
        return time.perf_counter() - t0, counts, slowest * 1000

    first_s, first, slowest = replay()
    replay_s, again, _ = replay()
    click.echo(f"first pass: {_counts(first)}; replay: {_counts(again)}")
    # A rejected item is quick to answer: the figure only counts if every item applied.
    if first["applied"] != n:
        raise click.ClickException(
            f"the first pass applied {first['applied']} of {n} items ({_counts(first)}): "
            "the timing would not be a sync of the whole outbox")
    if again["duplicate"] != n:
        raise click.ClickException(f"the replay was not all duplicates ({_counts(again)})")
    return SyncBench(n, batch, first["applied"], first_s, replay_s, slowest,
                     dict(first), dict(again))


def _counts(c: Counter[str]) -> str:
    return ", ".join(f"{k} {c[k]:,}" for k in ("applied", "duplicate", "conflict", "rejected"))

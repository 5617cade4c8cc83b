"""`flask planner bench-reminders`: 10,000 due reminders for the 2,000-rep benchmark
company, dispatched by worker processes through the fake push service (VAPID checked,
every body decrypted), counted at the service: each reminder exactly once."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, insert, select

from ..extensions import db
from ..models import PushSubscription, Reminder, ReminderPreference, ReminderStatus, User
from ..services import reminders
from .fakepush import FakePushService

BODY = ("今日目标：销售额 ¥2,729.42、拜访量 4、陌生拜访 1、回访 1、签约数量 1、回款 ¥1,428.59。"
        "计划拜访 3 家（萧山物业217、徐汇地产073、珠江写字楼001）。待跟进 6 家（逾期 2 家）。")
KINDS = ("morning_plan", "follow_up", "end_of_day", "behind_target", "review_submitted")


@dataclass
class ReminderBench:
    reminders: int
    workers: int
    seconds: float
    delivered: int
    distinct: int
    sent_in_db: int
    per_worker: list[int]
    service_errors: int

    @property
    def per_second(self) -> float:
        return self.reminders / self.seconds if self.seconds else 0.0


def _worker(url: str, factory: Callable[[dict[str, Any]], Flask], name: str, limit: int,
            threads: int, out: Any, ready: Any, go: Any) -> None:
    """A worker process: its own app and connections; dispatch until nothing is due.
    The clock starts when every worker is up (`go`)."""
    from ..services import reminders

    app = factory({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
                   "PUSH_ALLOW_LOOPBACK": True})  # the fake push service
    with app.app_context():
        sender = reminders.app_sender(app)
        ready.put(name)
        go.wait(300)
        res = reminders.dispatch_all(sender, name, limit=limit, threads=threads)
        db.session.remove()
        db.engine.dispose()
    out.put((name, res.sent, res.claimed))


def setup(fake: FakePushService, n: int) -> int:
    """The company (2,000 reps), one device per rep, `n` due reminders over the reps."""
    from flask import current_app

    from .bench import build_company

    build_company(date.today())
    reps = db.session.scalars(select(User.id).where(User.username.like("bench%"))
                              .order_by(User.id)).all()
    key = reminders.public_key(reminders.app_key(current_app))
    subs = []
    for uid in reps:
        s = fake.subscribe(key)
        subs.append({"user_id": uid, "endpoint": s["endpoint"], "p256dh": s["keys"]["p256dh"],
                     "auth": s["keys"]["auth"], "user_agent": "bench", "failures": 0,
                     "created_at": datetime.now(UTC)})
    db.session.execute(insert(PushSubscription), subs)
    # No quiet hours: the benchmark sends at whatever time of day it runs.
    db.session.execute(insert(ReminderPreference), [
        {"user_id": uid, "kinds_off": [], "morning_time": "08:30", "evening_time": "17:30",
         "quiet_start": None, "quiet_end": None} for uid in reps])
    at = datetime.now(UTC) - timedelta(minutes=1)
    rows = []
    for i in range(n):
        uid = reps[i % len(reps)]
        kind = KINDS[(i // len(reps)) % len(KINDS)]
        rows.append({"user_id": uid, "kind": kind, "dedupe_key": f"{uid}:{kind}:bench{i}",
                     "due_at": at, "status": ReminderStatus.PENDING, "attempts": 0,
                     "payload": {"title": f"#{i}", "body": BODY, "url": "/today",
                                 "kind": kind}, "created_at": at})
    for j in range(0, len(rows), 2000):
        db.session.execute(insert(Reminder), rows[j:j + 2000])
    db.session.commit()
    return len(reps)


def run(url: str, factory: Callable[[dict[str, Any]], Flask], n: int = 10_000,
        workers: int = 2, limit: int = 200, threads: int = 8) -> ReminderBench:
    """Needs an app context on `url` (migrated). Starts the fake service here and the
    workers as separate processes (spawned: each builds its own app)."""
    with FakePushService() as fake:
        setup(fake, n)
        db.session.remove()
        ctx = mp.get_context("spawn")
        out, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=_worker,
                             args=(url, factory, f"bench-{i}", limit, threads, out, ready, go))
                 for i in range(workers)]
        for p in procs:
            p.start()
        for _p in procs:
            ready.get(timeout=300)
        t0 = time.perf_counter()
        go.set()
        results = [out.get(timeout=900) for _p in procs]
        seconds = time.perf_counter() - t0
        for p in procs:
            p.join(30)
        got = fake.delivered()
        ids = Counter(r.payload["id"] for r in got)
        sent = db.session.scalar(select(func.count(Reminder.id)).where(
            Reminder.status == ReminderStatus.SENT)) or 0
        return ReminderBench(
            reminders=n, workers=workers, seconds=seconds, delivered=len(got),
            distinct=len(ids), sent_in_db=int(sent),
            per_worker=[s for _n, s, _c in sorted(results)], service_errors=len(fake.errors))


@contextmanager
def instance_for_bench(tmp: str) -> Iterator[None]:
    """The benchmark's apps (and its VAPID key) live in a throwaway instance folder; the
    worker processes inherit it through the environment."""
    old = os.environ.get("PLANNER_INSTANCE")
    os.environ["PLANNER_INSTANCE"] = tmp
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PLANNER_INSTANCE", None)
        else:
            os.environ["PLANNER_INSTANCE"] = old

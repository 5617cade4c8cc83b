"""Eight visit writers on SQLite, with and without wrong-password logins beside them.

    .venv/bin/python tools/bench_login_lock.py [--seconds 10] [--rounds 3] [--logins 4]

Builds the demo company in a throwaway SQLite file, serves the app from a second process
(Werkzeug, threaded, on 127.0.0.1, the production argon2id cost: 64 MiB, t=3), logs in
rep01..rep08 and has each POST /api/v1/visits in a loop for --seconds; then the same
with --logins wrong passwords a second (made-up and real usernames, paced) running beside
them; --rounds times, alternating. The login throttle is raised for the run so that every
attempt is really checked (the throttle would otherwise refuse most without hashing).

Prints, for both phases: visits written per second, p50/p99/max latency, errors, and how
many times the server logged "database is locked". Not a test: figures depend on the
machine (README "Login and the SQLite write lock")."""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "planner-demo-2026"
SERVER_CONFIG = {
    "SESSION_COOKIE_SECURE": False,
    "LOGIN_MAX_FAILURES": 10**9,
    "LOGIN_MAX_FAILURES_PER_ADDR": 10**9,
}


def make_app(db_url: str) -> Any:
    from planner import create_app

    return create_app({**SERVER_CONFIG, "SQLALCHEMY_DATABASE_URI": db_url,
                       "SECRET_KEY": "bench-login-lock"})


def serve(db_url: str, port: int) -> None:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = make_app(db_url)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


class Client:
    """A browser's worth of HTTP: cookies and the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def login(self, username: str, password: str) -> int:
        import re

        _, html = self.request("GET", "/login")
        m = re.search(rb'name="csrf_token" value="([^"]+)"', html)
        assert m, "no CSRF token on /login"
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": m.group(1).decode()}).encode()
        status, _ = self.request("POST", "/login", form,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        return status

    def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", "X-CSRFToken": self.csrf})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    logins: int = 0
    login_latencies: list[float] = field(default_factory=list)
    locked: int = 0

    @property
    def writes_per_s(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def writer(client: Client, customer_id: int, until: float, phase: Phase,
           lock: threading.Lock) -> None:
    while time.monotonic() < until:
        t0 = time.monotonic()
        status, body = client.post_json("/api/v1/visits", {
            "kind": "phone", "customer_id": customer_id, "notes": "bench"})
        dt = time.monotonic() - t0
        with lock:
            if status == 201:
                phase.latencies.append(dt)
            else:
                phase.errors.append(f"{status} {body[:120]!r}")


def wrong_logins(base: str, rate: float, until: float, phase: Phase, lock: threading.Lock,
                 offset: int) -> None:
    n = offset
    next_at = time.monotonic()
    while time.monotonic() < until:
        next_at += 1 / rate
        name = f"rep{(n % 24) + 1:02d}" if n % 2 else f"nobody{n}"
        n += 1
        t0 = time.monotonic()
        status = Client(base).login(name, "not-the-password")
        dt = time.monotonic() - t0
        with lock:
            phase.logins += 1
            phase.login_latencies.append(dt)
            if status != 401:
                phase.errors.append(f"login {status}")
        time.sleep(max(0.0, next_at - time.monotonic()))


def run_phase(name: str, base: str, writers: list[tuple[Client, int]], seconds: float,
              login_rate: float, login_threads: int, log_path: Path) -> Phase:
    phase = Phase(name)
    lock = threading.Lock()
    locked_before = log_path.read_text(errors="replace").count("database is locked")
    start = time.monotonic()
    until = start + seconds
    threads = [threading.Thread(target=writer, args=(c, cid, until, phase, lock))
               for c, cid in writers]
    if login_rate:
        threads += [threading.Thread(target=wrong_logins, args=(
            base, login_rate / login_threads, until, phase, lock, i * 1000))
            for i in range(login_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.monotonic() - start
    phase.locked = log_path.read_text(errors="replace").count("database is locked") - locked_before
    return phase


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10, help="per phase and round")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternate the two phases this many times (the machine's load "
                         "drifts; both phases see the same drift)")
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--logins", type=float, default=4, help="wrong passwords per second")
    ap.add_argument("--login-threads", type=int, default=4)
    ap.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    tmp = tempfile.TemporaryDirectory(prefix="bench-login-lock-")
    os.environ["PLANNER_INSTANCE"] = tmp.name
    db_url = f"sqlite:///{tmp.name}/bench.sqlite3"
    app = make_app(db_url)
    with app.app_context():
        from flask_migrate import upgrade

        from planner.cli import _machine
        from planner.devtools.demo import load_demo
        from planner.extensions import db

        upgrade()
        load_demo()
        db.session.remove()
        print(_machine(db_url))
        print(f"argon2id: {app.config['ARGON2_MEMORY_COST'] // 1024} MiB, "
              f"t={app.config['ARGON2_TIME_COST']}; SQLite {__import__('sqlite3').sqlite_version}")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = Path(tmp.name) / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, __file__, "--serve", db_url, str(port)],
                                  stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        writers: list[tuple[Client, int]] = []
        for i in range(args.writers):
            c = Client(base)
            assert c.login(f"rep{i + 1:02d}", DEMO_PASSWORD) == 302, "writer login failed"
            c.csrf = json.loads(c.request("GET", "/api/v1/csrf")[1])["csrf_token"]
            customers = json.loads(c.request("GET", "/api/v1/customers?limit=1")[1])
            writers.append((c, customers["customers"][0]["id"]))
        quiet, busy = Phase("writers alone"), Phase(f"with {args.logins:g} wrong logins/s")
        for _ in range(args.rounds):
            for total, rate in ((quiet, 0.0), (busy, args.logins)):
                p = run_phase(total.name, base, writers, args.seconds, rate,
                              args.login_threads if rate else 0, log_path)
                total.seconds += p.seconds
                total.latencies += p.latencies
                total.errors += p.errors
                total.logins += p.logins
                total.login_latencies += p.login_latencies
                total.locked += p.locked
    finally:
        server.terminate()
        server.wait(10)

    print(f"{args.writers} writers (POST /api/v1/visits), {args.rounds} rounds of "
          f"{args.seconds:g} s per phase, threaded Werkzeug on 127.0.0.1")
    print(f"{'phase':<24} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'errors':>7} {'locked':>7} {'logins/s':>9}")
    for p in (quiet, busy):
        print(f"{p.name:<24} {p.writes_per_s:9.1f} {p.pct(0.5):8.0f} {p.pct(0.99):8.0f} "
              f"{max(p.latencies, default=0) * 1000:8.0f} {len(p.errors):7d} {p.locked:7d} "
              f"{p.logins / p.seconds:9.1f}")
    if busy.login_latencies:
        print(f"wrong login median {statistics.median(busy.login_latencies) * 1000:.0f} ms")
    for e in (quiet.errors + busy.errors)[:5]:
        print("error:", e)
    slowdown = quiet.writes_per_s / busy.writes_per_s if busy.writes_per_s else float("inf")
    ok = busy.locked == 0 and not busy.errors and slowdown <= 2
    print(f"writes slowed {slowdown:.2f}x by the logins; 'database is locked': {busy.locked}"
          f" -> {'OK' if ok else 'NOT OK'} (goal: none, and at most 2x)")
    tmp.cleanup()


if __name__ == "__main__":
    main()

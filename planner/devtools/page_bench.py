"""The page benchmark (`flask planner bench-pages`): the big company (services/bigco.py)
served by gunicorn on 127.0.0.1, measured from 50 logged-in clients.

For each page: p50/p95 latency, requests/s and the bytes sent (compressed: the clients
accept Brotli), beside a bare route measured in the same run: `/healthz` (no session)
and `/ping` (logged in, a few bytes). The rep's pages run under `clients` concurrent
clients (one rep each); the manager's pages (Team for the director and a manager,
Targets and one tree level) from one client at a time, as a manager uses them.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from .bigco import BIG_PASSWORD, BigCo

# The code served (PLANNER_BENCH_ROOT: another checkout, e.g. to measure "before").
ROOT = Path(os.environ.get("PLANNER_BENCH_ROOT") or Path(__file__).resolve().parents[2])
ACCEPT = "br, gzip"


@dataclass
class Figure:
    name: str
    latencies: list[float]
    wall_s: float
    nbytes: int  # mean body bytes as sent (compressed)
    statuses: set[int] = field(default_factory=set)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95(self) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(len(xs) * 0.95))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else 0.0


class Client:
    """One browser: a keep-alive connection and a session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        h = {"Accept-Encoding": ACCEPT, "Accept": "text/html,application/json"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        h.update(headers or {})
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        for raw in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}

    def login(self, username: str) -> None:
        _s, html, _h = self.request("GET", "/login", headers={"Accept-Encoding": "identity"})
        m = re.search(rb'name="csrf_token" value="([^"]+)"', html)
        assert m, "no CSRF token on /login"
        status, _d, _h = self.request("POST", "/login", urlencode({
            "username": username, "password": BIG_PASSWORD,
            "csrf_token": m.group(1).decode()}))
        assert status in (302, 303), f"login of {username} answered {status}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    inst = tempfile.mkdtemp(prefix="planner-bench-pages-")
    env = {**os.environ, "DATABASE_URL": url, "SESSION_COOKIE_SECURE": "0",
           "SECRET_KEY": "bench-pages", "PLANNER_INSTANCE": inst, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env)
    deadline = time.time() + 240  # a loaded machine boots the workers slowly
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _concurrent(name: str, clients: list[Client], path: str, per_client: int,
                headers: dict[str, str] | None = None) -> Figure:
    lat: list[float] = []
    sizes: list[int] = []
    statuses: set[int] = set()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def work(c: Client) -> None:
        mine, msizes, mst = [], [], set()
        start.wait()
        for _ in range(per_client):
            t0 = time.perf_counter()
            status, data, _h = c.request("GET", path, headers=headers)
            mine.append(time.perf_counter() - t0)
            msizes.append(len(data))
            mst.add(status)
        with lock:
            lat.extend(mine)
            sizes.extend(msizes)
            statuses.update(mst)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return Figure(name, lat, wall, int(statistics.mean(sizes)), statuses)


def first_load_bytes(client: Client, path: str) -> tuple[int, int]:
    """(all bytes of a first load: the page and every stylesheet, script, module and icon
    it links, compressed; bytes of a repeat load: the page only, the rest is immutable).
    The home-screen icon (`rel="apple-touch-icon"`) is left out: a browser fetches it
    when the page is added to the home screen, not when it loads (Chromium never)."""
    _s, html, h = client.request("GET", path, headers={"Accept-Encoding": "identity"})
    page = len(client.request("GET", path)[1])
    total = page
    text = re.sub(r'<link rel="apple-touch-icon"[^>]*>', "", html.decode("utf-8", "replace"))
    for ref in sorted(set(re.findall(r'(?:href|src)="(/(?:static|vendor)/[^"]+)"', text))):
        _st, data, _hh = client.request("GET", ref.replace("&amp;", "&"))
        total += len(data)
    return total, page


@dataclass
class PageBench:
    clients: int
    workers: int
    threads: int
    big: BigCo
    rows: list[tuple[str, Figure, Figure]]  # (group, figure, its bare route)
    first_load: tuple[int, int]


def run(url: str, big: BigCo, clients: int = 50, per_client: int = 20, workers: int = 3,
        threads: int = 4, single_runs: int = 20, echo: object = print) -> PageBench:
    say = echo if callable(echo) else print
    proc, port = start_server(url, workers, threads)
    try:
        reps = [Client(port) for _ in range(clients)]
        for c, name in zip(reps, big.reps, strict=False):
            c.login(name)
        no_plans = [Client(port) for _ in range(min(clients, len(big.reps_without_plans)))]
        for c, name in zip(no_plans, big.reps_without_plans, strict=False):
            c.login(name)
        director, manager = Client(port), Client(port)
        director.login(big.director)
        manager.login(big.team_manager)
        say(f"server: gunicorn, {workers} workers x {threads} threads; "
            f"{len(reps)} rep clients logged in")
        # Warm up: every rep's plan computed (and cached) once, connections open.
        for path in ("/today", "/api/v1/today"):
            _concurrent("warm", reps, path, 1)
            if no_plans:
                _concurrent("warm", no_plans, path, 1)
        _status, html, _h = director.request("GET", "/targets",
                                             headers={"Accept-Encoding": "identity"})
        m = re.search(rb'hx-get="(/targets/node/\d+/children\?open=1[^"]*)"', html)
        level = m.group(1).decode().replace("&amp;", "&") if m else None

        rows: list[tuple[str, Figure, Figure]] = []
        hx = {"HX-Request": "true"}
        bare = _concurrent("bare /healthz", reps, "/healthz", per_client)
        ping = _concurrent("logged-in bare /ping", reps, "/ping", per_client)
        rows.append(("rep", bare, ping))
        rows.append(("rep", ping, ping))
        say("measured the bare routes")
        for name, path, hdr in (("Today", "/today", None),
                                ("Today partial (htmx)", "/today", hx),
                                ("/api/v1/today", "/api/v1/today", None)):
            rows.append(("rep", _concurrent(name, reps, path, per_client, hdr), ping))
            say(f"measured {name}")
        if no_plans:
            with_plans = _concurrent("Today, reps with a year of plans", reps[:len(no_plans)],
                                     "/today", per_client)
            without = _concurrent("Today, reps with no plans", no_plans, "/today", per_client)
            rows.append(("plans", with_plans, without))
        ping1 = _concurrent("logged-in bare /ping (1 client)", [director], "/ping",
                            single_runs)
        singles = [("director /team", director, "/team"), ("manager /team", manager, "/team"),
                   ("director /targets", director, "/targets")]
        if level:
            singles.append(("one tree level", director, level))
        for name, c, path in singles:
            c.request("GET", path, headers=hx if "children" in path else None)  # warm
            rows.append(("single", _concurrent(name, [c], path, single_runs,
                                               hx if "children" in path else None), ping1))
            say(f"measured {name}")
        first = first_load_bytes(reps[0], "/today")
        return PageBench(clients, workers, threads, big, rows, first)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()

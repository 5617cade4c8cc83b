"""Test fixtures: one app built by create_app(test_config) on a migrated database with the
demo company, for SQLite (default) or PostgreSQL (DATABASE_URL=postgresql://...)."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner import create_app
from planner.extensions import db

DEMO_PASSWORD = "planner-demo-2026"


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp / 'test.sqlite3'}"


def _reset_postgres(url: str) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("instance")
    os.environ["PLANNER_INSTANCE"] = str(tmp)
    url = _database_url(tmp)
    if url.startswith("postgres"):
        _reset_postgres(url)
    os.environ["DATABASE_URL"] = url
    # The fake push service runs on 127.0.0.1 (here and in the worker processes tests start).
    os.environ["PUSH_ALLOW_LOOPBACK"] = "1"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SESSION_COOKIE_SECURE": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8 * 1024,
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from planner.devtools.demo import load_demo

        load_demo()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no CSRF token on {path}"
    return m.group(1) or m.group(2)


def recently(minutes: int = 5) -> datetime:
    """A moment a few minutes ago, in the demo company's time zone (Asia/Shanghai), but
    never before its midnight: a test run just after local midnight (16:00 UTC) would
    otherwise log "today's" visit on the day before."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return max(now - timedelta(minutes=minutes),
               now.replace(hour=0, minute=0, second=0, microsecond=0))


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture()
def rep_client(client: FlaskClient) -> FlaskClient:
    resp = login(client, "rep01")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


# ---------------------------------------------------------------- browser tests


@contextmanager
def workday_today(app: Flask, is_working_day: Callable[[Any, date], bool],
                  note: str) -> Iterator[None]:
    """Today is a workday of the (demo) company while inside: an override row is added
    when `is_working_day(company, today)` says it is not, and removed after."""
    from sqlalchemy import select

    from planner.models import CalendarOverride, Company, DayKind
    from planner.services.company import local_today

    added = None
    with app.app_context():
        company = db.session.scalars(select(Company)).first()
        assert company is not None
        day = local_today(company)
        if not is_working_day(company, day):
            row = CalendarOverride(company_id=company.id, day=day, kind=DayKind.WORKDAY,
                                   note=note)
            db.session.add(row)
            db.session.commit()
            added = row.id
    yield
    if added is not None:
        with app.app_context():
            db.session.delete(db.session.get(CalendarOverride, added))
            db.session.commit()


@pytest.fixture()
def today_is_a_working_day(app: Flask) -> Iterator[None]:
    """Run rates are 0 on a day off; make today a company workday for the test."""
    from planner.services.calendar import company_calendar

    with workday_today(app, lambda company, day: company_calendar(company).is_working_day(day),
                       "browser test"):
        yield




def buffered(app: Any) -> Any:
    """The app with each answer read whole before werkzeug sends it. Werkzeug's dev server
    skips closing a response (a static file: an open file) when the browser drops the
    connection mid-answer (a page navigated away, a context closed): the file is left to
    the garbage collector, whose ResourceWarning then fails whichever test runs next
    (filterwarnings = error). Read whole and closed here, nothing is left open."""

    def wsgi(environ: Any, start_response: Any) -> Any:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


class LiveServer:
    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    # Browser tests never skip: without Chromium they fail and say why.
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture()
def browser(playwright_driver: Any) -> Iterator[Any]:
    """A Chromium of its own for each browser test: one that stops answering cannot
    take the next tests with it."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=CHROMIUM_ARGS)
    yield b
    watchdog = _chromium_watchdog(30.0, "browser.close")
    try:
        b.close()
    except Exception:  # noqa: BLE001 - killed by the watchdog: closed all the same
        pass
    finally:
        watchdog.cancel()


PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


# Every CSP violation reaches the console, with what was blocked and where (Chromium
# reports some only as a "Refused to ..." line; the event also names the directive).
CSP_TO_CONSOLE = """document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' at ' + (e.sourceFile || location.pathname) + ':' + e.lineNumber
    + (e.sample ? ' (' + e.sample + ')' : ''));
});"""

# A validation error answers 422 on purpose (the form comes back with its messages); the
# browser logs any 4xx as a failed resource. That line is expected; nothing else is.
EXPECTED_CONSOLE = [re.compile(r"Failed to load resource: the server responded with a "
                               r"status of 422")]


class ConsoleWatch:
    """Collects console errors, uncaught page errors and CSP violations of a browser
    context. A browser test with any (beyond `allow`ed patterns) fails at teardown."""

    def __init__(self, context: Any) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern[str]] = list(EXPECTED_CONSOLE)
        context.add_init_script(CSP_TO_CONSOLE)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"page error: {e.error}"))

    def _console(self, msg: Any) -> None:
        if msg.type == "error" or (msg.type == "warning" and "htmx" in msg.text.lower()):
            where = ""
            try:
                source = (msg.location or {}).get("url") or ""
                where = f" [{source or (msg.page.url if msg.page else '')}]"
            except Exception:  # noqa: BLE001 - the page may be gone already
                where = ""
            self.problems.append(f"console {msg.type}: {msg.text}{where}")

    def allow(self, pattern: str) -> None:
        """An error the test provokes on purpose (say why where you call it)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


def watch_console(context: Any) -> ConsoleWatch:
    watch = ConsoleWatch(context)
    context.console_watch = watch
    return watch


def close_context(context: Any) -> None:
    """Close a browser context with nothing in flight. A page can still be starting a
    navigation when the test ends: offline.js reloads a page served from the cache once
    the phone is back online and the outbox has drained, a moment after set_offline(False)
    returns. Chromium closing the context in the middle of that navigation (answered by the
    service worker) could hang until pytest-timeout. about:blank first ends every page's
    scripts and navigations (the worker does not handle it), so nothing is left to race."""
    step = ["page.goto(about:blank)"]
    watchdog = _chromium_watchdog(30.0, step)
    try:
        for page in list(context.pages):
            try:
                step[0] = "page.goto(about:blank)"
                # Waited for until loaded: Chromium can hang closing a page whose navigation
                # has not settled (seen here as page.close never returning, every Chromium
                # process asleep). The context's close below closes the pages.
                page.goto("about:blank", wait_until="load", timeout=15_000)
            except Exception:  # noqa: BLE001 - a page closing by itself is fine too
                pass
        step[0] = "context.close"
        try:
            context.close()
        except Exception:  # noqa: BLE001 - the watchdog ended its browser
            pass
    finally:
        watchdog.cancel()


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                parents[int(entry)] = int(stat.rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [c for c, p in parents.items() if p == pid]
        found.extend(kids)
        todo.extend(kids)
    return found


def _process_line(pid: int) -> str:
    """What a stuck Chromium process is: its type and where the kernel has it waiting."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0].decode()
        with open(f"/proc/{pid}/wchan", "rb") as fh:
            wchan = fh.read().decode() or "-"
    except OSError:
        return f"{pid}: gone"
    kind = " ".join(a.decode() for a in args
                    if a.startswith((b"--type=", b"--utility-sub-type="))) or "browser"
    return f"{pid} {kind} state={state} wchan={wchan}"


def _chromium_watchdog(seconds: float, step: str | list[str] = "close") -> threading.Timer:
    """Closing a page, a context or the browser sometimes never returns on a loaded
    machine: Chromium stops answering (seen at teardown, after the test's own checks
    passed, on pages already at about:blank). After `seconds` this run's Chromium
    processes (each test has its own browser) are killed so the close returns and the
    next test starts on a fresh one. Said on stderr when it happens."""

    def kill() -> None:
        killed = 0
        chromium = []
        for pid in _descendants(os.getpid()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if b"chromium" in fh.read().split(b"\0", 1)[0]:
                        chromium.append(pid)
            except OSError:
                continue
        where = [_process_line(pid) for pid in chromium]
        for pid in chromium:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                continue
        now = step[0] if isinstance(step, list) else step
        test = os.environ.get("PYTEST_CURRENT_TEST", "?")
        line = (f"[conftest] {now} hung {seconds:.0f} s: "
                f"{killed} Chromium process(es) killed ({test})")
        sys.stderr.write("\n" + line + "\n")
        # Kept in a file too: pytest shows a passing test's stderr to nobody.
        SHOTS.mkdir(exist_ok=True)
        with open(SHOTS / "browser-hangs.log", "a", encoding="utf-8") as fh:
            fh.write(line + "\n" + "".join(f"    {w}\n" for w in where))

    timer = threading.Timer(seconds, kill)
    timer.daemon = True
    timer.start()
    return timer


@pytest.fixture()
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, **PHONE)
    watch = watch_console(context)
    yield context
    close_context(context)
    bad = watch.unexpected()
    if bad:
        pytest.fail("the browser console was not clean:\n" + "\n".join(bad), pytrace=False)


def log_in(page: Any, username: str, lang: str = "en", lands: str | None = None) -> Any:
    """Log `username` in with the demo password on the login page in `lang`; wait until
    the page has reached `lands` (a path), or else has left the login page."""
    page.goto(f"/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if lands is not None:
        page.wait_for_url(f"**{lands}")
    else:
        page.wait_for_url(lambda url: "/login" not in url)
    return page


def page_errors(page: Any, *console_types: str) -> list[str]:
    """The page's uncaught errors as they happen, and its console messages of these types
    ("error", "warning"...)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if console_types:
        page.on("console", lambda m: errors.append(m.text) if m.type in console_types
                else None)
    return errors


SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives Chromium is a browser test (`-m browser` / `-m "not browser"`),
    marked or not: CI runs those on SQLite only (.ci/run)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("DATABASE_URL") or "sqlite (a temporary file)"
    return f"planner test database: {url}"


@pytest.fixture(scope="session")
def org_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo company and a second company in a database of their own: the organisation
    tests add units, people and catalogue entries there, so the shared `app` keeps its one
    company (tests/org_helpers.py)."""
    from org_helpers import dispose, empty_app, second_company

    from planner.devtools.demo import load_demo

    app = empty_app(tmp_path_factory.mktemp("org"), "org")
    with app.app_context():
        load_demo()
        db.session.remove()
    second_company(app)
    yield app
    dispose(app)

"""The production chain on this machine: Caddy (`tls internal`) terminating HTTPS in front
of gunicorn (deploy/gunicorn.conf.py) serving planner with TRUSTED_PROXIES=1, driven by
Chromium at phone size. Caddy listens on [::1] and gunicorn on 127.0.0.1, so the
client's address (::1) differs from the proxy's (127.0.0.1) and the test can tell which
one the app throttles by.

Chromium trusts Caddy's local CA: the test puts Caddy's root certificate into an NSS
database (certutil, Debian's libnss3-tools) in a HOME of its own and starts Chromium with
that HOME, as a company installs the CA on its phones. No certificate error is ignored
(a service worker would not register over an untrusted certificate)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    PHONE,
    close_context,
    screenshot,
    watch_console,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
SUBSCRIPTION = """async () => {
  const reg = await navigator.serviceWorker.ready;
  const body = {endpoint: 'https://fcm.googleapis.com/fcm/send/chain-test-device',
    keys: {p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1'
                   + 'XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg'}};
  const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
  const r = await fetch('/push/subscribe', {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}});
  return {status: r.status, scope: reg.scope};
}"""


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} stopped: {log.read_text()[-2000:]}")
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {host}:{port}: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not os.access(CADDY, os.X_OK):
        pytest.fail("caddy is missing (Debian package caddy; make browser installs it)")
    tmp = tmp_path_factory.mktemp("chain")
    gport, cport = _free_port("127.0.0.1"), _free_port("::1")
    public = f"https://[::1]:{cport}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'planner.sqlite3'}",
           "PLANNER_INSTANCE": str(tmp / "instance"), "TRUSTED_PROXIES": "1",
           "SESSION_COOKIE_SECURE": "1", "PUBLIC_URL": public,
           "PLANNER_BIND": f"127.0.0.1:{gport}", "WEB_CONCURRENCY": "2",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "8192"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (["db", "upgrade"], ["planner", "demo"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    glog = tmp / "gunicorn.log"
    with glog.open("wb") as out:  # the child keeps its own copy of the handle
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    caddyfile = tmp / "Caddyfile"
    caddyfile.write_text(f"""{{
	admin off
	auto_https disable_redirects
	skip_install_trust
	storage file_system {tmp / 'caddy'}
	http_port {_free_port('::1')}
	https_port {cport}
	local_certs
}}
{public} {{
	tls internal
	header Strict-Transport-Security "max-age=31536000"
	reverse_proxy 127.0.0.1:{gport}
}}
""")
    clog = tmp / "caddy.log"
    with clog.open("wb") as out:
        caddy = subprocess.Popen(
            [CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            cwd=tmp, env={**env, "HOME": str(tmp)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_port("127.0.0.1", gport, gunicorn, glog)
        _wait_port("::1", cport, caddy, clog)
        root = tmp / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        home = tmp / "home"
        nss = home / ".pki" / "nssdb"
        nss.mkdir(parents=True)
        certutil = shutil.which("certutil") or "/usr/bin/certutil"
        subprocess.run([certutil, "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
        subprocess.run([certutil, "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "caddy-local",
                        "-i", str(root)], check=True)
        yield {"url": public, "db": tmp / "planner.sqlite3", "home": home}
    finally:
        _stop(caddy)
        _stop(gunicorn)


def _failures(db: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT username, remote_addr FROM login_failure ORDER BY id")]


def test_a_rep_works_over_https_behind_caddy(playwright_driver: Any, chain: dict[str, Any]
                                             ) -> None:
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        env={**os.environ, "HOME": str(chain["home"])})  # its NSS database trusts Caddy's CA
    try:
        context = browser.new_context(**PHONE, base_url=chain["url"])
        watch = watch_console(context)
        page = context.new_page()
        # a wrong password first, with a forged X-Forwarded-For that Caddy must not pass on
        page.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
        page.goto("/login?lang=en")
        page.fill("#username", "rep05")
        page.fill("#password", "not the password")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_selector("text=Wrong username or password")
        watch.allow(r"status of 401")  # the wrong password, on purpose
        assert _failures(chain["db"]) == [("rep05", "::1")]  # the client, not the proxy

        page.fill("#username", "rep05")
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/today")
        assert page.evaluate("() => window.isSecureContext") is True
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["session"]
        assert session["secure"] and session["httpOnly"]
        result = page.evaluate(SUBSCRIPTION)
        assert result == {"status": 201, "scope": chain["url"] + "/"}
        seen = page.evaluate("""async () => { const r = await fetch('/healthz');
          return [r.headers.get('strict-transport-security'),
                  r.headers.get('x-planner-scheme')]; }""")
        assert seen[0].startswith("max-age=") and seen[1] == "https"  # HSTS; the app sees https
        screenshot(page, "https-chain-today")
        close_context(context)
        assert watch.unexpected() == []
    finally:
        browser.close()

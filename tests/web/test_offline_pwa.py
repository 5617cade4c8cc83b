"""The installable app's server side: manifest per language, the service worker at the
root scope with a versioned shell, the offline page, the strings offline.js shows."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner import pwa


@pytest.mark.parametrize(("lang", "name", "short"), [
    ("zh_Hans_CN", "销售计划：今日计划", "销售计划"),
    ("en", "Planner: today's sales plan", "Planner"),
])
def test_the_manifest_speaks_the_pages_language(
    client: FlaskClient, lang: str, name: str, short: str
) -> None:
    resp = client.get(f"/manifest.webmanifest?lang={lang}")
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    doc = json.loads(resp.get_data(as_text=True))
    assert (doc["name"], doc["short_name"]) == (name, short)
    assert doc["start_url"] == "/today" and doc["display"] == "standalone"
    assert doc["theme_color"] == "#c8102e"
    sizes = {(i["sizes"], i["purpose"]) for i in doc["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in doc["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        png.close()
    assert "Set-Cookie" not in resp.headers


def test_the_service_worker_is_served_for_the_root_scope_with_its_shell(
    client: FlaskClient,
) -> None:
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in resp.headers["Cache-Control"]
    src = resp.get_data(as_text=True)
    assert "__SHELL" not in src and "__NETWORK_FIRST__" not in src
    version = re.search(r'const VERSION = "([0-9a-f]{12})"', src)
    assert version
    shell = json.loads(re.search(r"const SHELL_URLS = (\[.*?\]);", src).group(1))  # type: ignore[union-attr]
    paths = [u.split("?v=")[0] for u in shell]
    for must in ("/static/css/app.css", "/static/css/rep.css", "/static/js/offline/main.js",
                 "/vendor/htmx.min.js", "/offline"):
        assert must in paths
    # Only what a rep's pages use: not the manager's CSS, not the install icons;
    # the offline page (served without a session) needs login.js, the review page its own.
    for never in ("/static/css/targets.css", "/static/icons/icon-192.png"):
        assert never not in paths
    for must in ("/static/js/login.js", "/static/js/review/main.js", "/static/css/review.css",
                 "/static/js/push.js", "/static/js/csrf.js", "/static/js/money.js"):
        assert must in paths
    assert all("?v=" in u for u in shell if u.startswith("/static/"))
    for url in shell:  # everything the worker precaches exists
        r = client.get(url)
        assert r.status_code == 200, url
        r.close()
    assert "eval(" not in src


def test_a_changed_shell_file_changes_the_version(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with app.test_request_context():
        before = pwa.shell_version()
        extra = tmp_path / "new.css"
        extra.write_text("body{}")
        real = pwa._shell_files
        monkeypatch.setattr(pwa, "_shell_files", lambda: [*real(), extra])
        changed = pwa.shell_version()
        extra.write_text("body{color:red}")
        assert len({before, changed, pwa.shell_version()}) == 3


def test_the_offline_page_holds_nobodys_data(client: FlaskClient) -> None:
    resp = client.get("/offline?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "You are offline" in html
    assert "offline-ui" not in html  # no user, no outbox strings
    assert "<script>" not in html and " style=" not in html


def test_pages_carry_the_offline_strings_in_the_users_language(
    rep_client: FlaskClient,
) -> None:
    zh = rep_client.get("/today?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-msg-pending="待同步"' in zh
    assert 'data-msg-offline-at="离线 – 最后更新于 {time}"' in zh
    assert 'rel="manifest" href="/manifest.webmanifest?lang=zh_Hans_CN"' in zh
    en = rep_client.get("/today?lang=en").get_data(as_text=True)
    assert 'data-msg-pending="Pending sync"' in en
    assert "data-outbox-slot" in en and "data-sync-refresh" in en
    assert "<script>" not in en and " style=" not in en


MODULES = Path(__file__).resolve().parents[2] / "static" / "js" / "offline"


def _shell(client: FlaskClient) -> list[str]:
    src = client.get("/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"const SHELL_URLS = (\[.*?\]);", src).group(1))  # type: ignore[union-attr]


def test_the_worker_precaches_every_module_under_the_url_its_importer_asks_for(
    client: FlaskClient,
) -> None:
    """The offline layer is ES modules (static/js/offline/*.js) with no build step: each
    one is precached, and each import in a served module names the precached URL (with
    its hash), so a repeat load asks the server for none of them."""
    shell = _shell(client)
    names = sorted(f.name for f in MODULES.glob("*.js"))
    assert len(names) >= 8
    for name in names:
        assert any(u.startswith(f"/static/js/offline/{name}?v=") for u in shell), name
    todo = [u for u in shell if u.endswith(".js") or ".js?v=" in u]
    seen: set[str] = set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        body = resp.get_data(as_text=True)
        resp.close()
        if "/static/js/offline/" in url or "/static/js/review/" in url:  # no comment-only lines
            assert not re.search(r"^\s*//", body, re.M), url
        base = url.split("?")[0].rsplit("/", 1)[0]
        for spec in re.findall(r"""\b(?:from|import)\s*["'](\.{1,2}/[^"']+)["']""", body):
            assert "?v=" in spec, (url, spec)
            path = base
            rel = spec
            while rel.startswith("../"):
                path, rel = path.rsplit("/", 1)[0], rel[3:]
            target = path + "/" + rel.removeprefix("./")
            assert target in shell, (url, spec)  # precached: served by the worker
            todo.append(target)
    assert any("/static/js/offline/store.js?v=" in u for u in seen)
    assert any("/static/js/review/write.js?v=" in u for u in seen)
    assert any("/static/js/csrf.js?v=" in u for u in seen)


def test_a_module_url_changes_with_its_file_and_with_what_it_imports(
    app: Flask, client: FlaskClient
) -> None:
    from flask import url_for

    util = MODULES / "util.js"
    original = util.read_bytes()
    stat = util.stat()

    def urls() -> dict[str, str]:
        with app.test_request_context():
            return {n: url_for("static", filename=f"js/offline/{n}")
                    for n in ("util.js", "main.js", "store.js", "banner.js")}

    before = urls()
    try:
        util.write_bytes(original + b"\n// changed\n")
        after = urls()
    finally:
        util.write_bytes(original)
        os.utime(util, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert after["util.js"] != before["util.js"]  # the file changed
    assert after["main.js"] != before["main.js"]  # imports it (through banner.js)
    assert after["banner.js"] != before["banner.js"]  # imports it directly
    assert after["store.js"] == before["store.js"]  # does not import it
    assert urls() == before
    # A URL of another version is not immutable (the browser revalidates it).
    resp = client.get(after["main.js"])
    assert resp.headers["Cache-Control"] == "no-cache"
    resp.close()


def test_pages_with_a_session_load_the_offline_modules_with_no_inline_script(
    rep_client: FlaskClient,
) -> None:
    html = rep_client.get("/today?lang=en").get_data(as_text=True)
    main = re.findall(
        r'<script type="module" src="(/static/js/offline/main\.js\?v=[0-9a-f]{12})"', html)
    assert len(main) == 1
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
    assert {p.split("?")[0].removeprefix("/static/js/") for p in preloads} == {
        f"offline/{f.name}" for f in MODULES.glob("*.js")} - {
        "offline/main.js", "offline/outbox.js"} | {"csrf.js", "money.js"}  # outbox: review/
    assert "<script>" not in html and "importmap" not in html

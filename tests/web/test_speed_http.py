"""Compression (Brotli, gzip) when the client accepts it, content-hashed static URLs that
browsers keep for a year, logged-in pages private, and a login page without the app's JS."""

from __future__ import annotations

import gzip
import os
import re
import uuid
from pathlib import Path

import brotli
from flask import Flask, url_for
from flask.testing import FlaskClient

from planner.assets import IMMUTABLE, PRIVATE, file_hash


def _same(page: bytes) -> bytes:
    """The page without its CSRF tokens (signed with the time: they differ by the second)."""
    return re.sub(rb'(csrf_token" value="|"X-CSRFToken": ")[^"]+', rb"\1", page)


def _plain(client: FlaskClient, path: str) -> bytes:
    resp = client.get(path, headers={"Accept-Encoding": "identity"})
    assert resp.status_code == 200
    assert "Content-Encoding" not in resp.headers
    return resp.data


def test_today_is_sent_with_brotli_or_gzip_and_decompresses_to_the_page(
        rep_client: FlaskClient) -> None:
    page = _plain(rep_client, "/today")
    assert b'id="offline-ui"' in page
    br = rep_client.get("/today", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"]
    assert len(br.data) < len(page) / 3
    assert _same(brotli.decompress(br.data)) == _same(page)
    gz = rep_client.get("/today", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert _same(gzip.decompress(gz.data)) == _same(page)
    assert br.headers["Cache-Control"] == PRIVATE


def test_json_and_static_files_are_compressed_too(rep_client: FlaskClient) -> None:
    api = rep_client.get("/api/v1/today", headers={"Accept-Encoding": "gzip"})
    assert api.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(api.data) == _plain(rep_client, "/api/v1/today")
    html = _plain(rep_client, "/today").decode()
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html)
    assert css, "the stylesheet is linked under its content hash"
    resp = rep_client.get(css.group(1), headers={"Accept-Encoding": "br"})
    assert resp.headers["Content-Encoding"] == "br"
    assert resp.headers["Cache-Control"] == IMMUTABLE
    on_disk = (Path(__file__).resolve().parents[2] / "static/css/app.css").read_bytes()
    assert brotli.decompress(resp.data) == on_disk
    # Static files are compressed once, at the best ratio (pages at a faster level).
    assert len(resp.data) == len(brotli.compress(on_disk, quality=11))
    assert len(resp.data) < len(brotli.compress(on_disk, quality=4))
    again = rep_client.get(css.group(1), headers={"Accept-Encoding": "br"})
    assert again.data == resp.data  # compressed once, kept
    js = re.search(r'src="(/vendor/htmx\.min\.js\?v=[0-9a-f]+)"', html)
    assert js
    resp = rep_client.get(js.group(1), headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Cache-Control"] == IMMUTABLE
    raw_js = rep_client.get(js.group(1), headers={"Accept-Encoding": "identity"}).data
    assert gzip.decompress(resp.data) == raw_js
    assert len(resp.data) == len(gzip.compress(raw_js, 9, mtime=0))
    # Without the current hash (an old link): revalidated, never kept a year.
    stale = rep_client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"


def test_a_static_url_changes_when_the_file_changes(app: Flask) -> None:
    static = Path(app.static_folder or "")
    path = static / "css" / f"_hash-test-{uuid.uuid4().hex}.css"
    try:
        path.write_text("body { color: red; }\n")
        with app.test_request_context():
            first = url_for("static", filename=f"css/{path.name}")
            assert first == url_for("static", filename=f"css/{path.name}")
            path.write_text("body { color: blue; }\n")
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
            second = url_for("static", filename=f"css/{path.name}")
        assert first != second
        assert second.endswith("?v=" + file_hash(path))
        resp = app.test_client().get(second)
        assert resp.headers["Cache-Control"] == IMMUTABLE
        assert resp.data == b"body { color: blue; }\n"
        resp.close()
    finally:
        path.unlink(missing_ok=True)


def test_the_login_page_loads_no_htmx_or_offline_script(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert scripts and all("/static/js/login.js" in s for s in scripts), scripts
    assert "htmx.min.js" not in html and "js/offline/" not in html

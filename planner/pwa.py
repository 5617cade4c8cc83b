"""The installable app: web manifest (per locale), the service worker at the root scope,
and the offline page it falls back to.

The service worker (static/sw.js) is served from /sw.js so that its scope is the whole
site. Its app-shell cache is versioned by a hash of the shell files (and of the worker
itself), so a deploy that changes any of them installs a new worker, which takes over
and deletes the old caches.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _

from .assets import VENDOR, static_imports
from .i18n import normalize

bp = Blueprint("pwa", __name__)

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
THEME = "#c8102e"
ICONS = [
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
]
# Static files of the app shell (precached): what the rep's pages link (the templates
# below, scanned for url_for('static', filename=...)) and the modules those import, not
# the worker itself, not the
# manager's stylesheets or the install icons (the browser fetches those itself); pages in
# shell_urls().
REP_TEMPLATES = ["base.html", "_rep_head.html", "pwa/*.html", "web/today.html",
                 "web/_*.html", "customers/*.html", "visits/*.html", "plans/*.html",
                 "reviews/*.html", "notifications/*.html"]
_STATIC_REF = re.compile(r"""url_for\(\s*['"]static['"]\s*,\s*filename\s*=\s*['"]([^'"]+)['"]""")


def shell_static() -> list[str]:
    found: set[str] = set()
    for pattern in REP_TEMPLATES:
        for tpl in (ROOT / "templates").glob(pattern):
            found.update(_STATIC_REF.findall(tpl.read_text(encoding="utf-8")))
    # And every ES module those modules import (static/js/offline/*.js): fetched by the
    # browser under hashed URLs too (planner/assets.py writes them into the imports).
    for f in list(found):
        found.update(static_imports(f, STATIC))
    # js/login.js stays: the offline page (no session when served from the cache) loads it.
    return sorted(f for f in found if (STATIC / f).is_file())


# Pages served network-first (3 s) with the last copy as fallback; everything else
# falls back to /offline. Prefixes of the path.
NETWORK_FIRST = ["/today", "/customers", "/visits/new", "/plans", "/reviews",
                 "/notifications"]


def _shell_files() -> list[Path]:
    files = [STATIC / f for f in shell_static()]
    files.append(VENDOR["htmx.min.js"] / "htmx.min.js")
    files.append(STATIC / "sw.js")
    files.append(ROOT / "templates" / "pwa" / "offline.html")
    files.append(ROOT / "templates" / "base.html")
    return files


def shell_version() -> str:
    """A short hash of every shell file: a deploy that changes one changes the version."""
    h = hashlib.sha256()
    for f in _shell_files():
        h.update(f.name.encode())
        h.update(f.read_bytes() if f.exists() else b"-")
    return h.hexdigest()[:12]


def shell_urls() -> list[str]:
    urls = [url_for("static", filename=f) for f in shell_static()]
    urls.append(url_for("web.vendor", name="htmx.min.js"))
    urls.append(url_for("pwa.offline"))
    return urls


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    # The language comes from ?lang= (base.html links the page's language); the manifest
    # is fetched without cookies, so the session cannot say it.
    lang = normalize(request.args.get("lang")) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        doc: dict[str, Any] = {
            "id": "/today",
            "name": _("Planner: today's sales plan"),
            "short_name": _("Planner"),
            "description": _("Decompose the target first, then plan the sales work."),
            "lang": "zh-CN" if lang.startswith("zh") else "en",
            "start_url": "/today",
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": THEME,
            "icons": [
                {"src": url_for("static", filename=src), "sizes": sizes, "type": "image/png",
                 "purpose": purpose}
                for src, sizes, purpose in ICONS
            ],
        }
    resp = Response(json.dumps(doc, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    src = (STATIC / "sw.js").read_text(encoding="utf-8")
    src = src.replace('"__SHELL_VERSION__"', json.dumps(shell_version()))
    src = src.replace('["__SHELL_URLS__"]', json.dumps(shell_urls()))
    src = src.replace('["__NETWORK_FIRST__"]', json.dumps(NETWORK_FIRST))
    resp = Response(src, mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache, max-age=0"
    return resp


@bp.get("/offline")
def offline() -> ResponseReturnValue:
    """What a page that is not cached shows offline (precached by the service worker)."""
    return render_template("pwa/offline.html")

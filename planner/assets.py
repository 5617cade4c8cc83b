"""Compression and HTTP caching.

- Responses are compressed with Brotli or gzip (Flask-Compress) when the client accepts
  it: HTML, CSS, JS, JSON, the manifest and SVG. Static files are compressed once per
  version and kept in memory, at the best ratio (Brotli 11, gzip 9).
- Static files (and the vendored htmx) are linked with a content hash (`?v=<hash>`, added
  by url_for), so their URL changes when the file changes; a request for the current
  hash is answered `Cache-Control: public, max-age=31536000, immutable`, any other
  version `no-cache`.
- Every other answer that sets no Cache-Control of its own is `private, no-cache`
  (pages hold the user's data and a CSRF token: kept only by the browser, revalidated).
- ES modules (static/js/**/*.js) import each other by relative path (`from "./store.js"`);
  no build step. A module is served with each such specifier carrying the imported
  module's hash (`"./store.js?v=<hash>"`), so every module is fetched under a hashed,
  immutable URL too, and a module's hash covers the modules it imports (a changed
  module changes the URL of every module that imports it, directly or not). Lines that
  are only a `//` comment are left out of a served module (every script in static/js/).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import brotli
from flask import Flask, Response, current_app, request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, no-cache"
HASHED_ENDPOINTS = ("static", "web.vendor")
# Third-party browser files, served from node_modules (installed from package-lock.json)
# at /vendor/<name>.
NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
VENDOR = {"htmx.min.js": NODE_MODULES / "htmx.org" / "dist"}
COMPRESS_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                  "application/json", "application/manifest+json", "image/svg+xml",
                  "text/plain"]

STATIC_BR_QUALITY = 11
STATIC_GZIP_LEVEL = 9

compress = Compress()
_hashes: dict[str, tuple[int, int, str]] = {}
_lock = threading.Lock()


def file_hash(path: Path) -> str:
    """A short content hash of a file, recomputed only when its size or mtime changes."""
    try:
        st = path.stat()
    except OSError:
        return ""
    key = str(path)
    hit = _hashes.get(key)
    if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
        return hit[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[key] = (st.st_mtime_ns, st.st_size, digest)
    return digest


# `import ... from "./x.js"`, `import "./x.js"`, `export ... from "../x.js"`: a relative
# specifier of a static import (a dynamic import() is not rewritten: none is used).
_IMPORT = re.compile(r"""(\b(?:from|import)\s*)(["'])(\.{1,2}/[^"'?#\s]+\.js)\2""")
_imports_cache: dict[str, tuple[int, int, tuple[tuple[str, Path], ...]]] = {}


def module_imports(path: Path) -> tuple[tuple[str, Path], ...]:
    """The relative imports of a JS module: (specifier, file), re-read when it changes."""
    if path.suffix != ".js":
        return ()
    try:
        st = path.stat()
    except OSError:
        return ()
    key = str(path)
    hit = _imports_cache.get(key)
    if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
        return hit[2]
    src = path.read_text(encoding="utf-8")
    found: dict[str, Path] = {}
    for m in _IMPORT.finditer(src):
        found.setdefault(m.group(3), (path.parent / m.group(3)).resolve())
    deps = tuple(found.items())
    with _lock:
        _imports_cache[key] = (st.st_mtime_ns, st.st_size, deps)
    return deps


def module_closure(path: Path) -> list[Path]:
    """Every module `path` imports, directly or not (not `path` itself), in a stable order."""
    seen: dict[Path, None] = {}
    todo = [dep for _spec, dep in module_imports(path)]
    while todo:
        dep = todo.pop(0)
        if dep in seen or dep == path:
            continue
        seen[dep] = None
        todo.extend(d for _s, d in module_imports(dep))
    return list(seen)


def asset_hash(path: Path) -> str:
    """The `v` of a static file's URL: its content hash; for a JS module that imports
    others, a hash of its own content and of every module it imports (their URLs are
    written into it when served)."""
    own = file_hash(path)
    deps = module_closure(path) if own else []
    if not deps:
        return own
    h = hashlib.sha256(own.encode())
    for dep in sorted(deps):
        h.update(str(dep).encode() + b"=" + file_hash(dep).encode())
    return h.hexdigest()[:12]


_MODULE = re.compile(rb"^(?:import|export)\b", re.M)
_LINE_COMMENT = re.compile(rb"^[ \t]*//[^\n]*\n", re.M)


def is_module(path: Path, data: bytes) -> bool:
    """A JS file with import or export statements (at the start of a line), or any script
    in a js/ folder (static/js/: every script of the app is loaded as an ES module)."""
    return path.suffix == ".js" and ("js" in path.parts or bool(_MODULE.search(data)))


def served_module(path: Path, data: bytes) -> bytes:
    """An ES module as served: each relative import carries the imported module's hash,
    and lines that are only a // comment are left out (the modules are many small
    files: this keeps their compressed size that of the one script they replaced)."""
    return hashed_imports(path, _LINE_COMMENT.sub(b"", data))


def hashed_imports(path: Path, data: bytes) -> bytes:
    """A module's source with each relative import carrying the imported module's hash."""
    deps = dict(module_imports(path))
    if not deps:
        return data

    def sub(m: re.Match[str]) -> str:
        dep = deps.get(m.group(3))
        digest = asset_hash(dep) if dep is not None else ""
        spec = f"{m.group(3)}?v={digest}" if digest else m.group(3)
        return f"{m.group(1)}{m.group(2)}{spec}{m.group(2)}"

    return _IMPORT.sub(sub, data.decode("utf-8")).encode("utf-8")


def static_imports(filename: str, static_folder: str | Path | None = None) -> list[str]:
    """The static files (names under the static folder) the module `filename` imports,
    directly or not: what a page links as modulepreload and the service worker
    precaches along with the module."""
    folder = Path(static_folder or current_app.static_folder or "").resolve()
    out = []
    for dep in module_closure(folder / filename):
        if dep.is_relative_to(folder) and dep.is_file():
            out.append(dep.relative_to(folder).as_posix())
    return out


def asset_path(endpoint: str, values: dict[str, Any]) -> Path | None:
    if endpoint == "static":
        name = values.get("filename")
        if not name:
            return None
        return _static_path(current_app.static_folder or "", str(name))
    if endpoint == "web.vendor":
        name = str(values.get("name") or "")
        folder = VENDOR.get(name)
        return folder / name if folder else None
    return None


@lru_cache(maxsize=1024)
def _static_path(static_folder: str, name: str) -> Path | None:
    """The file a static URL names, inside the static folder (resolved once: resolving
    walks the file system, and a page links several files)."""
    folder = Path(static_folder).resolve()
    path = (folder / name).resolve()
    return path if path.is_relative_to(folder) else None


class _StaticCache:
    """Flask-Compress's cache backend, holding compressed static files only (their key
    names the file's content hash); every other answer is compressed afresh."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if ";static:" in key and len(self.data) < 500:
            self.data[key] = value


def _precompress(resp: Response, data: bytes) -> None:
    """Put a static file's Brotli and gzip forms in Flask-Compress's cache at the best
    ratio (Brotli 11, gzip 9: about 15% smaller than the levels used for pages, which
    are compressed per request). It happens once per file version and worker, so the
    slower compression costs nothing later."""
    cache = compress.cache
    if (not isinstance(cache, _StaticCache) or resp.mimetype not in COMPRESS_TYPES
            or len(data) < current_app.config.get("COMPRESS_MIN_SIZE", 500)):
        return
    base = _cache_key(request)
    if not base.startswith("static:"):
        return
    if f"br;{base}" not in cache.data:
        cache.set(f"br;{base}", brotli.compress(data, quality=STATIC_BR_QUALITY))
    if f"gzip;{base}" not in cache.data:
        cache.set(f"gzip;{base}", gzip.compress(data, STATIC_GZIP_LEVEL, mtime=0))


def _cache_key(req: Any) -> str:
    if req.endpoint in HASHED_ENDPOINTS and req.args.get("v"):
        values = dict(req.view_args or {})
        path = asset_path(req.endpoint, values)
        if path is not None:
            return f"static:{path}:{asset_hash(path)}"
    return f"dynamic:{id(req)}"  # never stored by _StaticCache


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", _StaticCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    compress.init_app(app)
    app.jinja_env.globals["static_imports"] = static_imports

    @app.url_defaults
    def _hash_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint in HASHED_ENDPOINTS and "v" not in values:
            path = asset_path(endpoint, values)
            if path is not None:
                digest = asset_hash(path)
                if digest:
                    values["v"] = digest

    # Registered after Flask-Compress, so it runs before it (after_request runs in
    # reverse): a static file is read into memory so it can be compressed (once).
    @app.after_request
    def _cache_headers(resp: Response) -> Response:
        if request.endpoint in HASHED_ENDPOINTS:
            path = asset_path(request.endpoint, dict(request.view_args or {}))
            current = asset_hash(path) if path is not None else ""
            if current and request.args.get("v") == current and resp.status_code in (200,
                                                                                     304):
                resp.headers["Cache-Control"] = IMMUTABLE
            else:
                resp.headers["Cache-Control"] = "no-cache"
            if resp.status_code == 200 and resp.direct_passthrough:
                # Buffered (static files are small), so Flask-Compress compresses it once.
                src = resp.response
                try:
                    data = b"".join(src)
                finally:
                    close = getattr(src, "close", None)
                    if close is not None:
                        close()
                resp.direct_passthrough = False
                if path is not None and is_module(path, data):
                    # The imports carry their hashes: this answer is the module's graph.
                    data = served_module(path, data)
                    resp.set_etag(current)
                resp.set_data(data)
                _precompress(resp, data)
            return resp
        if "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = PRIVATE
        return resp

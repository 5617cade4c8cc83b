"""Links to the app's pages from anywhere: a request, the reminder worker, the CLI.

`link(endpoint, **values)` is what url_for gives inside a request. Outside one (a push
message built by the reminder worker, an invitation printed by the CLI) it is built
against `PUBLIC_URL` (e.g. `https://planner.example.com`), the address the people reach
the app at; without it, a path relative to the site root, which the service worker and
the browser resolve against the origin. `external=True` asks for an absolute URL, and
outside a request it needs PUBLIC_URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


class NoPublicUrl(RuntimeError):
    """An absolute link was asked for outside a request, and PUBLIC_URL is not set."""


def link(endpoint: str, /, *, external: bool = False, **values: Any) -> str:
    if has_request_context():
        base = current_app.config.get("PUBLIC_URL") or ""
        if external and base:
            return _against(base, endpoint, values)
        return url_for(endpoint, _external=external, **values)
    base = current_app.config.get("PUBLIC_URL") or ""
    if base:
        return _against(base, endpoint, values)
    if external:
        raise NoPublicUrl("set PUBLIC_URL to the address people reach the app at")
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def _against(base: str, endpoint: str, values: dict[str, Any]) -> str:
    """url_for as if the request had come to `base` (scheme, host and any path prefix)."""
    parts = urlsplit(base.rstrip("/"))
    with current_app.test_request_context(
        "/", base_url=f"{parts.scheme}://{parts.netloc}{parts.path}"
    ):
        return url_for(endpoint, _external=True, **values)

"""One helper decides page or fragment (see DESIGN.md, habit 5)."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def wants_fragment() -> bool:
    """A fragment only for an htmx request that is neither boosted nor a history restore."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **ctx: Any) -> Response:
    """Render `page` in full, or `fragment` alone for an htmx swap; Vary: HX-Request."""
    template = fragment if fragment and wants_fragment() else page
    resp = make_response(render_template(template, **ctx), status)
    if fragment:
        resp.vary.add("HX-Request")
    return resp

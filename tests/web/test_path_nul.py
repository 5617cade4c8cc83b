"""Every path parameter of every route refuses a NUL (and a lone surrogate): 404, never a
500. The routes come from app.url_map, so a route added later is walked too."""

from __future__ import annotations

import re

from conftest import login
from flask import Flask

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _urls(app: Flask, bad: str) -> list[tuple[str, str, str]]:
    """(method, url, rule) for every rule and every path parameter of it set to `bad`,
    the others to a plain id."""
    out = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for name in rule.arguments:
            url = _PARAM.sub(lambda m, n=name: bad if m.group(1) == n else "1", rule.rule)
            out.extend((method, url, rule.rule) for method in methods)
    return out


def test_a_nul_or_lone_surrogate_in_any_path_parameter_answers_404(app: Flask) -> None:
    c = app.test_client()
    assert login(c, "director").status_code == 302
    anonymous = app.test_client()
    walked = set()
    # 405: the path matches a rule of another method only. The bytes of a lone surrogate
    # reach the app as U+FFFD (WSGI decodes the path with "replace"): any answer but a 5xx.
    refused = {400, 404, 405}
    for bad, allowed in (("sw.js%00.css", refused), ("1%00", refused), ("%00", refused),
                         ("x%ED%A0%80y", set(range(200, 500)))):
        for method, url, rule in _urls(app, bad):
            for client in (c, anonymous):
                resp = client.open(url, method=method)
                assert resp.status_code in allowed, (method, url, resp.status_code)
                walked.add(rule)
    # The walk covered the routes with parameters (static files, records, reviews, ...).
    assert {"/static/<path:filename>", "/api/v1/reviews/<review_id>"} <= walked
    assert len(walked) >= 20

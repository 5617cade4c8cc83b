"""Errors answered per client: JSON for the API, a page for people, never a trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

MAX_JSON_DEPTH = 32  # no request body the app takes nests deeper than a few levels


class JSONTooDeep(BadRequest):
    """A request body nested deeper than MAX_JSON_DEPTH: a 400 with a clear message, even
    for `request.get_json(silent=True)` (which only swallows ValueError)."""


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True if `value` nests lists/dicts more than `limit` deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


class SafeJSONProvider(DefaultJSONProvider):
    """Parses request bodies; a deeply nested one is refused before it can cost a
    RecursionError (in the decoder or in whatever walks the result)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise JSONTooDeep() from None
        if json_depth_exceeds(value, MAX_JSON_DEPTH):
            raise JSONTooDeep()
        return value


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _message(code: int) -> str:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do that."),
        404: _("Not found: it does not exist or is not yours to see."),
        405: _("That action is not allowed here."),
        413: _("What you sent is too large."),
        422: _("Please correct the highlighted fields."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing you entered was lost."),
    }.get(code, _("Something went wrong."))


def error_body(code: int, message: str | None = None,
               fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The one shape of every JSON error: {"error": {"code": the HTTP status, "message":
    a sentence for people, "fields": {field: message} when the input had bad fields}}.
    Without a message of its own, a field error says its fields' messages."""
    if not message:
        message = " ".join(dict.fromkeys(fields.values())) if fields else _message(code)
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def json_error(code: int, message: str | None = None,
               fields: dict[str, str] | None = None) -> tuple[Response, int]:
    """An API error answer (error_body), with its status."""
    return jsonify(error_body(code, message, fields)), code


def render_error(code: int, message: str | None = None) -> ResponseReturnValue:
    if wants_json():
        return json_error(code, message)
    return render_template("error.html", code=code, message=message or _message(code)), code


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)

    @app.errorhandler(JSONTooDeep)
    def _too_deep(e: JSONTooDeep) -> ResponseReturnValue:
        return render_error(400, _("The JSON you sent is nested too deeply (at most "
                                   "%(n)d levels); nothing was changed.", n=MAX_JSON_DEPTH))

    from .db import UnstorableText

    @app.errorhandler(UnstorableText)
    def _unstorable(e: UnstorableText) -> ResponseReturnValue:
        from .extensions import db

        db.session.rollback()
        return render_error(400, _("What you sent contains a character that cannot be saved "
                                   "(a NUL or a broken Unicode character); nothing was "
                                   "changed. Retype it and try again."))

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> ResponseReturnValue:
        return render_error(
            400,
            _("Your form has expired or is missing its security token. Please reload the page and try again; nothing was changed."),  # noqa: E501
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> ResponseReturnValue:
        resp, code = render_error(e.code or 500, None)
        if not isinstance(resp, Response):
            resp = make_response(resp)
        # Headers the error carries (a 405's Allow, a 401's WWW-Authenticate) are kept.
        for name, value in e.get_headers():
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp, code

    @app.errorhandler(Exception)
    def _any(e: Exception) -> ResponseReturnValue:
        if app.testing and not app.config.get("TEST_RENDER_500"):
            raise e
        app.logger.exception("unhandled error")
        from .extensions import db

        db.session.rollback()
        return render_error(500)

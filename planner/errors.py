"""Errors answered per client: JSON for the API, a page for people, never a trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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


def render_error(code: int, message: str | None = None):  # type: ignore[no-untyped-def]
    message = message or _message(code)
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), code
    return render_template("error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            _("Your form has expired or is missing its security token. Please reload the page and try again; nothing was changed."),  # noqa: E501
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(e.code or 500, None)

    @app.errorhandler(Exception)
    def _any(e: Exception):  # type: ignore[no-untyped-def]
        if app.testing and not app.config.get("TEST_RENDER_500"):
            raise e
        app.logger.exception("unhandled error")
        from .extensions import db

        db.session.rollback()
        return render_error(500)

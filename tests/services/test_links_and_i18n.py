"""The one links helper and the one gettext fallback (planner/links.py, planner/i18n.py)."""

from __future__ import annotations

import pytest
from flask import Flask

from planner.i18n import gettext, ngettext, speaks_chinese
from planner.links import NoPublicUrl, link


def test_a_link_outside_a_request_is_relative_without_a_public_url(app: Flask) -> None:
    with app.app_context():
        assert link("web.today") == "/today"


def test_a_link_outside_a_request_is_built_on_the_public_url(app: Flask) -> None:
    with app.app_context():
        app.config["PUBLIC_URL"] = "https://planner.example.com/sales/"
        try:
            assert link("web.today") == "https://planner.example.com/sales/today"
            assert link("web.today", external=True, d="2026-12-01") == (
                "https://planner.example.com/sales/today?d=2026-12-01")
        finally:
            app.config["PUBLIC_URL"] = ""


def test_an_absolute_link_outside_a_request_needs_the_public_url(app: Flask) -> None:
    with app.app_context(), pytest.raises(NoPublicUrl):
        link("web.today", external=True)


def test_an_absolute_link_in_a_request_prefers_the_public_url(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert link("web.today", external=True) == "http://10.0.0.5:8000/today"
        app.config["PUBLIC_URL"] = "https://planner.example.com"
        try:
            assert link("web.today", external=True) == "https://planner.example.com/today"
            assert link("web.today") == "/today"
        finally:
            app.config["PUBLIC_URL"] = ""


def test_gettext_is_plain_english_without_a_request(app: Flask) -> None:
    with app.app_context():
        assert gettext("%(n)s left", n=3) == "3 left"
        assert ngettext("%(num)d visit", "%(num)d visits", 1) == "1 visit"
        assert ngettext("%(num)d visit", "%(num)d visits", 4) == "4 visits"
        assert speaks_chinese()


def test_gettext_translates_in_a_request(app: Flask) -> None:
    with app.test_request_context("/?lang=zh-CN"):
        app.preprocess_request()
        assert gettext("Today") != "Today"
        assert speaks_chinese()
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert gettext("Today") == "Today"
        assert not speaks_chinese()

"""The navigation every page shares; entries appear once their page exists."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ..models import Role

# (endpoint, label, icon, roles)
NAV = [
    ("web.today", _l("Today"), "◉", {Role.REP}),
    ("web.customers", _l("Customers"), "☰", {Role.REP, Role.MANAGER}),
    ("web.week_plan", _l("Plans"), "▦", {Role.REP}),
    ("web.reviews", _l("Review"), "✓", {Role.REP, Role.MANAGER}),
    ("web.team", _l("Team"), "◎", {Role.MANAGER, Role.ADMIN}),
    ("web.tracking", _l("Tracking"), "↗", {Role.MANAGER, Role.ADMIN}),
    ("web.targets", _l("Targets"), "◆", {Role.MANAGER, Role.ADMIN}),
    ("web.calendar", _l("Calendar"), "▤", {Role.ADMIN}),
    ("web.stages", _l("Stages"), "☷", {Role.ADMIN}),
    ("admin.home", _l("Company"), "⚙", {Role.ADMIN}),
    ("admin.people_page", _l("People"), "☺", {Role.MANAGER}),
]


def nav_items(role: Role) -> list[dict[str, object]]:
    views = current_app.view_functions
    return [
        {"endpoint": ep, "label": label, "icon": icon, "active": request.endpoint == ep}
        for ep, label, icon, roles in NAV
        if role in roles and ep in views
    ]
